#!/usr/bin/env bash
# `make demo`: validate the bundled example, select under its rules (every rule family) and
# write every report (HTML, Markdown, JSON, Excel, CSV and the public notice) into out/demo,
# in Chinese. The same two commands as the README's "Command line" section.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=out/demo
$BIN/selector validate examples/proposals.csv --rules examples/rules.toml
$BIN/selector select examples/proposals.csv --rules examples/rules.toml --out "$OUT" --quiet
echo
echo "打开 $OUT/report.html（评审报告）和 $OUT/public.html（公示名单）。"
echo "Open $OUT/report.html (committee report) and $OUT/public.html (public notice)."
