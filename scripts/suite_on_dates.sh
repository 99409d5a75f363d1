#!/usr/bin/env bash
# Run the test suite (browser tests excluded) with the process's system clock moved to each
# given moment (UTC) by libfaketime, to show that no test depends on the day it runs.
# Usage: scripts/suite_on_dates.sh ["2027-06-15 10:00:00" ...] [-- pytest args]
# Debian 12's libfaketime 0.9.10 hangs Python's timed waits (threading.Event.wait) or fails its
# sleeps; point QIPING_LIBFAKETIME at a newer build (git clone wolfcw/libfaketime && make:
# src/libfaketime.so.1). Without it the Debian `faketime` command is used.
set -euo pipefail
cd "$(dirname "$0")/.."
moments=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do moments+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
if [ ${#moments[@]} -eq 0 ]; then
  moments=("2025-03-01 10:00:00" "2026-02-18 02:00:00" "2026-10-03 02:00:00"
           "2026-12-31 16:30:00" "2026-12-31 23:59:00" "2027-06-15 10:00:00" "2030-12-31 18:00:00")
fi
if [ -z "${QIPING_LIBFAKETIME:-}" ]; then
  command -v faketime >/dev/null || { echo "needs faketime or QIPING_LIBFAKETIME" >&2; exit 2; }
fi
status=0
for moment in "${moments[@]}"; do
  echo "== system clock at $moment UTC"
  # "@": the clock starts at that moment and runs; only the wall clock moves, timeouts keep working
  if [ -n "${QIPING_LIBFAKETIME:-}" ]; then
    run=(env LD_PRELOAD="$QIPING_LIBFAKETIME" FAKETIME="@$moment" FAKETIME_DONT_FAKE_MONOTONIC=1)
  else
    run=(faketime "$moment")
  fi
  if ! TZ=UTC "${run[@]}" .venv/bin/python -m pytest -q -p no:cacheprovider -m "not browser" "$@"; then
    status=1
  fi
done
exit $status
