#!/usr/bin/env bash
# run.sh - wrk benchmark of a running Parse-compatible server (parsec or
# parse-server). See bench/README.md.
#
# Environment:
#   BASE_URL     server's API root            (default http://127.0.0.1:1337/parse)
#   APP_ID       application id               (default app)
#   MASTER_KEY   master key, used for seeding (default master)
#   REST_KEY     REST API key; when set, the workloads send it, otherwise they
#                send the master key
#   DURATION     wrk duration per workload    (default 10s)
#   WARMUP       unmeasured wrk run before each workload (default 2s; 0 = none)
#   THREADS      wrk threads                  (default 2)
#   CONNECTIONS  wrk connections              (default 32)
#   TIMEOUT      wrk per-request timeout      (default 5s)
#   WORKLOADS    which to run, in order
#                (default: get getsession create query in regex or include)
#   SEED_ITEMS   BenchItem objects to seed    (default 3000)
#   SEED_OWNERS  BenchOwner objects           (default 50)
#   SEED_INDEXES 1 = seed.js also indexes BenchItem {category, score} and
#                {name} through the schemas API (default 0: objectId only)
#   SKIP_SEED    1 = reuse OUT_DIR/items.ids from an earlier run, do not seed
#   SERVER_PID   if set, the server's VmRSS is read from /proc/PID/status:
#                idle (before seeding), seeded, after_load, and settled
#                (RSS_SETTLE seconds later, default 5; 0 = skip)
#   OUT_DIR      where ids, wrk output and results go (default: a new mktemp dir)
#   LABEL        name printed in the table (default: BASE_URL)
#   PG_PID       if set, the postmaster of the database the server uses: the
#                CPU time of it and its children (the backends) is counted
#                apart from the server's during each measured run
#
# Output: wrk's own text, one "BENCH_RESULT ..." line per workload (from
# workload.lua's done()), "BENCH_RSS ..." lines, and a table at the end.
# OUT_DIR/results.tsv, OUT_DIR/rss.tsv and OUT_DIR/cpu.tsv hold the same
# numbers for scripts.
# Exit status: 0 when every workload answered its preflight request with 2xx
# and wrk saw no non-2xx answers; 1 otherwise (results are still written).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

BASE_URL="${BASE_URL:-http://127.0.0.1:1337/parse}"
BASE_URL="${BASE_URL%/}"
APP_ID="${APP_ID:-app}"
MASTER_KEY="${MASTER_KEY:-master}"
REST_KEY="${REST_KEY:-}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
TIMEOUT="${TIMEOUT:-5s}"
WORKLOADS="${WORKLOADS:-get getsession create query in regex or include}"
SEED_ITEMS="${SEED_ITEMS:-3000}"
SEED_OWNERS="${SEED_OWNERS:-50}"
SKIP_SEED="${SKIP_SEED:-0}"
SERVER_PID="${SERVER_PID:-}"
RSS_SETTLE="${RSS_SETTLE:-5}"
OUT_DIR="${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/parsec-bench.XXXXXX")}"
LABEL="${LABEL:-$BASE_URL}"
PG_PID="${PG_PID:-}"

for tool in wrk curl node; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 2; }
done
if (( CONNECTIONS < THREADS )); then
  echo "run.sh: CONNECTIONS ($CONNECTIONS) must be >= THREADS ($THREADS)" >&2; exit 2
fi
mkdir -p "$OUT_DIR"

# scheme://host:port and the mount path (/parse) of BASE_URL
ORIGIN="$(printf '%s' "$BASE_URL" | sed -E 's#^([a-z]+://[^/]+).*#\1#')"
MOUNT="${BASE_URL#"$ORIGIN"}"

HDR_APP="X-Parse-Application-Id: $APP_ID"
if [[ -n "$REST_KEY" ]]; then
  HDR_KEY="X-Parse-REST-API-Key: $REST_KEY"
else
  HDR_KEY="X-Parse-Master-Key: $MASTER_KEY"
