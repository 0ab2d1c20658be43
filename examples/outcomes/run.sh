#!/usr/bin/env bash
# The outcomes loop in one command: a 2026 call, its evaluated outcomes, a calibrated 2027
# selection. Writes into out/outcomes (or the folder given):
#   reserve.sqlite            the database the outcomes are imported into (one transaction)
#   outcomes.html/.xlsx       planned against actual, per project, domain, district, unit
#   2027/report.html ...      the 2027 selection on calibrated estimates, and
#   2027/calibration.html     both figures of every proposal and how the list changed
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-out/outcomes}
SELECTOR=${SELECTOR:-.venv/bin/selector}
mkdir -p "$OUT"
rm -f "$OUT/reserve.sqlite"
DB="$OUT/reserve.sqlite"
$SELECTOR outcomes import examples/outcomes/outcomes-2026.xlsx --year 2026 \
    --proposals examples/proposals.csv --db "$DB"
$SELECTOR outcomes report --year 2026 --out "$OUT" --db "$DB"
$SELECTOR outcomes calibrate --before 2027 --db "$DB"
$SELECTOR select examples/outcomes/proposals-2027.csv --rules examples/outcomes/rules-2027.toml \
    --calibrated --db "$DB" --out "$OUT/2027" --reserve 0
echo
echo "Open $OUT/outcomes.html (planned vs actual) and $OUT/2027/calibration.html."
