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
.venv/bin/python -m pytest "$@"
# The same suite again on PostgreSQL: a throwaway server started here, each test's database a
# PostgreSQL database copied from a migrated template (tests/pg_support.py).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  [ "${CI:-}" = true ] && { echo "PostgreSQL is missing: the PostgreSQL pass cannot run" >&2; exit 1; }
  echo "PostgreSQL not installed: the PostgreSQL pass is skipped (apt-get install postgresql)"; exit 0
fi
pg_dir=$(mktemp -d /tmp/qiping-pg.XXXXXX)
trap 'scripts/postgres_for_tests.sh stop "$pg_dir"' EXIT
url=$(scripts/postgres_for_tests.sh start "$pg_dir" "${QIPING_TEST_PG_PORT:-55439}")
echo "PostgreSQL pass: $url"
# Every test but the browser's (the same pages, services and SQL as on SQLite), and the browser tests
# of several counties and the city office: keeps the whole CI run under half an hour.
QIPING_TEST_DATABASE_URL="$url" .venv/bin/python -m pytest -m "not browser or postgres_browser" "$@"
