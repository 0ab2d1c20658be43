#!/usr/bin/env bash
# `make demo`: validate the bundled example, select under its rules, and write every report
# (HTML, Markdown, JSON, Excel, CSV and the public list) into out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=out/demo
$BIN/selector validate examples/proposals.csv --rules examples/rules.toml
$BIN/selector select examples/proposals.csv --rules examples/rules.toml --out "$OUT" --lang zh
echo
echo "Open $OUT/report.html (committee report) and $OUT/public.html (public list)."
