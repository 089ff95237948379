#!/usr/bin/env bash
# compare.sh - runs bench/run.sh against parse-server 9.x (on PostgreSQL 15)
# and against parsec, one after the other on this machine, and prints the two
# side by side. See bench/README.md.
#
#   bench/compare.sh                    # parsec on a fresh SQLite file
#   bench/compare.sh --engine postgres  # parsec on PostgreSQL too: one
#                                       # cluster, database "parse" for
#                                       # parse-server, "parsec" for parsec
#
# Environment (besides run.sh's DURATION, WARMUP, THREADS, CONNECTIONS,
# WORKLOADS, SEED_ITEMS, ... which are passed through):
#   ENGINE        parsec's storage: sqlite (default) or postgres; the
#                 --engine option overrides it
#   PG_OPTS       extra postgres server options for the cluster, e.g.
#                 "-c log_min_duration_statement=0" (default none)
#   SCRATCH_DIR   where parse-server is installed, the database cluster, the
#                 SQLite file, logs and results go (default /tmp/parsec-bench)
#   SIDES         which servers to run, in order (default "parse-server parsec")
#   PARSEC_BIN    parsec binary (default <repo>/build/parsec)
#   PARSE_SERVER_VERSION  npm version spec for parse-server (default 9)
#   PG_BIN        PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   PG_PORT, PS_PORT, PARSEC_PORT   ports on 127.0.0.1 (default 15010-15012)
#   APP_ID, MASTER_KEY, REST_KEY    given to both servers (default app,
#                 master, rest; REST_KEY= (empty) makes the workloads use
#                 the master key instead)
#
# Everything it starts listens on 127.0.0.1 only and is stopped by PID when
# it exits (also on error or Ctrl-C).
set -euo pipefail

ENGINE="${ENGINE:-sqlite}"
while (( $# > 0 )); do
  case "$1" in
    --engine) [[ $# -ge 2 ]] || { echo "compare.sh: --engine needs a value" >&2; exit 2; }
              ENGINE="$2"; shift 2 ;;
    --engine=*) ENGINE="${1#--engine=}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$ENGINE" in
  sqlite|postgres) ;;
  *) echo "compare.sh: --engine must be sqlite or postgres, not '$ENGINE'" >&2; exit 2 ;;
esac

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"

SCRATCH_DIR="${SCRATCH_DIR:-${TMPDIR:-/tmp}/parsec-bench}"
SIDES="${SIDES:-parse-server parsec}"
PARSEC_BIN="${PARSEC_BIN:-$REPO_DIR/build/parsec}"
PARSE_SERVER_VERSION="${PARSE_SERVER_VERSION:-9}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PORT="${PG_PORT:-15010}"
PS_PORT="${PS_PORT:-15011}"
PARSEC_PORT="${PARSEC_PORT:-15012}"
PG_OPTS="${PG_OPTS:-}"
export APP_ID="${APP_ID:-app}"
export MASTER_KEY="${MASTER_KEY:-master}"
export REST_KEY="${REST_KEY-rest}"

mkdir -p "$SCRATCH_DIR"
SCRATCH_DIR="$(cd "$SCRATCH_DIR" && pwd)"
RUN_DIR="$SCRATCH_DIR/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN_DIR"
PS_DIR="$SCRATCH_DIR/parse-server"
PG_DIR="$SCRATCH_DIR/pg"

log() { echo "compare: $*" >&2; }

# --- process bookkeeping: stop exactly what we started ----------------------
SERVER_PID=""   # parse-server or parsec, whichever runs now
PG_STARTED=0
AS_PG=()        # command prefix to run PostgreSQL tools as user postgres

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "pid $SERVER_PID ignored SIGTERM, sending SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

stop_pg() {
  if [[ "$PG_STARTED" == 1 ]]; then
    # pg_ctl signals the postmaster whose PID is in PGDATA/postmaster.pid
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    PG_STARTED=0
  fi
}

cleanup() { stop_server; stop_pg; }
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_healthy() {  # wait_healthy <base-url> <pid> <log>
  local url="$1/health" pid="$2" logf="$3"
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "server (pid $pid) exited during start-up; last lines of $logf:"
      tail -n 30 "$logf" >&2
      return 1
    fi
    if curl -s -m 2 "$url" 2>/dev/null | grep -q '"status" *: *"ok"'; then return 0; fi
    sleep 0.1
  done
  log "no {\"status\":\"ok\"} from $url after 60s; last lines of $logf:"
  tail -n 30 "$logf" >&2
  return 1
}