fi

# Extra request headers of the current workload (preflight and wrk both send
# them); a workload sets EXTRA_HDRS and clears it when done.
EXTRA_HDRS=()

urlencode() {
  node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"
}

# --- resident memory ---------------------------------------------------------
: >"$OUT_DIR/rss.tsv"
rss() {  # rss <when>: records VmRSS (and VmHWM) of SERVER_PID in kB
  local when="$1" kb hwm
  [[ -n "$SERVER_PID" ]] || return 0
  if [[ ! -r "/proc/$SERVER_PID/status" ]]; then
    echo "BENCH_RSS when=$when pid=$SERVER_PID error=no-such-process"
    return 0
  fi
  kb="$(awk '/^VmRSS:/{print $2}' "/proc/$SERVER_PID/status")"
  hwm="$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")"
  echo "BENCH_RSS when=$when pid=$SERVER_PID comm=$(cat "/proc/$SERVER_PID/comm") vmrss_kb=$kb vmhwm_kb=$hwm"
  printf '%s\t%s\t%s\n' "$when" "$kb" "$hwm" >>"$OUT_DIR/rss.tsv"
}

# --- preflight: one request, checked, before wrk hammers it -----------------
FAILED=0
# preflight <name> <method> <path+query> [body-file]
# Prints status and a short signature of the answer (counts/scores, so two
# servers' answers can be compared); on a non-2xx answer prints the exact
# request and answer and returns 1.
preflight() {
  local name="$1" method="$2" path="$3" body="${4:-}" status
  local out="$OUT_DIR/preflight-$name.json"
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" -H "$HDR_APP" -H "$HDR_KEY")
  local h
  for h in "${EXTRA_HDRS[@]}"; do args+=(-H "$h"); done
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  status="$(curl "${args[@]}" "$ORIGIN$path" || true)"
  if [[ "$status" != 2* ]]; then
    echo "PREFLIGHT_FAIL name=$name status=$status"
    echo "  request: $method $ORIGIN$path"
    echo "  headers: $HDR_APP | $HDR_KEY${EXTRA_HDRS[*]:+ | ${EXTRA_HDRS[*]}}${body:+ | Content-Type: application/json}"
    [[ -n "$body" ]] && echo "  body:    $(cat "$body")"
    echo "  answer:  $(head -c 1000 "$out" 2>/dev/null)"
    printf '%s\t%s\tFAILED: %s\n' "$name" "$status" \
      "$(head -c 200 "$out" 2>/dev/null | tr '\t\n' '  ')" >>"$OUT_DIR/preflight.tsv"
    return 1
  fi
  local sig
  sig="$(node -e '
    const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (Array.isArray(o.results)) {
      const owners = o.results.filter((r) => r.owner && r.owner.name !== undefined).length;
      let s = "results=" + o.results.length + " scores=" + o.results.map((r) => r.score).join(",");
      if (process.argv[2] === "include") s += " owners_included=" + owners;
      process.stdout.write(s);
    } else {
      process.stdout.write("objectId=" + (o.objectId ? "yes" : "no"));
    }' "$out" "$name" 2>/dev/null || echo unparsable)"
  echo "PREFLIGHT_OK name=$name status=$status $sig"
  printf '%s\t%s\t%s\n' "$name" "$status" "$sig" >>"$OUT_DIR/preflight.tsv"
}

