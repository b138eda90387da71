# courtstat — the targets statisticians and the scheduler run.
# One cargo profile (release) serves run, test and bench, so nothing builds twice.
CARGO ?= cargo
# One target folder for make, cargo and CI: the one CI caches
# (~/.cache/courtstat/target), with ./target a link to it, so that a
# `make run` after CI on the same machine builds nothing again. A checkout
# that already has a ./target folder of its own keeps using it.
CARGO_TARGET_DIR ?= $(if $(wildcard target/release target/debug target/.rustc_info.json),$(CURDIR)/target,$(HOME)/.cache/courtstat/target)
export CARGO_TARGET_DIR
BIN := $(CARGO_TARGET_DIR)/release/courtstat
SHARED ?= ../shared

.PHONY: all build run run-2024 refresh report-check bench-compare test lint fmt fmt-check conformance sample bench soak fuzz clean

all: build

build:
	@mkdir -p $(CARGO_TARGET_DIR)
	@[ -e target ] || ln -s $(CARGO_TARGET_DIR) target
	$(CARGO) build --release --locked

## run: the default pipeline (pipelines/hebei.toml) on data/sample
run: build
	$(BIN) run pipelines/hebei.toml

## run-2024: the sample with ranking off, reference intervals and 同比 (pipelines/hebei-2024.toml)
run-2024: build
	$(BIN) run pipelines/hebei-2024.toml

## refresh: the nightly job: 1 January of today's year to today (pipelines/hebei-nightly.toml has no dates)
refresh: build
	$(BIN) run pipelines/hebei-nightly.toml

## report-check: render report.html in headless Chromium, keep the screenshot in out/
report-check: build
	mkdir -p out
	COURTSTAT_REQUIRE_BROWSER=1 COURTSTAT_SCREENSHOT_DIR=$(CURDIR)/out $(CARGO) test --release --locked --test it report:: -- --nocapture
	@ls -l out/report.png 2>/dev/null || echo "no screenshot (Chromium missing?)"

## test: unit, property and end-to-end tests (self-contained)
test:
	$(CARGO) test --release --locked

lint:
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

## conformance: the contract's public scenarios (needs ../shared)
conformance: build
	$(SHARED)/conformance/check $(BIN)

## sample: regenerate data/sample (committed; rerun only on purpose)
sample: build
	rm -rf data/sample
	$(BIN) gen --out data/sample --rows 2400 --seed 7 --messy --cities 承德市,唐山市 --export-date 2023-08-25
	rm -rf $(CARGO_TARGET_DIR)/sample-books
	$(BIN) gen --out $(CARGO_TARGET_DIR)/sample-books --rows 400 --seed 7 --workbooks --cities 秦皇岛市 --export-date 2023-08-25
	mkdir -p data/sample/秦皇岛市
	cp $(CARGO_TARGET_DIR)/sample-books/秦皇岛市/卢龙县人民法院_执行案件_20230825.xlsx data/sample/秦皇岛市/

## bench: throughput, rows/s, peak RSS and stage times on 2.5M generated rows
bench: build
	scripts/bench.sh $(BIN)

## bench-compare: courtstat against the same court indicators in DuckDB SQL
## (needs the Python package duckdb: pip install duckdb)
bench-compare: build
	@python3 -c 'import duckdb' 2>/dev/null || { echo "bench-compare needs DuckDB: pip install duckdb"; exit 1; }
	mkdir -p $(CARGO_TARGET_DIR)/bench
	python3 scripts/bench_compare.py $(BIN) $(CARGO_TARGET_DIR)/bench

## soak: the crash-safety test with 500 kills instead of 20
soak:
	COURTSTAT_KILL_ITERATIONS=500 $(CARGO) test --release --locked --test it crash:: -- --nocapture

## fuzz: every property test (parsers, codecs, dedup, chunking) with 100,000 cases each
fuzz:
	PROPTEST_CASES=100000 $(CARGO) test --release --locked --lib

clean:
	rm -rf out
