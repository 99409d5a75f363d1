#!/usr/bin/env bash
# Set up and run every test, browser tests included.
# Browser tests drive Debian's Chromium (/usr/bin/chromium); as root this script
# installs it when missing. Without it they are skipped, except in CI
# (CI=true), where a missing browser is a failure.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
scripts/setup.sh requirements-dev.txt
exec .venv/bin/python -m pytest "$@"
