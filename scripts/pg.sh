#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, listening on 127.0.0.1 only.
#
#   scripts/pg.sh start DIR PORT   # initdb (first time) into DIR, start, wait; prints the URI
#   scripts/pg.sh uri DIR          # prints postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg.sh newdb DIR NAME   # creates database NAME; prints its URI
#   scripts/pg.sh stop DIR         # stops the cluster by its pid file (DIR is kept)
#
# DIR holds the data directory (DIR/data), the unix socket, the server log
# (DIR/server.log) and the port (DIR/port). The superuser is "postgres" with
# trust authentication, so the URI needs no password. Durability is switched
# off: the data is thrown away after the run. As root, the server runs as the
# "postgres" user (PostgreSQL refuses to run as root), so DIR is given to it
# and its parent folders must be traversable by it (a folder in /tmp is).
# Needs the PostgreSQL server binaries (Debian: postgresql).
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT | uri DIR | newdb DIR NAME | stop DIR" >&2; exit 2; }
cmd=${1:-}
[ -n "${2:-}" ] || usage
DIR=$(realpath -m "$2")
DATA=$DIR/data
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

# Runs a command as the user the cluster belongs to.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/bash -c "cd / && $*"
  else
    bash -c "$*"
  fi
}

uri() { echo "postgres://postgres@127.0.0.1:$(cat "$DIR/port")/${1:-postgres}"; }

# The postmaster's pid, if one from this DIR is running.
running_pid() {
  local pid
  pid=$(head -1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name an unrelated process that reused the pid.
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  echo "$pid"
}

case "$cmd" in
start)
  PORT=${3:-}
  [[ "$PORT" =~ ^[0-9]+$ ]] || usage
  [ -n "$PGBIN" ] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  if pid=$(running_pid); then
    echo "pg.sh: a cluster is already running in $DIR (pid $pid)" >&2
    exit 1
  fi
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    # C.UTF-8 exists on every Debian system and sorts by code point, as
    # parsec's SQLite engine does.
    as_pg "'$PGBIN/initdb' -D '$DATA' -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8" \
      >"$DIR/initdb.log" 2>&1 || { echo "pg.sh: initdb failed:" >&2; cat "$DIR/initdb.log" >&2; exit 1; }
    # Trust only the unix socket and 127.0.0.1: nothing else may connect.
    as_pg "printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 trust' >'$DATA/pg_hba.conf'"
    as_pg "echo \"include 'parsec-test.conf'\" >>'$DATA/postgresql.conf'"
  fi
  # Rewritten at every start so a restart may take another port. Every
  # spawned parsec keeps a pool of connections, and the suites run many
  # servers one after another (and a few side by side): 300 leaves room.
  as_pg "cat >'$DATA/parsec-test.conf'" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  echo "$PORT" >"$DIR/port"
  as_pg "'$PGBIN/pg_ctl' -D '$DATA' -l '$DIR/server.log' -w -t 60 start" >/dev/null ||
    { echo "pg.sh: postgres did not start:" >&2; tail -20 "$DIR/server.log" >&2; exit 1; }
  for _ in $(seq 1 100); do
    if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres; then uri; exit 0; fi
    sleep 0.1
  done
  echo "pg.sh: postgres does not accept connections on 127.0.0.1:$PORT" >&2
  exit 1
  ;;
uri)
  [ -f "$DIR/port" ] || { echo "pg.sh: no cluster in $DIR" >&2; exit 1; }
  uri
  ;;
newdb)
  NAME=${3:-}
  [[ "$NAME" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "pg.sh: database names here are [a-z_][a-z0-9_]*" >&2; exit 2; }
  [ -f "$DIR/port" ] || { echo "pg.sh: no cluster in $DIR" >&2; exit 1; }
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$DIR/port")" -U postgres -d postgres \
    -c "CREATE DATABASE $NAME" >/dev/null
  uri "$NAME"
  ;;
stop)
  pid=$(running_pid) || exit 0
  # SIGINT is PostgreSQL's fast shutdown: sessions are ended, no waiting.
  kill -INT "$pid"
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  echo "pg.sh: postgres (pid $pid) still running 30 s after SIGINT; sending SIGQUIT" >&2
  kill -QUIT "$pid" 2>/dev/null || true
  ;;
*)
  usage
  ;;
esac
