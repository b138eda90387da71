#!/usr/bin/env bash
# make bench: end-to-end throughput of `courtstat run` on generated provinces.
#
# Generates (once, cached under $CARGO_TARGET_DIR/bench) a messy export of
# BENCH_ROWS rows (default 2,500,000, ~400 MB), runs courtstat BENCH_REPS
# times (default 5) with 1 and with 2 threads, and prints the median wall
# time, input MB/s, rows/s, peak RSS and time per stage. The machine is
# shared and noisy: compare medians and ratios, not single runs. It checks
# that the 1- and 2-thread runs publish byte-identical tables, and that every
# Parquet file of the cold run holds its statistics (tests/it/parquet.rs).
#
# These cold runs use --no-cache. Then, for the incremental refresh, it fills
# a cache on a hard-linked copy of the input (timed: what a run after an
# upgrade or a full re-export costs), and BENCH_REPS times changes one
# court's file (appends a re-sent case) and reruns with the cache: the warm
# median against the cold median is the speed-up, and the warm tables must
# equal a cold run's byte for byte. It does the same with the as-of date a
# day later each time (the nightly run's case), and once with the court's
# re-export added under a new name. Last, the same cold and warm runs on a
# province whose courts have cases of five filing years (BENCH_YEARS_ROWS,
# default 2,000,000), where one court's cases spread over many chunks. And
# the same rows as .xlsx workbooks and as CSV (BENCH_BOOK_ROWS, default
# 300,000): the workbook read speed, and the same court figures from both.
set -euo pipefail
bin="$1"
rows="${BENCH_ROWS:-2500000}"
years_rows="${BENCH_YEARS_ROWS:-2000000}"
reps="${BENCH_REPS:-5}"
dir="${CARGO_TARGET_DIR:-target}/bench"
mkdir -p "$dir"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { tr -d '\n ' < "$1/run.json" | sed -n "s/.*\"$2\":{\([^}]*\)}.*/\1/p" | tr -d '"'; }

# a generated export, made once: name, rows, gen options
input_of() {
  local input="$dir/input-$1"
  if [ ! -f "$input.done" ]; then
    rm -rf "$input"
    echo "generating $2 rows into $input (once)…" >&2
    "$bin" gen --out "$input" --rows "$2" "${@:3}" >&2
    touch "$input.done"
  fi
  echo "$input"
}

# runs `courtstat run` $reps times; prints "median-seconds median-peak-KB"
timed() {
  local times="$dir/times.$$"
  : > "$times"
  for _ in $(seq "$reps"); do
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" env "$@" >/dev/null
    cat "$dir/time.txt" >> "$times"
  done
  echo "$(awk '{print $1}' "$times" | median) $(awk '{print $2}' "$times" | median)"
  rm -f "$times"
}

