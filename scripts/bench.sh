#!/usr/bin/env bash
# make bench: end-to-end throughput of `courtstat run` on a generated province.
#
# Generates (once, cached under $CARGO_TARGET_DIR/bench) a messy export of
# BENCH_ROWS rows (default 2,500,000, ~375 MB), runs courtstat BENCH_REPS times
# (default 3) with 1 and with 2 threads, and prints the median wall time,
# input MB/s, rows/s, peak RSS and time per stage. The machine is shared and
# noisy: compare medians and ratios, not single runs. It also checks that the
# 1- and 2-thread runs publish byte-identical tables.
#
# These cold runs use --no-cache. Then, for the incremental refresh, it fills
# a cache on a hard-linked copy of the input (timed: what a run after an
# upgrade or a full re-export costs), and BENCH_REPS times changes
# one court's file (appends a re-sent case) and reruns with the cache: the
# warm median against the cold median is the speed-up, and the warm tables
# must equal a cold run's byte for byte. It does the same again with the
# as-of date a day later each time (the nightly run's case), and once with
# the court's re-export added under a new name, each checked too.
set -euo pipefail
bin="$1"
rows="${BENCH_ROWS:-2500000}"
reps="${BENCH_REPS:-3}"
dir="${CARGO_TARGET_DIR:-target}/bench"
input="$dir/input-$rows-seed1"
mkdir -p "$dir"
if [ ! -f "$input.done" ]; then
  rm -rf "$input"
  echo "generating $rows rows into $input (once)…"
  "$bin" gen --out "$input" --rows "$rows" --seed 1 --messy
  touch "$input.done"
fi
bytes=$(find "$input" -type f \( -name '*.csv' -o -name '*.tsv' \) -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$input" -type f | wc -l)
echo "input: $files files, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1e6}') MB"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for threads in 1 2; do
  out="$dir/out-$threads"
  : > "$dir/times-$threads"
  for rep in $(seq "$reps"); do
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS="$threads" POLARS_MAX_THREADS="$threads" \
      "$bin" run --input "$input" --out "$out" --as-of 2023-08-22 --quiet --no-cache
    cat "$dir/time.txt" >> "$dir/times-$threads"
  done
  wall=$(awk '{print $1}' "$dir/times-$threads" | median)
  rss_kb=$(awk '{print $2}' "$dir/times-$threads" | median)
  rows_read=$(sed -n 's/^  "rows_read": \([0-9]*\),$/\1/p' "$out/run.json")
  stages=$(tr -d '\n ' < "$out/run.json" | sed -n 's/.*"timings_ms":{\([^}]*\)}.*/\1/p' | tr -d '"')
  awk -v t="$threads" -v w="$wall" -v b="$bytes" -v r="$rows_read" -v m="$rss_kb" -v reps="$reps" 'BEGIN {
    printf "threads %d: median of %d runs %.2f s  %.0f MB/s  %.0f rows/s  peak RSS %.0f MB (%.2f x input)\n",
      t, reps, w, b/1e6/w, r/w, m/1024, m*1024/b }'
  echo "  stages (ms, last run): $stages"
  [ "$threads" = 2 ] && cold_wall="$wall"
done
for t in indicators_court indicators_city indicators_province indicators_monthly quarantine duplicates; do
  cmp -s "$dir/out-1/$t.csv" "$dir/out-2/$t.csv" || { echo "MISMATCH: $t.csv differs between 1 and 2 threads"; exit 1; }
done
echo "tables identical with 1 and 2 threads"

# incremental refresh: one court's file changes between runs
work="$dir/incremental"
rm -rf "$work" && mkdir -p "$work"
cp -al "$input" "$work/in"
changed=$(cd "$work/in" && find . -type f -name '*.csv' | sort | awk 'NR == 1')
cp --remove-destination "$input/$changed" "$work/in/$changed"
# the first run fills the empty cache: parses and encoded chunks
/usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 POLARS_MAX_THREADS=2 \
  "$bin" run --input "$work/in" --out "$work/out" --as-of 2023-08-22 --quiet
