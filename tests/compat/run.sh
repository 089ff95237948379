#!/usr/bin/env bash
# Two-way storage compatibility test between parsec and parse-server 9.x on
# PostgreSQL: one server writes a database, is stopped, the other serves it.
#
#   tests/compat/run.sh [PARSEC_BIN]
#
# PARSEC_BIN defaults to build/parsec.  Everything listens on 127.0.0.1.
# Environment (defaults in brackets):
#   COMPAT_DIR         scratch dir, wiped at start: cluster, logs [/tmp/parsec-compat]
#   COMPAT_CACHE       parse-server install, kept between runs [$HOME/.cache/parsec-compat]
#   COMPAT_PG_PORT     scratch PostgreSQL cluster [15460]
#   COMPAT_PS_PORT     parse-server [15461]
#   COMPAT_PARSEC_PORT parsec [15462]
#   COMPAT_PAIRS       writer:reader pairs, comma separated
#                      [parse-server:parsec,parsec:parse-server]
#                      parse-server:parse-server checks the harness itself;
#                      parsec:parsec checks parsec alone on PostgreSQL.
#   COMPAT_KEEP=1      leave the cluster running at the end (for psql).
# Needs Node >= 20, npm, PostgreSQL server binaries (Debian: postgresql) and
# psql.  As root, postgres runs as the "postgres" user.
# router is pinned to 2.2.0 (npm override): with 2.3.0 POST /batch answers 500.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PARSEC_BIN=${1:-${PARSEC_BIN:-$ROOT/build/parsec}}
COMPAT_DIR=${COMPAT_DIR:-/tmp/parsec-compat}
COMPAT_CACHE=${COMPAT_CACHE:-${HOME:-/root}/.cache/parsec-compat}
PG_PORT=${COMPAT_PG_PORT:-15460}
PS_PORT=${COMPAT_PS_PORT:-15461}
PARSEC_PORT=${COMPAT_PARSEC_PORT:-15462}
PAIRS=${COMPAT_PAIRS:-parse-server:parsec,parsec:parse-server}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

die() { echo "compat: $*" >&2; exit 1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

[ -n "$PGBIN" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed"
case ",$PAIRS," in
*parsec*) [ -x "$PARSEC_BIN" ] || die "parsec binary not found at $PARSEC_BIN (build it or pass its path)";;
esac
for p in "$PG_PORT" "$PS_PORT" "$PARSEC_PORT"; do
  port_busy "$p" && die "port $p is already in use on 127.0.0.1; set COMPAT_*_PORT"
done

# ---------------------------------------------------------------- parse-server
t0=$(date +%s)
PS_DIR=$COMPAT_CACHE/ps
if [ ! -f "$PS_DIR/node_modules/parse-server/package.json" ] || [ ! -f "$PS_DIR/.installed" ]; then
  echo "compat: installing parse-server 9.x into $PS_DIR"
  mkdir -p "$PS_DIR"
  cat > "$PS_DIR/package.json" <<'EOF'
{
  "name": "parsec-compat-reference",
  "private": true,
  "dependencies": { "parse-server": "^9.0.0", "router": "2.2.0" },
  "overrides": { "router": "2.2.0" }
}
EOF
  (cd "$PS_DIR" && npm install --no-audit --no-fund >npm.log 2>&1) ||
    die "npm install failed, see $PS_DIR/npm.log"
  touch "$PS_DIR/.installed"
fi
PS_VERSION=$(node -p "require('$PS_DIR/node_modules/parse-server/package.json').version")
ROUTER_VERSION=$(node -p "require('$PS_DIR/node_modules/router/package.json').version")
case "$PS_VERSION" in 9.*) ;; *) die "parse-server $PS_VERSION installed, 9.x expected";; esac
[ "$ROUTER_VERSION" = 2.2.0 ] || die "router $ROUTER_VERSION installed, 2.2.0 expected"
t1=$(date +%s)

# ---------------------------------------------------------------- postgres
# A scratch cluster (scripts/pg.sh) in $COMPAT_DIR/pg, the only one touched.
PGDIR=$COMPAT_DIR/pg
if [ -f "$COMPAT_DIR/.parsec-compat" ]; then
  "$ROOT/scripts/pg.sh" stop "$PGDIR" || true
fi
# COMPAT_DIR is wiped, so only a directory this script made (it holds the
# marker file) or a missing one is accepted.
if [ -e "$COMPAT_DIR" ] && [ ! -f "$COMPAT_DIR/.parsec-compat" ]; then
  die "$COMPAT_DIR exists and was not made by this script; remove it or set COMPAT_DIR"
fi
rm -rf "$COMPAT_DIR"
mkdir -p "$COMPAT_DIR/logs"
touch "$COMPAT_DIR/.parsec-compat"

stop_pg() {
  if [ "${COMPAT_KEEP:-0}" = 1 ]; then
    echo "compat: cluster left running: psql -h 127.0.0.1 -p $PG_PORT -U postgres (stop: scripts/pg.sh stop $PGDIR)"
  else
    "$ROOT/scripts/pg.sh" stop "$PGDIR" || true
  fi
}
trap stop_pg EXIT
"$ROOT/scripts/pg.sh" start "$PGDIR" "$PG_PORT" >/dev/null || die "postgres did not start"

# ---------------------------------------------------------------- test
export COMPAT_DIR COMPAT_PAIRS="$PAIRS"
export COMPAT_PG_URI_BASE="postgres://postgres@127.0.0.1:$PG_PORT"
export COMPAT_PG_PORT=$PG_PORT COMPAT_PS_PORT=$PS_PORT COMPAT_PARSEC_PORT=$PARSEC_PORT
export COMPAT_PARSE_SERVER_CLI=$PS_DIR/node_modules/parse-server/bin/parse-server
export COMPAT_PARSEC_BIN=$PARSEC_BIN
echo "compat: parse-server $PS_VERSION (router $ROUTER_VERSION), $("$PGBIN/postgres" --version), parsec $PARSEC_BIN"
echo "compat: pairs $PAIRS; logs in $COMPAT_DIR/logs"
rc=0
node --test --test-concurrency=1 "$HERE/compat.test.js" || rc=$?
t2=$(date +%s)
echo "compat: install/check $((t1 - t0))s, test $((t2 - t1))s"
exit $rc
