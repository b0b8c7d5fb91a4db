#!/usr/bin/env bash
# The whole test suite: every test on SQLite, then every database test again on a throwaway
# PostgreSQL cluster. Exits non-zero when any test fails, or when PostgreSQL cannot be started.
# Extra arguments go to both pytest runs (for example: scripts/test.sh tests/domain -x).
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
export UV_PYTHON_DOWNLOADS=never
export REMPART_ENV=test DJANGO_ALLOW_ASYNC_UNSAFE=true
unset REMPART_DATABASE_URL

scripts/ensure-chromium.sh
scripts/ensure-libdmtx.sh
# shellcheck source=scripts/pg-throwaway.sh
source scripts/pg-throwaway.sh
pg_start

# The two runs share nothing (their own database, free ports, per-process temporary files),
# so by default they run side by side, one per core; the PostgreSQL run's output is printed
# after the SQLite run's. REMPART_TEST_SERIAL=1 runs them one after the other.
pg_run() {
  REMPART_DATABASE_URL="$REMPART_PG_URL" REMPART_TEST_EXPECT_DB=postgresql \
    "$UV" run --frozen pytest -p no:cacheprovider -m db "$@"
}

status=0
pg_status=0
if [ "${REMPART_TEST_SERIAL:-0}" = 1 ]; then
  echo "=== pytest on SQLite (every test) ==="
  "$UV" run --frozen pytest -p no:cacheprovider "$@" || status=$?
  echo "=== pytest on PostgreSQL (every database test) ==="
  pg_run "$@" || pg_status=$?
else
  pg_log=$(mktemp /tmp/rempart-pg-tests.XXXXXX)
  pg_run "$@" >"$pg_log" 2>&1 &
  pg_pid=$!
  trap 'kill "$pg_pid" 2>/dev/null; pg_stop; exit 130' INT TERM
  echo "=== pytest on SQLite (every test; the PostgreSQL run goes on beside it) ==="
  "$UV" run --frozen pytest -p no:cacheprovider "$@" || status=$?
  wait "$pg_pid" || pg_status=$?
  echo "=== pytest on PostgreSQL (every database test) ==="
  cat "$pg_log"
  rm -f "$pg_log"
fi

if [ "$status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "FAILED: SQLite run exit $status, PostgreSQL run exit $pg_status" >&2
  exit 1
fi
echo "All tests passed on SQLite and PostgreSQL."