awk '{ printf "first run with an empty cache (2 threads, fills it): %.2f s, peak RSS %.0f MB\n", $1, $2/1024 }' "$dir/time.txt"
: > "$dir/times-warm"
for rep in $(seq "$reps"); do
  tail -n 1 "$work/in/$changed" >> "$work/in/$changed"
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 POLARS_MAX_THREADS=2 \
    "$bin" run --input "$work/in" --out "$work/out" --as-of 2023-08-22 --quiet
  cat "$dir/time.txt" >> "$dir/times-warm"
done
warm=$(awk '{print $1}' "$dir/times-warm" | median)
warm_rss=$(awk '{print $2}' "$dir/times-warm" | median)
cache=$(tr -d '\n ' < "$work/out/run.json" | sed -n 's/.*"cache":{\([^}]*\)}.*/\1/p' | tr -d '"')
stages=$(tr -d '\n ' < "$work/out/run.json" | sed -n 's/.*"timings_ms":{\([^}]*\)}.*/\1/p' | tr -d '"')
awk -v w="$warm" -v c="$cold_wall" -v m="$warm_rss" -v reps="$reps" 'BEGIN {
  printf "incremental (2 threads, one file changed): median of %d runs %.2f s, %.1f x faster than cold, peak RSS %.0f MB\n", reps, w, c/w, m/1024 }'
echo "  cache: $cache"
echo "  stages (ms, last run): $stages"
same_as_cold() {
  rm -rf "$work/cold"
  RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/cold" --as-of "$1" --quiet --no-cache
  for f in "$work/cold"/*; do
    n=$(basename "$f")
    [ "$n" = run.json ] && continue
    cmp -s "$f" "$work/out/$n" || { echo "MISMATCH: $n differs between the cached and a cold run ($2)"; exit 1; }
  done
}
same_as_cold 2023-08-22 "same day"
echo "cached and cold outputs identical"

# the nightly refresh proper: one file changed, and as-of is the next day
: > "$dir/times-next"
for rep in $(seq "$reps"); do
  tail -n 1 "$work/in/$changed" >> "$work/in/$changed"
  day="2023-08-$((22 + rep))"
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 POLARS_MAX_THREADS=2 \
    "$bin" run --input "$work/in" --out "$work/out" --as-of "$day" --quiet
  cat "$dir/time.txt" >> "$dir/times-next"
done
next=$(awk '{print $1}' "$dir/times-next" | median)
next_rss=$(awk '{print $2}' "$dir/times-next" | median)
awk -v w="$next" -v c="$cold_wall" -v m="$next_rss" -v reps="$reps" 'BEGIN {
  printf "incremental, next day (one file changed, --as-of a day later): median of %d runs %.2f s, %.1f x faster than cold, peak RSS %.0f MB\n", reps, w, c/w, m/1024 }'
echo "  cache: $(tr -d '\n ' < "$work/out/run.json" | sed -n 's/.*"cache":{\([^}]*\)}.*/\1/p' | tr -d '"')"
same_as_cold "$day" "next day"
echo "next-day cached and cold outputs identical"

# a court's re-export arriving under a new name (another date), beside the
# old one: a file added to the inputs
renamed="${changed%.csv}-reexport.csv"
cp "$work/in/$changed" "$work/in/$renamed"
tail -n 1 "$work/in/$changed" >> "$work/in/$renamed"
/usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 POLARS_MAX_THREADS=2 \
  "$bin" run --input "$work/in" --out "$work/out" --as-of "$day" --quiet
awk -v c="$cold_wall" '{ printf "incremental, a re-export under a new name (one run): %.2f s, %.1f x faster than cold, peak RSS %.0f MB\n", $1, c/$1, $2/1024 }' "$dir/time.txt"
echo "  cache: $(tr -d '\n ' < "$work/out/run.json" | sed -n 's/.*"cache":{\([^}]*\)}.*/\1/p' | tr -d '"')"
same_as_cold "$day" "new file"
echo "new-file cached and cold outputs identical"