# every output but run.json of two published folders is the same
same_outputs() {
  for f in "$1"/*; do
    n=$(basename "$f")
    [ "$n" = run.json ] && continue
    cmp -s "$f" "$2/$n" || { echo "MISMATCH: $n differs ($3)"; exit 1; }
  done
}

input=$(input_of "$rows-seed1" "$rows" --seed 1 --messy)
bytes=$(find "$input" -type f \( -name '*.csv' -o -name '*.tsv' \) -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$input" -type f | wc -l)
echo "input: $files files, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b/1e6}') MB"

for threads in 1 2; do
  out="$dir/out-$threads"
  read -r wall rss_kb < <(timed RAYON_NUM_THREADS="$threads" "$bin" run --input "$input" --out "$out" --as-of 2023-08-22 --quiet --no-cache)
  rows_read=$(sed -n 's/^  "rows_read": \([0-9]*\),$/\1/p' "$out/run.json")
  awk -v t="$threads" -v w="$wall" -v b="$bytes" -v r="$rows_read" -v m="$rss_kb" -v reps="$reps" 'BEGIN {
    printf "threads %d: median of %d runs %.2f s  %.0f MB/s  %.0f rows/s  peak RSS %.0f MB (%.2f x input)\n",
      t, reps, w, b/1e6/w, r/w, m/1024, m*1024/b }'
  echo "  stages (ms, last run): $(field "$out" timings_ms)"
  [ "$threads" = 2 ] && cold_wall="$wall"
done
for t in indicators_court indicators_city indicators_province indicators_monthly quarantine duplicates; do
  cmp -s "$dir/out-1/$t.csv" "$dir/out-2/$t.csv" || { echo "MISMATCH: $t.csv differs between 1 and 2 threads"; exit 1; }
done
echo "tables identical with 1 and 2 threads"
COURTSTAT_CHECK_PARQUET="$dir/out-2" cargo test --release --locked --quiet --test it -- --ignored the_bench_runs_parquet 2>&1 \
  | grep -E "row groups|test result" || { echo "the Parquet check failed"; exit 1; }

# what the watch lists (§11) and the comparison (§15) add to the cold run
out2="$dir/out-2"
size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", b/1e6 }'; }
rows_of() { field "$out2" rows_per_output | tr ',' '\n' | sed -n "s/^$1://p"; }
echo "  watch lists: $(rows_of watchlist) rows, watchlist.csv $(size_mb "$out2/watchlist.csv"), watchlist.parquet $(size_mb "$out2/watchlist.parquet"); comparison: $(rows_of indicators_comparison) rows"

# what the lists cost: the same cold run with them and without them
# (COURTSTAT_BENCH_NO_LISTS=1, docs/operations.md), alternating so that the
# machine's noise falls on both alike; the tables must not change.
: > "$dir/times-lists"; : > "$dir/times-no-lists"
for _ in $(seq "$reps"); do
  for mode in lists no-lists; do
    rm -rf "$dir/out-$mode"
    /usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 COURTSTAT_BENCH_NO_LISTS="$([ "$mode" = no-lists ] && echo 1 || echo 0)" \
      "$bin" run --input "$input" --out "$dir/out-$mode" --as-of 2023-08-22 --quiet --no-cache >/dev/null
    cat "$dir/time.txt" >> "$dir/times-$mode"
  done
done
for t in indicators_court indicators_city indicators_province indicators_monthly quarantine duplicates; do
  cmp -s "$dir/out-lists/$t.csv" "$dir/out-no-lists/$t.csv" || { echo "MISMATCH: $t.csv differs without the lists"; exit 1; }
done
col_median() { awk -v c="$2" '{print $c}' "$dir/times-$1" | median; }
awk -v w="$(col_median lists 1)" -v n="$(col_median no-lists 1)" -v cw="$(col_median lists 2)" -v cn="$(col_median no-lists 2)" \
  -v sw="$(col_median lists 3)" -v sn="$(col_median no-lists 3)" -v m="$(col_median lists 4)" -v mn="$(col_median no-lists 4)" -v reps="$reps" 'BEGIN {
  printf "  what the lists cost (2 threads, %d alternating runs each): %.2f s with, %.2f s without: +%.2f s, +%.1f %% of the cold run; CPU +%.2f s user +%.2f s sys; peak RSS %+.0f MB\n",
    reps, w, n, w - n, 100 * (w - n) / w, cw - cn, sw - sn, (m - mn) / 1024 }'
# the ratio run by run: on a shared machine whose load drifts, the median of
# the pairs' ratios moves less than the ratio of the two medians
pairs=$(paste "$dir/times-lists" "$dir/times-no-lists" | awk '{ print $1 / $5 }' | median)
awk -v r="$pairs" -v reps="$reps" 'BEGIN {
  printf "  the same, pair by pair: median of %d ratios with/without %.3f, +%.1f %% of the cold run\n", reps, r, 100 * (1 - 1 / r) }'
rm -rf "$dir/out-lists" "$dir/out-no-lists"

# courtstat explain on the cold run's folder: a court, a city, the province
court=$(awk -F, 'NR > 1 && $4 == "基层" && $8 > 0 { print $1; exit }' "$out2/indicators_court.csv")
for unit in "$court" 承德市 province; do
  : > "$dir/explain-times"
  for rep in $(seq "$reps"); do
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$bin" explain "$out2" "$unit" completion_rate --part denominator > "$dir/explain.csv"
    cat "$dir/time.txt" >> "$dir/explain-times"
  done
  awk -v u="$unit" -v w="$(awk '{print $1}' "$dir/explain-times" | median)" -v m="$(awk '{print $2}' "$dir/explain-times" | median)" -v n="$(($(wc -l < "$dir/explain.csv") - 1))" -v reps="$reps" 'BEGIN {
    printf "explain %s completion_rate --part denominator: %d cases, median of %d runs %.2f s, peak RSS %.0f MB\n", u, n, reps, w, m/1024 }'
done

# the refresh of one province: $1 the input, $2 the cold median, $3 a label
refresh_series() {
  local src="$1" cold="$2" label="$3" work="$dir/incremental-$3"
  rm -rf "$work" && mkdir -p "$work"
  cp -al "$src" "$work/in"
  changed=$(cd "$work/in" && find . -type f -name '*.csv' | sort | awk 'NR == 1')
  cp --remove-destination "$src/$changed" "$work/in/$changed"
  touch -d '1 hour ago' "$work/in/$changed"
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/out" --as-of 2023-08-22 --quiet
  awk -v l="$label" '{ printf "%s: first run with an empty cache (fills it): %.2f s, peak RSS %.0f MB\n", l, $1, $2/1024 }' "$dir/time.txt"
  local t="$dir/warm.$$"
  : > "$t"
  for rep in $(seq "$reps"); do
    tail -n 1 "$work/in/$changed" >> "$work/in/$changed"
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/out" --as-of 2023-08-22 --quiet
    cat "$dir/time.txt" >> "$t"
  done
  awk -v w="$(awk '{print $1}' "$t" | median)" -v c="$cold" -v m="$(awk '{print $2}' "$t" | median)" -v reps="$reps" -v l="$label" 'BEGIN {
    printf "%s, one file changed: median of %d runs %.2f s, %.1f x faster than cold, peak RSS %.0f MB\n", l, reps, w, c/w, m/1024 }'
  echo "  cache: $(field "$work/out" cache)"
  echo "  stages (ms, last run): $(field "$work/out" timings_ms)"
  rm -rf "$work/cold"
  RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/cold" --as-of 2023-08-22 --quiet --no-cache
  same_outputs "$work/cold" "$work/out" "$label, cached against cold"
  echo "  cached and cold outputs identical"
  rm -f "$t"
}

refresh_series "$input" "$cold_wall" "bench province"
work="$dir/incremental-bench province"
changed=$(cd "$work/in" && find . -type f -name '*.csv' | sort | awk 'NR == 1')

# the nightly refresh proper: one file changed, and as-of is the next day
: > "$dir/times-next"
for rep in $(seq "$reps"); do
  tail -n 1 "$work/in/$changed" >> "$work/in/$changed"
  day=$(date -d "2023-08-22 + $rep days" +%F)
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/out" --as-of "$day" --quiet
  cat "$dir/time.txt" >> "$dir/times-next"
done
next=$(awk '{print $1}' "$dir/times-next" | median)
awk -v w="$next" -v c="$cold_wall" -v reps="$reps" 'BEGIN {
  printf "bench province, next day (one file changed, --as-of a day later): median of %d runs %.2f s, %.1f x faster than cold\n", reps, w, c/w }'
rm -rf "$work/cold"
RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/cold" --as-of "$day" --quiet --no-cache
same_outputs "$work/cold" "$work/out" "next day"
echo "  next-day cached and cold outputs identical"

# a court's re-export arriving under a new name (another date), beside the old one
renamed="${changed%.csv}-reexport.csv"
cp "$work/in/$changed" "$work/in/$renamed"
tail -n 1 "$work/in/$changed" >> "$work/in/$renamed"
/usr/bin/time -f "%e %M" -o "$dir/time.txt" env RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/out" --as-of "$day" --quiet
awk -v c="$cold_wall" '{ printf "bench province, a re-export under a new name (one run): %.2f s, %.1f x faster than cold, peak RSS %.0f MB\n", $1, c/$1, $2/1024 }' "$dir/time.txt"
rm -rf "$work/cold"
RAYON_NUM_THREADS=2 "$bin" run --input "$work/in" --out "$work/cold" --as-of "$day" --quiet --no-cache
same_outputs "$work/cold" "$work/out" "new file"
echo "  new-file cached and cold outputs identical"

# a province whose courts have cases of five filing years
years=$(input_of "$years_rows-seed5-years5" "$years_rows" --seed 5 --messy --years 5)
read -r years_cold years_rss < <(timed RAYON_NUM_THREADS=2 "$bin" run --input "$years" --out "$dir/out-years" --as-of 2023-08-22 --quiet --no-cache)
awk -v w="$years_cold" -v m="$years_rss" -v reps="$reps" 'BEGIN {
  printf "five filing years (cold, 2 threads): median of %d runs %.2f s, peak RSS %.0f MB\n", reps, w, m/1024 }'
refresh_series "$years" "$years_cold" "five filing years"

# workbooks against the same rows as CSV (BENCH_BOOK_ROWS, default 300,000)
book_rows="${BENCH_BOOK_ROWS:-300000}"
books=$(input_of "$book_rows-seed7-books" "$book_rows" --seed 7 --workbooks)
plain=$(input_of "$book_rows-seed7-csv" "$book_rows" --seed 7)
for kind in books plain; do
  in=${!kind}
  read -r w m < <(timed RAYON_NUM_THREADS=2 "$bin" run --input "$in" --out "$dir/out-$kind" --as-of 2023-08-22 --quiet --no-cache)
  b=$(find "$in" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  n=$(tr -d '\n ' < "$dir/out-$kind/run.json" | sed -n 's/.*"rows_read":\([0-9]*\).*/\1/p')
  awk -v k="$kind" -v w="$w" -v m="$m" -v b="$b" -v n="$n" -v reps="$reps" 'BEGIN {
    printf "%s (%s rows, %.1f MB): median of %d runs %.2f s  %.1f MB/s  %.0f rows/s  peak RSS %.0f MB\n",
      (k == "books" ? "workbooks (.xlsx)" : "the same rows as CSV"), n, b/1e6, reps, w, b/1e6/w, n/w, m/1024 }'
done
cmp -s "$dir/out-books/indicators_court.csv" "$dir/out-plain/indicators_court.csv" || { echo "MISMATCH: workbooks and CSV give different court figures"; exit 1; }
echo "  workbook and CSV court tables identical"
