#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS server on loopback, for tests/postgis.rs.
#
#   cluster.sh start DIR    initdb in DIR, start on a free port on 127.0.0.1,
#                           create database `delimit` with the postgis
#                           extension; prints the port
#   cluster.sh stop DIR     stop it (DIR is then removed by the caller)
#
# Debian's postgresql and postgresql-15-postgis-3 (`make test-deps`). The
# server refuses to run as root, so as root it runs as `postgres`. Trust
# authentication, loopback only: it lives as long as one test.
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
      chown postgres: "$dir"
      # The caller's temporary folder is 0700; postgres must pass through it.
      chmod a+x "$(dirname "$dir")"
    fi
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -qAt -c "CREATE DATABASE delimit" >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -d delimit -qAt -c "CREATE EXTENSION postgis" >/dev/null
    echo "$port"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
