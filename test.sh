#!/usr/bin/env bash
# Set up and run every test, browser tests included.
# Debian packages the tests use: chromium (browser tests, driven by Playwright),
# fonts-noto-cjk (the Chinese font embedded in the PDF bulletin) and
# poppler-utils (pdftoppm, to look at the bulletin as an image) and nginx (two app
# processes behind it with sticky sessions, tests/browser/test_sticky_sessions.py). As root this
# script installs whichever is missing. Without Chromium (or nginx) the browser tests
# that need it are skipped, except in CI (CI=true), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
