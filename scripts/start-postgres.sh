#!/usr/bin/env bash
# Start a local PostgreSQL cluster (Debian's) and export SELECTOR_PG_URL for the tests.
# Source it: `source scripts/start-postgres.sh`.
ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$ver" ]; then
  echo "PostgreSQL is not installed; reserve tests run on SQLite only" >&2
  return 0 2>/dev/null || exit 0
fi
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h localhost && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='selector'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE selector LOGIN PASSWORD 'selector' CREATEDB\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='selector_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O selector selector_test"
export SELECTOR_PG_URL="postgresql+psycopg://selector:selector@localhost:5432/selector_test"
echo "PostgreSQL ready at $SELECTOR_PG_URL"