# --- CPU accounting ------------------------------------------------------------
# During each measured run: CPU seconds of the server, of PostgreSQL (PG_PID
# and its children) and of everything else (wrk, mostly), from /proc, as a
# percentage of one core (200% = both cores of a 2-core machine busy).
: >"$OUT_DIR/cpu.tsv"
CLK_TCK="$(getconf CLK_TCK 2>/dev/null || echo 100)"
proc_ticks() {  # proc_ticks <pid...>: utime+stime summed (fields 14, 15)
  local p
  for p in "$@"; do
    # comm (field 2) may hold spaces: drop everything up to its ")"
    sed -E 's/^.*\) //' "/proc/$p/stat" 2>/dev/null || true
  done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
pg_pids() {  # the postmaster and its children
  [[ -n "$PG_PID" ]] || return 0
  echo "$PG_PID"
  pgrep -P "$PG_PID" 2>/dev/null || true
}
busy_ticks() {  # every CPU's busy time since boot, and the time stolen by the host
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9; exit }' /proc/stat
}
CPU_T0="" CPU_SRV0="" CPU_PG0="" CPU_ALL0=""
cpu_start() {
  CPU_T0="$(date +%s.%N)"
  CPU_SRV0="$([[ -n "$SERVER_PID" ]] && proc_ticks "$SERVER_PID" || echo 0)"
  # shellcheck disable=SC2046
  CPU_PG0="$(proc_ticks $(pg_pids))"
  CPU_ALL0="$(busy_ticks)"
}
# cpu_stop <name>: appends name, server %, pg %, rest %, all busy %, steal %
# (time the hypervisor gave to others: high values mean a noisy host)
cpu_stop() {
  local t1 srv pg all
  t1="$(date +%s.%N)"
  srv="$([[ -n "$SERVER_PID" ]] && proc_ticks "$SERVER_PID" || echo 0)"
  # shellcheck disable=SC2046
  pg="$(proc_ticks $(pg_pids))"
  all="$(busy_ticks)"
  awk -v n="$1" -v t0="$CPU_T0" -v t1="$t1" -v hz="$CLK_TCK" -v s0="$CPU_SRV0" -v s1="$srv" \
      -v p0="$CPU_PG0" -v p1="$pg" -v a0="$CPU_ALL0" -v a1="$all" -v haspg="${PG_PID:+1}" 'BEGIN {
    split(a0, A0, " "); split(a1, A1, " ")
    w = (t1 - t0) * hz; if (w <= 0) w = 1
    s = (s1 - s0) / w * 100; p = (p1 - p0) / w * 100; a = (A1[1] - A0[1]) / w * 100
    st = (A1[2] - A0[2]) / w * 100
    o = a - s - p; if (o < 0) o = 0
    printf "%s\t%.0f\t%s\t%.0f\t%.0f\t%.0f\n", n, s, haspg ? sprintf("%.0f", p) : "-", o, a, st }' >>"$OUT_DIR/cpu.tsv"
}

# --- running wrk -------------------------------------------------------------
: >"$OUT_DIR/results.tsv"
# run_wrk <name> <url-path+query> [extra env for workload.lua...]
run_wrk() {
  local name="$1" path="$2"; shift 2
  local wrk_args=(-t "$THREADS" -c "$CONNECTIONS" --timeout "$TIMEOUT"
                  -H "$HDR_APP" -H "$HDR_KEY" -s "$BENCH_DIR/workload.lua")
  local h
  for h in "${EXTRA_HDRS[@]}"; do wrk_args+=(-H "$h"); done
  if [[ "$WARMUP" != "0" && "$WARMUP" != "0s" ]]; then
    env BENCH_NAME="$name-warmup" BENCH_CONNECTIONS="$CONNECTIONS" "$@" wrk "${wrk_args[@]}" -d "$WARMUP" "$ORIGIN$path" \
      >"$OUT_DIR/wrk-$name-warmup.txt" 2>&1 || true
  fi
  echo "--- $name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION $ORIGIN$path"
  cpu_start
  env BENCH_NAME="$name" BENCH_CONNECTIONS="$CONNECTIONS" "$@" wrk "${wrk_args[@]}" -d "$DURATION" "$ORIGIN$path" \
    >"$OUT_DIR/wrk-$name.txt" 2>&1 || true   # a missing result line is caught below
  cpu_stop "$name"
  cat "$OUT_DIR/wrk-$name.txt"
  local line
  line="$(grep '^BENCH_RESULT ' "$OUT_DIR/wrk-$name.txt" | tail -n 1 || true)"
  if [[ -z "$line" ]]; then
    echo "run.sh: wrk printed no result for $name" >&2
    printf '%s\tFAILED\t-\t-\t-\t-\t-\t-\t-\t-\t-\n' "$name" >>"$OUT_DIR/results.tsv"
    FAILED=1
    return 0
  fi
  # name rps p50 p90 p99 max non2xx sockerr wrk_p99 lat inflight
  printf '%s\n' "$line" | awk '{
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", v["name"], v["rps"], v["p50_ms"],
        v["p90_ms"], v["p99_ms"], v["max_ms"], v["non2xx"],
        v["connect_err"] + v["read_err"] + v["write_err"] + v["timeout_err"],
        v["wrk_p99_ms"], v["lat"], v["inflight"] }' \
    >>"$OUT_DIR/results.tsv"
  if printf '%s\n' "$line" | grep -qv ' non2xx=0 '; then
    echo "run.sh: $name: wrk saw non-2xx answers" >&2
    FAILED=1
  fi
}

