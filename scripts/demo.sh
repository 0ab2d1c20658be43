#!/usr/bin/env bash
# `make demo`: validate the bundled example, select under its rules (every rule family), and
# write every report (HTML, Markdown, JSON, Excel, CSV and the public list) into out/demo.
# The five best runner-ups are scored and explained by re-solving (a few minutes: each claim
# in "why it missed" is checked by its own solves).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=out/demo
$BIN/selector validate examples/proposals.csv --rules examples/rules.toml
$BIN/selector select examples/proposals.csv --rules examples/rules.toml --out "$OUT" --lang zh \
    --reserve 5
echo
echo "Open $OUT/report.html (committee report) and $OUT/public.html (public list)."
