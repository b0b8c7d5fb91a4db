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

status=0
echo "=== pytest on SQLite (every test) ==="
"$UV" run --frozen pytest -p no:cacheprovider "$@" || status=$?

echo "=== pytest on PostgreSQL (every database test) ==="
pg_status=0
REMPART_DATABASE_URL="$REMPART_PG_URL" REMPART_TEST_EXPECT_DB=postgresql \
  "$UV" run --frozen pytest -p no:cacheprovider -m db "$@" || pg_status=$?

if [ "$status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "FAILED: SQLite run exit $status, PostgreSQL run exit $pg_status" >&2
  exit 1
fi
echo "All tests passed on SQLite and PostgreSQL."