skip_workload() {  # records a workload whose preflight failed
  printf '%s\tFAILED\t-\t-\t-\t-\t-\t-\t-\t-\t-\n' "$1" >>"$OUT_DIR/results.tsv"
  FAILED=1
}

# query_workload <name> <where-json> <rest-of-query-string>
query_workload() {
  local name="$1" where="$2" rest="$3"
  local path="$MOUNT/classes/BenchItem?where=$(urlencode "$where")&$rest"
  if preflight "$name" GET "$path"; then run_wrk "$name" "$path"; else skip_workload "$name"; fi
}

# --- workloads: one function each; WORKLOADS picks and orders them ------------

# get: GET /classes/BenchItem/<id>, cycling over every seeded id
workload_get() {
  local first
  first="$(head -n 1 "$OUT_DIR/items.ids")"
  if preflight get GET "$MOUNT/classes/BenchItem/$first"; then
    run_wrk get "$MOUNT/classes/BenchItem/$first" \
      BENCH_IDS_FILE="$OUT_DIR/items.ids" BENCH_PATH_PREFIX="$MOUNT/classes/BenchItem/"
  else
    skip_workload get
  fi
}

# getsession: the get workload as a logged-in user (X-Parse-Session-Token of
# the user seed.js logged in), so every request also resolves a session
workload_getsession() {
  local first token
  first="$(head -n 1 "$OUT_DIR/items.ids")"
  token="$(cat "$OUT_DIR/session.token" 2>/dev/null || true)"
  if [[ -z "$token" ]]; then
    echo "PREFLIGHT_FAIL name=getsession: no session token in $OUT_DIR/session.token"
    skip_workload getsession
    return 0
  fi
  EXTRA_HDRS=("X-Parse-Session-Token: $token")
  if preflight getsession GET "$MOUNT/classes/BenchItem/$first"; then
    run_wrk getsession "$MOUNT/classes/BenchItem/$first" \
      BENCH_IDS_FILE="$OUT_DIR/items.ids" BENCH_PATH_PREFIX="$MOUNT/classes/BenchItem/"
  else
    skip_workload getsession
  fi
  EXTRA_HDRS=()
}

# create: POST /classes/BenchCreate with a small JSON body
workload_create() {
  local body="$OUT_DIR/create-body.json"
  printf '%s' '{"name":"bench","score":42,"category":"c1","active":true}' >"$body"
  if preflight create POST "$MOUNT/classes/BenchCreate" "$body"; then
    run_wrk create "$MOUNT/classes/BenchCreate" BENCH_BODY_FILE="$body"
  else
    skip_workload create
  fi
}

# query: equality + range, sorted, limited
workload_query() {
  query_workload query '{"category":"c3","score":{"$gt":100}}' 'order=-score&limit=20'
}

# in: $in on a string field
workload_in() {
  query_workload in '{"category":{"$in":["c1","c4","c7"]}}' 'order=-score&limit=20'
}

