#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite (Debian's postgresql package) and print
# its address; `scripts/postgres_for_tests.sh stop DIR` stops it and removes DIR.
# Usage: url=$(scripts/postgres_for_tests.sh start DIR PORT)
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$1" in
  start)
    dir=$2 port=$3
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    # fsync off: a throwaway server whose data nobody keeps; many databases copied and dropped a second
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    echo "postgresql://postgres@127.0.0.1:$port/postgres";;
  stop)
    as_owner "$bin/pg_ctl" -D "$2/data" -m immediate stop >/dev/null || true
    rm -rf "$2";;
esac
