#!/usr/bin/env python3
"""Reads every Parquet file of a published courtstat folder with each
reader installed here and checks that they all see the same table.

    python3 scripts/check_parquet.py out/hebei

Readers (each used when it imports): pyarrow (plain, keeping every text
column's dictionary, and with a filter on each text column), pandas (plain
and filtered), polars, DuckDB and fastparquet (plain, and, for files of one
row group, with the dictionary-encoded text columns as categories). For every file it compares
the row count, every column's null count and, for each text column, the
count of every value with pyarrow's plain read, and checks that text
columns are plain strings (not string_view or large_string). A reader that
fails counts as a disagreement. Exit 1 on any. Nothing here is used by
courtstat itself: it is the check of docs/decisions/0005-parquet-readers.md.
"""
import collections
import glob
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def counts(values):
    """Each value's count; NaN and None both count as null."""
    return collections.Counter(None if v is None or v != v else v for v in values)


def optional(name):
    try:
        return __import__(name)
    except ImportError:
        print(f"({name} not installed: skipped)")
        return None


class File:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.base = pq.read_table(path)
        schema = self.base.schema
        self.texts = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type) or pa.types.is_string_view(f.type)]
        self.nulls = {c: self.base.column(c).null_count for c in self.base.column_names}
        self.want = {c: counts(self.base.column(c).to_pylist()) for c in self.texts}
        md = pq.ParquetFile(path).metadata
        # fastparquet's categories take one row group's dictionary for all
        # row groups (pyarrow's own files of several row groups read wrong
        # the same way): they are tried on files of one row group only
        self.encoded = [
            c for j, c in enumerate(self.base.column_names)
            if c in self.texts and md.num_row_groups == 1 and md.row_group(0).column(j).dictionary_page_offset is not None
        ]


class Check:
    def __init__(self):
        self.failures = 0

    def __call__(self, what, ok, detail=""):
        if not ok:
            self.failures += 1
            print(f"  MISMATCH {what} {detail}")

    def guarded(self, what, fn):
        try:
            fn()
            return True
        except Exception as e:
            self(what, False, f"{type(e).__name__}: {e}")
            return False


def types(f, check):
    for field in f.base.schema:
        if field.name in f.texts:
            check(f"{f.name}.{field.name}: type", pa.types.is_string(field.type), str(field.type))


def kept_dictionaries(f, check):
    kept = pq.read_table(f.path, read_dictionary=f.texts)
    for c in f.texts:
        col = kept.column(c)
        by_index = collections.Counter()
        for chunk in col.chunks:
            if pa.types.is_dictionary(chunk.type):
                d = chunk.dictionary.to_pylist()
                check(f"{f.name}.{c}: distinct dictionary entries", len(d) == len(set(d)))
                for i in chunk.indices.to_pylist():
                    by_index[None if i is None else d[i]] += 1
            else:
                by_index.update(chunk.to_pylist())
        check(f"{f.name}.{c}: counts through the kept dictionary", by_index == f.want[c])
        vc = pc.value_counts(col.combine_chunks().dictionary_decode() if pa.types.is_dictionary(col.type) else col)
        got = collections.Counter({v["values"]: v["counts"] for v in vc.to_pylist() if v["values"] is not None})
        check(f"{f.name}.{c}: value_counts with read_dictionary", got == collections.Counter({k: v for k, v in f.want[c].items() if k is not None}))


def filters(f, check, pandas):
    for c in f.texts:
        first = next((v for v in f.base.column(c).to_pylist() if v is not None), None)
        if first is None:
            continue
        n = pq.read_table(f.path, filters=[(c, "==", first)]).num_rows
        check(f"{f.name}.{c}: pyarrow filter", n == f.want[c][first], f"{n} != {f.want[c][first]}")
        if pandas:
            n = len(pandas.read_parquet(f.path, filters=[(c, "==", first)]))
            check(f"{f.name}.{c}: pandas filter", n == f.want[c][first], f"{n} != {f.want[c][first]}")


def with_pandas(f, check, pandas):
    df = pandas.read_parquet(f.path)
    check(f"{f.name}: pandas rows", len(df) == f.base.num_rows)
    for c in f.texts:
        check(f"{f.name}.{c}: pandas counts", counts(df[c].tolist()) == f.want[c])


def with_polars(f, check, polars):
    df = polars.read_parquet(f.path)
    check(f"{f.name}: polars rows", df.height == f.base.num_rows)
    for c in f.base.column_names:
        check(f"{f.name}.{c}: polars nulls", df[c].null_count() == f.nulls[c])
    for c in f.texts:
        check(f"{f.name}.{c}: polars counts", counts(df[c].to_list()) == f.want[c])


def with_duckdb(f, check, duckdb):
    con = duckdb.connect()
    n = con.execute("select count(*) from read_parquet(?)", [f.path]).fetchone()[0]
    check(f"{f.name}: duckdb rows", n == f.base.num_rows)
    for c in f.texts:
        rows = con.execute(f'select "{c}", count(*) from read_parquet(?) group by 1', [f.path]).fetchall()
        check(f"{f.name}.{c}: duckdb counts", collections.Counter(dict(rows)) == f.want[c])


def with_fastparquet(f, check, fastparquet):
    pf = fastparquet.ParquetFile(f.path)
    kinds = [("plain", pf.to_pandas())]
    if f.encoded:
        kinds.append(("categories", pf.to_pandas(categories=f.encoded)))
    for kind, df in kinds:
        check(f"{f.name}: fastparquet {kind} rows", len(df) == f.base.num_rows)
        for c in f.texts:
            check(f"{f.name}.{c}: fastparquet {kind} counts", counts(df[c].astype(object).tolist()) == f.want[c])


def main(folder):
    readers = {n: optional(n) for n in ["pandas", "polars", "duckdb", "fastparquet"]}
    check = Check()
    for path in sorted(glob.glob(os.path.join(folder, "*.parquet"))):
        f = File(path)
        seen = [f"pyarrow {f.base.num_rows}"]
        types(f, check)
        for label, fn in [
            ("pyarrow read_dictionary", lambda: kept_dictionaries(f, check)),
            ("pyarrow filters", lambda: filters(f, check, readers["pandas"])),
            ("pandas", readers["pandas"] and (lambda: with_pandas(f, check, readers["pandas"]))),
            ("polars", readers["polars"] and (lambda: with_polars(f, check, readers["polars"]))),
            ("duckdb", readers["duckdb"] and (lambda: with_duckdb(f, check, readers["duckdb"]))),
            ("fastparquet" + (" (plain and categories)" if f.encoded else ""), readers["fastparquet"] and (lambda: with_fastparquet(f, check, readers["fastparquet"]))),
        ]:
            if fn and check.guarded(f"{f.name}: {label}", fn):
                seen.append(label)
        print(f"{f.name}: {f.base.num_rows} rows, {len(f.texts)} text columns; read by " + ", ".join(seen))
    print("all readers agree" if check.failures == 0 else f"{check.failures} disagreements")
    return 1 if check.failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_parquet.py OUT_DIR")
    sys.exit(main(sys.argv[1]))