# --- parse-server ------------------------------------------------------------
install_parse_server() {
  local have=""
  if [[ -f "$PS_DIR/node_modules/parse-server/package.json" ]]; then
    have="$(cd "$PS_DIR" && node -p 'require("parse-server/package.json").version' 2>/dev/null || true)"
  fi
  local router=""
  if [[ -f "$PS_DIR/node_modules/router/package.json" ]]; then
    router="$(cd "$PS_DIR" && node -p 'require("router/package.json").version' 2>/dev/null || true)"
  fi
  if [[ "$have" == "$PARSE_SERVER_VERSION".* && "$router" == "2.2.0" ]]; then
    log "parse-server $have already installed in $PS_DIR"
    return 0
  fi
  log "installing parse-server@$PARSE_SERVER_VERSION (router pinned to 2.2.0) into $PS_DIR"
  mkdir -p "$PS_DIR" || return 1
  # router 2.2.0 exactly: later router releases make every POST /batch
  # answer 500 under parse-server 9; "overrides" forces it for express too.
  cat >"$PS_DIR/package.json" <<EOF
{
  "name": "parsec-bench-parse-server",
  "private": true,
  "dependencies": { "parse-server": "$PARSE_SERVER_VERSION", "router": "2.2.0" },
  "overrides": { "router": "2.2.0" }
}
EOF
  (cd "$PS_DIR" && npm install --no-audit --no-fund >"$PS_DIR/npm.log" 2>&1) || {
    log "npm install failed; see $PS_DIR/npm.log"; tail -n 20 "$PS_DIR/npm.log" >&2; return 1; }
  router="$(cd "$PS_DIR" && node -p 'require("router/package.json").version')"
  [[ "$router" == "2.2.0" ]] || { log "router is $router, not 2.2.0"; return 1; }
}

start_pg() {
  [[ -x "$PG_BIN/initdb" ]] || { log "no PostgreSQL at $PG_BIN"; return 1; }
  if [[ "$(id -u)" == 0 ]]; then
    AS_PG=(runuser -u postgres --)
  else
    AS_PG=()
  fi
  # A fresh cluster each run, so every run starts from the same empty state.
  if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR/data" "$PG_DIR/sock" || return 1
  if [[ "$(id -u)" == 0 ]]; then chown -R postgres: "$PG_DIR" || return 1; fi
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
    >"$PG_DIR/initdb.log" 2>&1 || { log "initdb failed:"; tail "$PG_DIR/initdb.log" >&2; return 1; }
  PG_STARTED=1
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 $PG_OPTS" start >/dev/null \
    || { log "PostgreSQL did not start:"; tail "$PG_DIR/postgres.log" >&2; return 1; }
  local db
  for db in "$@"; do
    "${AS_PG[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db" \
      || { log "createdb $db failed"; return 1; }
  done
  log "PostgreSQL on 127.0.0.1:$PG_PORT (postmaster pid $(pg_postmaster)), databases: $*"
}

pg_postmaster() { head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null || true; }

pg_version() { "$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}'; }

# PostgreSQL's own memory, for the record: PSS (shared pages split between
# the processes) of the postmaster and its children, into <dir>/pg_pss_kb.
pg_pss() {
  local pm pss
  pm="$(pg_postmaster)"
  [[ -n "$pm" ]] || return 0
  pss="$(for p in "$pm" $(pgrep -P "$pm"); do
           awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done |
         awk '{s += $1} END {print s + 0}')"
  echo "BENCH_PG_PSS pss_kb=$pss"
  mkdir -p "$1" && echo "$pss" >"$1/pg_pss_kb"
}

# Shared cluster: flush what the previous side left dirty, so its
# checkpoint does not land in the next side's measurements.
pg_checkpoint() {
  "${AS_PG[@]}" "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -c CHECKPOINT >/dev/null 2>&1 || log "CHECKPOINT failed (ignored)"
}

