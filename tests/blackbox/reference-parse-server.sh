#!/usr/bin/env bash
# Starts / stops a reference parse-server 9.x on PostgreSQL so the black-box
# suite can be checked against it (loopback only).
#
#   ./reference-parse-server.sh start [DIR]   # install (first time), start postgres + parse-server
#   ./reference-parse-server.sh env [DIR]     # print the variables for ./run.sh
#   ./reference-parse-server.sh stop [DIR]
#
# DIR defaults to /tmp/parsec-reference.  Ports: REF_PS_PORT (default 14000)
# for parse-server, REF_PG_PORT (default 14050) for postgres.  Needs Node 20,
# npm and PostgreSQL server binaries (Debian: postgresql).  When run as root,
# postgres runs as the "postgres" user.
# router is pinned to 2.2.0 (npm override): with later versions POST /batch
# answers 500.
set -euo pipefail

cmd=${1:-}
DIR=${2:-/tmp/parsec-reference}
PS_PORT=${REF_PS_PORT:-14000}
PG_PORT=${REF_PG_PORT:-14050}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

print_env() {
  cat <<EOF
export TARGET_KIND=parse-server
export TARGET_URL=http://127.0.0.1:$PS_PORT/parse
export PARSE_SERVER_CLI=$DIR/ps/node_modules/parse-server/bin/parse-server
export TARGET_DATABASE_URI=postgres://postgres@127.0.0.1:$PG_PORT/parse
EOF
}

case "$cmd" in
start)
  [ -n "$PGBIN" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  mkdir -p "$DIR/ps"
  if [ ! -d "$DIR/ps/node_modules/parse-server" ]; then
    (cd "$DIR/ps" && cat > package.json <<'EOF'
{
  "name": "parsec-reference",
  "private": true,
  "dependencies": { "parse-server": "^9.0.0", "router": "2.2.0" },
  "overrides": { "router": "2.2.0" }
}
EOF
    npm install --no-audit --no-fund >npm.log 2>&1) || { echo "npm install failed, see $DIR/ps/npm.log" >&2; exit 1; }
  fi
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/pg"
    as_pg "$PGBIN/initdb -D '$DIR/pg' -U postgres --auth=trust" >"$DIR/initdb.log" 2>&1
  fi
  if ! as_pg "$PGBIN/pg_ctl -D '$DIR/pg' status" >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl -D '$DIR/pg' -o '-p $PG_PORT -k /tmp -h 127.0.0.1' -l '$DIR/pg/server.log' -w start" >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='parse'" | grep -q 1 ||
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE parse' >/dev/null
  cat > "$DIR/ps-config.json" <<EOF
{
  "appId": "app", "masterKey": "master", "restAPIKey": "rest", "javascriptKey": "js", "clientKey": "client",
  "port": $PS_PORT, "host": "127.0.0.1", "mountPath": "/parse",
  "serverURL": "http://127.0.0.1:$PS_PORT/parse",
  "databaseURI": "postgres://postgres@127.0.0.1:$PG_PORT/parse",
  "allowClientClassCreation": true, "maxUploadSize": "1mb", "logLevel": "error"
}
EOF
  if [ -f "$DIR/ps.pid" ] && kill -0 "$(cat "$DIR/ps.pid")" 2>/dev/null; then
    echo "parse-server already running (pid $(cat "$DIR/ps.pid"))" >&2
  else
    cd "$DIR" # parse-server writes ./logs
    nohup node "$DIR/ps/node_modules/parse-server/bin/parse-server" "$DIR/ps-config.json" >"$DIR/ps.log" 2>&1 &
    echo $! >"$DIR/ps.pid"
  fi
  for _ in $(seq 1 150); do
    if curl -sf "http://127.0.0.1:$PS_PORT/parse/health" >/dev/null 2>&1; then print_env; exit 0; fi
    sleep 0.2
  done
  echo "parse-server did not become healthy; see $DIR/ps.log" >&2
  exit 1
  ;;
env)
  print_env
  ;;
stop)
  if [ -f "$DIR/ps.pid" ]; then
    pid=$(cat "$DIR/ps.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$DIR/ps.pid"
  fi
  if [ -n "$PGBIN" ] && [ -f "$DIR/pg/PG_VERSION" ]; then
    as_pg "$PGBIN/pg_ctl -D '$DIR/pg' -m fast stop" >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: $0 start|env|stop [DIR]" >&2
  exit 2
  ;;
esac
