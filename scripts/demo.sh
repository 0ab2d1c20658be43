#!/usr/bin/env bash
# The main job on the bundled example: validate, select under the example's rules, report.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
$BIN/selector validate examples/proposals.csv --rules examples/rules.toml
$BIN/selector select examples/proposals.csv --rules examples/rules.toml --out out/demo