run_parse_server() {
  # (set -e does not apply here: callers use "||", so every step checks itself)
  install_parse_server || return 1
  # With --engine postgres the cluster is already up, shared with parsec.
  if [[ "$ENGINE" == sqlite ]]; then start_pg parse || return 1; else pg_checkpoint; fi
  local base="http://127.0.0.1:$PS_PORT/parse"
  local logf="$RUN_DIR/parse-server.log"
  local args=(--appId "$APP_ID" --masterKey "$MASTER_KEY"
              --databaseURI "postgres://postgres@127.0.0.1:$PG_PORT/parse"
              --port "$PS_PORT" --host 127.0.0.1 --mountPath /parse --serverURL "$base")
  [[ -n "$REST_KEY" ]] && args+=(--restAPIKey "$REST_KEY")
  # node runs the CLI directly, so $! is the server's own PID (for VmRSS).
  (cd "$PS_DIR" && exec env NODE_ENV=production PARSE_SERVER_LOGS_FOLDER="$RUN_DIR/parse-server-logs" \
     node node_modules/parse-server/bin/parse-server "${args[@]}") >"$logf" 2>&1 &
  SERVER_PID=$!
  log "parse-server $(cd "$PS_DIR" && node -p 'require("parse-server/package.json").version') pid $SERVER_PID on $base"
  wait_healthy "$base" "$SERVER_PID" "$logf" || { stop_server; [[ "$ENGINE" == sqlite ]] && stop_pg; return 1; }
  local rc=0
  BASE_URL="$base" SERVER_PID="$SERVER_PID" OUT_DIR="$RUN_DIR/parse-server" PG_PID="$(pg_postmaster)" \
    LABEL="parse-server $(cd "$PS_DIR" && node -p 'require("parse-server/package.json").version') + PostgreSQL $(pg_version) (database parse)" \
    bash "$BENCH_DIR/run.sh" || rc=$?
  pg_pss "$RUN_DIR/parse-server"   # after the load, server still connected
  stop_server
  [[ "$ENGINE" == sqlite ]] && stop_pg
  return "$rc"
}

# --- parsec ------------------------------------------------------------------
run_parsec() {
  if [[ ! -x "$PARSEC_BIN" ]]; then
    log "no parsec binary at $PARSEC_BIN (set PARSEC_BIN); skipping parsec"
    return 3
  fi
  local db label pg_pid=""
  if [[ "$ENGINE" == postgres ]]; then
    db="postgres://postgres@127.0.0.1:$PG_PORT/parsec"   # created empty by start_pg
    label="parsec + PostgreSQL $(pg_version) (database parsec)"
    pg_pid="$(pg_postmaster)"
    pg_checkpoint
  else
    db="$SCRATCH_DIR/parsec-bench.sqlite"
    rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
    label="parsec + SQLite"
  fi
  local base="http://127.0.0.1:$PARSEC_PORT/parse"
  local logf="$RUN_DIR/parsec.log"
  local args=(--appId "$APP_ID" --masterKey "$MASTER_KEY" --port "$PARSEC_PORT"
              --host 127.0.0.1 --databaseURI "$db")
  [[ -n "$REST_KEY" ]] && args+=(--restAPIKey "$REST_KEY")
  "$PARSEC_BIN" "${args[@]}" >"$logf" 2>&1 &
  SERVER_PID=$!
  log "parsec ($PARSEC_BIN) pid $SERVER_PID on $base"
  wait_healthy "$base" "$SERVER_PID" "$logf" || { stop_server; return 1; }
  local rc=0
  BASE_URL="$base" SERVER_PID="$SERVER_PID" OUT_DIR="$RUN_DIR/parsec" LABEL="$label" \
    PG_PID="$pg_pid" bash "$BENCH_DIR/run.sh" || rc=$?
  [[ "$ENGINE" == postgres ]] && pg_pss "$RUN_DIR/parsec"
  stop_server
  return "$rc"
}

# --- main --------------------------------------------------------------------
log "results in $RUN_DIR (parsec on $ENGINE)"
echo "$ENGINE" >"$RUN_DIR/engine"
if [[ "$ENGINE" == postgres ]]; then
  # One cluster for both sides, each server in its own database; only one
  # server runs at a time. The cluster goes when the script exits.
  if [[ " $SIDES " == *" parsec "* && ! -x "$PARSEC_BIN" ]]; then
    log "no parsec binary at $PARSEC_BIN (set PARSEC_BIN)"; exit 3
  fi
  start_pg parse parsec || exit 1
