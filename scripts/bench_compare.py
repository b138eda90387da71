#!/usr/bin/env python3
"""make bench-compare: courtstat against the same court indicators in DuckDB SQL.

Development tool only (courtstat itself never runs Python). Needs the
`duckdb` package: `pip install duckdb`. Runs on a *clean* generated export
(UTF-8, standard header: `courtstat gen` without --messy), because DuckDB
cannot decode GB18030 without downloading an extension; both get 2 threads.
Checks that both agree court by court on the counts, then prints the times
and their ratio. Usage: bench_compare.py COURTSTAT_BIN WORK_DIR [ROWS]
"""
import csv, os, statistics, subprocess, sys, time

import duckdb

bin_, work = sys.argv[1], sys.argv[2]
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 2_500_000
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
inp = os.path.join(work, f"clean-{rows}-seed1")
if not os.path.exists(inp + ".done"):
    subprocess.run([bin_, "gen", "--out", inp, "--rows", str(rows), "--seed", "1"], check=True)
    open(inp + ".done", "w").close()
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(inp) for f in fs)
FROM, AS_OF = "2023-01-01", "2023-08-22"

SQL = f"""
SET threads = 2;
CREATE OR REPLACE TEMP TABLE causes AS SELECT * FROM read_csv('{root}/data/reference/causes.csv', header = true, all_varchar = true);
CREATE OR REPLACE TEMP TABLE raw AS
  SELECT *, row_number() OVER (PARTITION BY filename) AS line
  FROM read_csv('{inp}/**/*.csv', header = true, all_varchar = true, filename = true);
CREATE OR REPLACE TEMP TABLE parsed AS
  SELECT 案号 AS case_no,
         regexp_extract(案号, '）(冀[0-9]*)', 1) AS court_code,
         regexp_extract(案号, '冀[0-9]*([^0-9]+)[0-9]+号', 1) AS type_code,
         CAST(立案日期 AS DATE) AS filing, TRY_CAST(NULLIF(结案日期, '') AS DATE) AS closing,
         NULLIF(结案方式, '') AS method, 案由 AS cause,
         COALESCE(TRY_CAST(扣除审限天数 AS INTEGER), 0) + COALESCE(TRY_CAST(延长审限天数 AS INTEGER), 0) AS extra_days,
         TRY_CAST(NULLIF(更新时间, '') AS TIMESTAMP) AS updated_at, filename, line
  FROM raw;
CREATE OR REPLACE TEMP TABLE kept AS
  SELECT * FROM parsed
  QUALIFY row_number() OVER (PARTITION BY case_no ORDER BY updated_at DESC NULLS LAST, (closing IS NOT NULL) DESC, filename DESC, line DESC) = 1;
SELECT court_code,
  count(*) FILTER (filing >= DATE '{FROM}') AS filed,
  count(*) FILTER (filing >= DATE '{FROM}' OR closing IS NULL OR closing >= DATE '{FROM}') AS accepted,
  count(*) FILTER (closing BETWEEN DATE '{FROM}' AND DATE '{AS_OF}') AS closed,
  count(*) FILTER (closing BETWEEN DATE '{FROM}' AND DATE '{AS_OF}' AND method = '执行完毕') AS completed,
  count(*) FILTER (closing BETWEEN DATE '{FROM}' AND DATE '{AS_OF}' AND contract) AS contract_closed,
  count(*) FILTER (closing BETWEEN DATE '{FROM}' AND DATE '{AS_OF}' AND contract AND method = '执行完毕') AS contract_completed,
  count(*) FILTER (closing BETWEEN DATE '{FROM}' AND DATE '{AS_OF}' AND closing <= CAST(filing + INTERVAL 6 MONTH AS DATE) + extra_days) AS in_term
FROM (SELECT k.*, COALESCE(c.category = '合同', k.cause LIKE '%合同%' OR k.cause LIKE '%借款%' OR k.cause LIKE '%借贷%') AS contract
      FROM kept k LEFT JOIN causes c ON c.cause = k.cause)
WHERE type_code = '执' AND filing <= DATE '{AS_OF}'
GROUP BY court_code ORDER BY court_code
"""

def run_courtstat():
    out = os.path.join(work, "compare-out")
    t = time.perf_counter()
    subprocess.run([bin_, "run", "--input", inp, "--out", out, "--from", FROM, "--as-of", AS_OF, "--quiet", "--no-cache"],
                   check=True, env={**os.environ, "RAYON_NUM_THREADS": "2", "POLARS_MAX_THREADS": "2"})
    return time.perf_counter() - t, out

def run_duckdb():
    t = time.perf_counter()
    con = duckdb.connect()
    result = con.execute(SQL).fetchall()
    con.close()
    return time.perf_counter() - t, result

reps = int(os.environ.get("BENCH_REPS", "3"))
# alternated, so that the shared machine's load drifting over a minute
# weighs on both sides alike
cs, dk = [], []
for _ in range(reps):
    cs.append(run_courtstat())
    dk.append(run_duckdb())
ours = {}
with open(os.path.join(cs[-1][1], "indicators_court.csv"), encoding="utf-8-sig") as f:
    for r in csv.DictReader(f):
        ours[r["court_code"]] = r
cols = ["filed", "accepted", "closed", "completed", "contract_closed", "contract_completed", "in_term"]
mismatches = []
for row in dk[-1][1]:
    code, values = row[0], row[1:]
    mine = ours.get(code)
    for c, v in zip(cols, values):
        if mine is None or int(mine[c]) != v:
            mismatches.append((code, c, None if mine is None else mine[c], v))
t_cs = statistics.median(t for t, _ in cs)
t_dk = statistics.median(t for t, _ in dk)
print(f"input: {size / 1e6:.1f} MB clean export, {len(dk[-1][1])} courts with first-enforcement cases")
print(f"courtstat run (all tables, Parquet, manifest, report): median {t_cs:.2f} s, {size / 1e6 / t_cs:.0f} MB/s")
print(f"DuckDB SQL (court counts only):                   median {t_dk:.2f} s, {size / 1e6 / t_dk:.0f} MB/s")
print(f"ratio DuckDB / courtstat: {t_dk / t_cs:.2f}")
if mismatches:
    print(f"DISAGREE on {len(mismatches)} values, e.g. {mismatches[:5]}")
    sys.exit(1)
print(f"agree on {len(cols)} counts for every court")
