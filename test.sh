#!/usr/bin/env bash
# Set up and run every test, browser tests included.
# Debian packages the tests use: chromium (browser tests, driven by Playwright),
# fonts-noto-cjk (the Chinese font embedded in the PDF bulletin) and
# poppler-utils (pdftoppm, to look at the bulletin as an image), nginx (two app
# processes behind it with sticky sessions, tests/browser/test_sticky_sessions.py) and
# postgresql (the second pass: the same suite on a real PostgreSQL server, DESIGN §7).
# As root this script installs whichever is missing. Without Chromium (or nginx) the
# browser tests that need it are skipped, and without PostgreSQL the second pass,
# except in CI (CI=true), where either is a failure.
set -euo pipefail
cd "$(dirname "$0")"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
scripts/setup.sh requirements-dev.txt

# The PostgreSQL pass: every test without a browser, and the counties' isolation and the city office's
# journey in a browser, on a throwaway PostgreSQL server started here, each database a test opens a
# PostgreSQL database copied from a migrated template (tests/pg_support.py). It runs beside the SQLite
# pass, to keep the whole CI run well under half an hour.
postgres_pass=(-m "not browser or postgres_browser" tests)
pg_pid=""
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pg_dir=$(mktemp -d /tmp/qiping-pg.XXXXXX)
  trap 'scripts/postgres_for_tests.sh stop "$pg_dir"' EXIT
  trap 'exit 130' INT TERM  # so that the EXIT trap stops the server when the run is stopped
  url=$(scripts/postgres_for_tests.sh start "$pg_dir" "${QIPING_TEST_PG_PORT:-55439}")
  QIPING_TEST_DATABASE_URL="$url" .venv/bin/python -m pytest "${postgres_pass[@]}" "$@" >"$pg_dir/pytest.log" 2>&1 &
  pg_pid=$!
elif [ "${CI:-}" = true ]; then
  echo "PostgreSQL is missing: the PostgreSQL pass cannot run" >&2; exit 1
else
  echo "PostgreSQL not installed: the PostgreSQL pass is skipped (apt-get install postgresql)"
fi

passed() { [ "$1" = 0 ] || [ "$1" = 5 ]; }  # 5: nothing selected (e.g. -k matched nothing there)
status=0
echo "SQLite pass, tests without a browser:"
.venv/bin/python -m pytest -m "not browser" "$@" || status=$?
passed $status || failed=1
echo "SQLite pass, browser tests:"
status=0; .venv/bin/python -m pytest -m browser "$@" || status=$?
passed $status || failed=1
if [ -n "$pg_pid" ]; then
  status=0; wait "$pg_pid" || status=$?
  echo "PostgreSQL pass ($url): ${postgres_pass[*]}"
  cat "$pg_dir/pytest.log"
  passed $status || failed=1
fi
exit "${failed:-0}"