fi
STATUS=0
for side in $SIDES; do
  rc=0
  case "$side" in
    parse-server) run_parse_server || rc=$? ;;
    parsec) run_parsec || rc=$? ;;
    *) log "unknown side '$side'"; exit 2 ;;
  esac
  if [[ "$rc" != 0 ]]; then
    log "$side: exit status $rc (see above)"
    STATUS=1
  fi
done

A="$RUN_DIR/parse-server" B="$RUN_DIR/parsec"
if [[ -s "$A/results.tsv" && -s "$B/results.tsv" ]]; then
  if [[ "$ENGINE" == postgres ]]; then
    where="both on PostgreSQL $(pg_version): one cluster, databases parse and parsec"
  else
    where="parse-server on PostgreSQL $(pg_version), parsec on SQLite"
  fi
  echo
  echo "== parsec vs parse-server ($where)"
  echo "   wrk -t${THREADS:-2} -c${CONNECTIONS:-32} -d${DURATION:-10s}, each server alone on the machine;" \
       "latency per request, ms; ratio = parsec/parse-server req/s"
  awk -F'\t' '
    FILENAME == ARGV[1] { ps[$1] = $0; next }
    { order[++n] = $1; pc[$1] = $0 }
    END {
      printf "%-10s %10s %10s %7s   %7s %7s   %7s %7s   %8s %8s\n", "", "req/s", "", "",
             "p50", "", "p99", "", "max", ""
      printf "%-10s %10s %10s %7s   %7s %7s   %7s %7s   %8s %8s\n", "workload", "parse-srv",
             "parsec", "ratio", "ps", "parsec", "ps", "parsec", "ps", "parsec"
      for (i = 1; i <= n; i++) {
        w = order[i]; split(pc[w], b, "\t")
        if (!(w in ps)) continue
        split(ps[w], a, "\t")
        r = (a[2] + 0 > 0 && b[2] + 0 > 0) ? sprintf("%.1fx", b[2] / a[2]) : "-"
        printf "%-10s %10s %10s %7s   %7s %7s   %7s %7s   %8s %8s\n", w, a[2], b[2], r,
               a[3], b[3], a[5], b[5], a[6], b[6]
      }
    }' "$A/results.tsv" "$B/results.tsv"
  if [[ -s "$A/cpu.tsv" && -s "$B/cpu.tsv" ]]; then
    echo
    echo "   CPU during each measured run, % of one core ($(nproc) cores):" \
         "server / PostgreSQL / rest (wrk and anything else) / stolen by the host"
    awk -F'\t' '
      FILENAME == ARGV[1] { ps[$1] = $2 " / " $3 " / " $4 " / " $6; next }
      FNR == 1 { printf "%-10s %-22s %-22s\n", "workload", "parse-server", "parsec" }
      { printf "%-10s %-22s %-22s\n", $1, ($1 in ps) ? ps[$1] : "-", $2 " / " $3 " / " $4 " / " $6 }' \
      "$A/cpu.tsv" "$B/cpu.tsv"
  fi
  echo
  awk -F'\t' 'FILENAME == ARGV[1] { ps[$1] = $2; next }
              ($1 in ps) { printf "RSS %-11s parse-server %8.1f MB   parsec %8.1f MB\n", $1, ps[$1] / 1024, $2 / 1024 }' \
    "$A/rss.tsv" "$B/rss.tsv"
  pss() { awk '{printf "%.1f MB", $1/1024}' "$1/pg_pss_kb" 2>/dev/null || echo "not measured"; }
  if [[ "$ENGINE" == postgres ]]; then
    echo "(RSS is the server process only; PostgreSQL's PSS after each load, server still" \
         "connected: parse-server's run $(pss "$A"), parsec's run $(pss "$B"))"
  else
    echo "(parse-server's RSS is the node process only; PostgreSQL after the load: $(pss "$A") PSS)"
  fi
  # Same data and the same queries, so the answers should agree.
  awk -F'\t' 'FILENAME == ARGV[1] { ps[$1] = $3; next }
              ($1 in ps) && ps[$1] != $3 { printf "ANSWERS DIFFER for %s:\n  parse-server: %s\n  parsec:       %s\n", $1, ps[$1], $3; bad = 1 }
              END { if (!bad) print "answers: every workload gave the same result signature on both servers" }' \
    "$A/preflight.tsv" "$B/preflight.tsv"
fi
echo "(files: $RUN_DIR)"
exit "$STATUS"
