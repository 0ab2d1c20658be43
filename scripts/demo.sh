#!/usr/bin/env bash
# `make demo`: validate the bundled example, select under its rules, and write every report
# (HTML, Markdown, JSON, Excel, CSV and the public list) into out/demo; record the year's
# reserve in out/demo/reserve.sqlite and list it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=out/demo
$BIN/selector validate examples/proposals.csv --rules examples/rules.toml
$BIN/selector select examples/proposals.csv --rules examples/rules.toml --out "$OUT" --lang zh
# The year's reserve in a fresh SQLite store, then the list a planner reads.
rm -f "$OUT/reserve.sqlite" "$OUT/reserve.sqlite-wal" "$OUT/reserve.sqlite-shm"
$BIN/selector reserve add examples/proposals.csv --rules examples/rules.toml --year 2026 \
    --top 10 --db "$OUT/reserve.sqlite" > /dev/null
$BIN/selector reserve list --db "$OUT/reserve.sqlite"
echo
echo "Open $OUT/report.html (committee report) and $OUT/public.html (public list)."