# regex: anchored prefix $regex (matches item-00100 .. item-00199)
workload_regex() {
  query_workload regex '{"name":{"$regex":"^item-001"}}' 'order=name&limit=20'
}

# or: $or of two equality+range clauses
workload_or() {
  query_workload or '{"$or":[{"category":"c1","score":{"$lt":100}},{"category":"c2","score":{"$gt":900}}]}' \
    'order=-score&limit=20'
}

# include: one level of pointer include (owner -> BenchOwner)
workload_include() {
  query_workload include '{"category":"c5"}' 'include=owner&order=-score&limit=20'
}

# --- main --------------------------------------------------------------------
echo "== parsec bench: $LABEL"
echo "   base=$BASE_URL threads=$THREADS connections=$CONNECTIONS duration=$DURATION" \
     "warmup=$WARMUP items=$SEED_ITEMS indexes=${SEED_INDEXES:-0} out=$OUT_DIR"
h="$(curl -sS -m 5 "$BASE_URL/health" 2>&1 || true)"
echo "   health: $h"
echo "   loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)  (anything else busy on this machine skews the numbers)"

rss idle
if [[ "$SKIP_SEED" == "1" && -s "$OUT_DIR/items.ids" ]]; then
  echo "   seeding skipped, reusing $OUT_DIR/items.ids"
else
  BASE_URL="$BASE_URL" APP_ID="$APP_ID" MASTER_KEY="$MASTER_KEY" SEED_ITEMS="$SEED_ITEMS" \
    SEED_OWNERS="$SEED_OWNERS" SEED_INDEXES="${SEED_INDEXES:-0}" OUT_DIR="$OUT_DIR" node "$BENCH_DIR/seed.js"
fi
rss seeded
: >"$OUT_DIR/preflight.tsv"

for w in $WORKLOADS; do
  if ! declare -F "workload_$w" >/dev/null; then
    echo "run.sh: unknown workload '$w'" >&2
    exit 2
  fi
  "workload_$w"
done
rss after_load
if [[ -n "$SERVER_PID" && "$RSS_SETTLE" != 0 ]]; then
  sleep "$RSS_SETTLE"
  rss settled   # RSS_SETTLE seconds after the load stopped
fi
echo "   loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)  (includes this benchmark's own load, about 2)"

# --- table -------------------------------------------------------------------
echo
echo "== results: $LABEL  (wrk -t$THREADS -c$CONNECTIONS -d$DURATION; latency in ms)"
awk -F'\t' 'FILENAME == ARGV[1] { cpu[$1] = sprintf("%4s %4s %4s %5s", $2 "%", ($3 == "-" ? "-" : $3 "%"), $4 "%", $6 "%"); next }
            FNR == 1 { printf "%-10s %10s %9s %9s %9s %9s %7s %7s %9s %4s  %s\n", "workload", "req/s",
                         "p50", "p90", "p99", "max", "non2xx", "sockerr", "wrk-p99", "lat", "cpu: srv   pg  rest steal" }
            { printf "%-10s %10s %9s %9s %9s %9s %7s %7s %9s %4s       %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                     ($1 in cpu) ? cpu[$1] : "" }' \
  "$OUT_DIR/cpu.tsv" "$OUT_DIR/results.tsv"
echo "(p50..max: per-request latencies when lat=raw; wrk-p99: wrk's own p99, corrected"
echo " for coordinated omission, see workload.lua; cpu: % of one core during the"
echo " measured run for the server, PostgreSQL (when PG_PID is set), the rest (wrk and"
echo " anything else) and the time the hypervisor stole (a noisy host))"
if [[ -s "$OUT_DIR/rss.tsv" ]]; then
  awk -F'\t' '{ printf "RSS %-11s %8.1f MB   (peak so far %.1f MB)\n", $1, $2/1024, $3/1024 }' \
    "$OUT_DIR/rss.tsv"
fi
echo "(files: $OUT_DIR)"
exit "$FAILED"
