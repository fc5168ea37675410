#!/usr/bin/env bash
# The tests' throw-away PostgreSQL cluster (Debian's postgresql package):
#   postgres_cluster.sh start STATE   initdb into a fresh temporary folder, start the server on a
#                                     Unix socket there (no TCP), write its conninfo to STATE/conninfo
#   postgres_cluster.sh stop STATE    stop it and remove its folder
#   postgres_cluster.sh crash STATE   stop it the way a power cut would (pg_ctl stop -m immediate:
#                                     no checkpoint, recovery from the WAL at the next start)
#   postgres_cluster.sh resume STATE  start it again on its data
# As root the server runs as the unprivileged user "postgres" (the package creates it).
# OPOSSUM_POSTGRES_SETTINGS adds server settings at start, e.g. "-c shared_buffers=4GB" for the
# benchmark (the tests run on the server's defaults).
set -euo pipefail
action=${1:?start or stop}
state=$(realpath -m "${2:?state folder}")

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL server binaries not found under /usr/lib/postgresql (install Debian's postgresql; ./dev does)" >&2
  exit 1
fi
as_server() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

stop() {
  [ -f "$state/cluster" ] || return 0
  local dir
  dir=$(cat "$state/cluster")
  if [ -d "$dir/data" ]; then as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir" "$state/cluster" "$state/conninfo"
}

launch() {
  if ! as_server "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
      -o "-k $1 -c listen_addresses= -p 5432 -c max_connections=200 ${OPOSSUM_POSTGRES_SETTINGS:-}" \
      start >/dev/null; then
    cat "$1/server.log" >&2
    exit 1
  fi
}

case "$action" in
  start)
    mkdir -p "$state"
    stop
    # A short path under /tmp: the socket's path must fit in 107 bytes, and the server's user must
    # be able to reach it (the build tree may be under a private home).
    dir=$(mktemp -d /tmp/opossum-pg-XXXXXX)
    chmod 755 "$dir"
    echo "$dir" >"$state/cluster"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    if ! as_server "$bin/initdb" -D "$dir/data" -U opossum -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    launch "$dir"
    echo "host=$dir port=5432 user=opossum dbname=postgres" >"$state/conninfo"
    echo "PostgreSQL running: $(cat "$state/conninfo")"
    ;;
  stop)
    stop
    ;;
  crash)
    as_server "$bin/pg_ctl" -D "$(cat "$state/cluster")/data" -m immediate -w stop >/dev/null
    ;;
  resume)
    launch "$(cat "$state/cluster")"
    ;;
  *)
    echo "usage: $0 start|stop|crash|resume STATE" >&2
    exit 2
    ;;
esac
