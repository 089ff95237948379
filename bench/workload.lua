-- workload.lua - the one wrk script every bench workload runs with.
--
-- Driven by environment variables that bench/run.sh sets:
--   BENCH_NAME      workload name, echoed in the result line
--   BENCH_IDS_FILE  if set: one objectId per line; each request is
--                   GET <BENCH_PATH_PREFIX><id>, cycling over the ids
--                   (every thread starts at a different offset)
--   BENCH_PATH_PREFIX  path the ids are appended to, e.g. /parse/classes/X/
--   BENCH_BODY_FILE if set: the request is a POST of this file's contents
--                   (Content-Type: application/json) to the URL given to wrk
-- Without BENCH_IDS_FILE/BENCH_BODY_FILE, wrk sends the URL it was given
-- (method GET, headers from wrk's -H flags) unchanged: no request() hook is
-- defined in that case, so wrk builds the request once and stays fast.
--
-- done() prints one machine-readable line (keys never change order):
--   BENCH_RESULT name=N requests=R duration_s=S rps=X mean_ms=.. p50_ms=..
--     p90_ms=.. p99_ms=.. max_ms=.. non2xx=.. connect_err=.. read_err=..
--     write_err=.. timeout_err=.. lat=raw|wrk wrk_mean_ms=.. wrk_p50_ms=..
--     wrk_p90_ms=.. wrk_p99_ms=.. inflight=..
--
-- About the latencies: before it reports, wrk 4 "corrects" its latency
-- histogram for coordinated omission (stats_correct): every answer slower
-- than twice the mean per-connection request interval E gets synthetic
-- companions at n-E, n-2E, ... as if requests had kept arriving at a fixed
-- rate during the stall. For a server whose answers are uniformly slow this
-- changes little; for one with rare long stalls among fast answers it turns
-- a 1 s stall into hundreds of synthetic samples and the reported p90/p99
-- no longer describe any request that was sent. So done() undoes it: wrk's
-- histogram is read through LuaJIT's FFI (wrk 4.1's `stats` struct) and,
-- since the correction only adds to lower buckets, raw[m] = C[m] - C[m+E]
-- for m > E and raw[m] = C[m] otherwise. p50/p90/p99/mean/max are then
-- per-request latencies (lat=raw; their count is checked against wrk's
-- request count). When that is not possible (no FFI, other struct layout,
-- counts disagree) they are wrk's corrected numbers (lat=wrk). wrk_* are
-- always wrk's corrected numbers, for comparison with other wrk results.
-- inflight = rps * mean latency: for per-request latencies in a closed loop
-- it is close to the number of connections (Little's law).

local name = os.getenv("BENCH_NAME") or "unnamed"
local ids_file = os.getenv("BENCH_IDS_FILE")
local body_file = os.getenv("BENCH_BODY_FILE")

local function read_file(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. path)
  local s = f:read("*a")
  f:close()
  return s
end

if body_file and body_file ~= "" then
  wrk.method = "POST"
  wrk.body = read_file(body_file)
  wrk.headers["Content-Type"] = "application/json"
end

-- setup() runs in the main Lua state once per thread: give each a number.
-- (The global it sets, bench_thread_no, must not be shadowed by a local.)
local next_thread_no = 0
function setup(thread)
  thread:set("bench_thread_no", next_thread_no)
  next_thread_no = next_thread_no + 1
end

if ids_file and ids_file ~= "" then
  local ids = {}
  local prefix = os.getenv("BENCH_PATH_PREFIX") or "/"
  local pos = 1

  function init(args)
    for line in io.lines(ids_file) do
      if line ~= "" then ids[#ids + 1] = line end
    end
    assert(#ids > 0, "no ids in " .. ids_file)
    -- spread threads over the id list so they do not hit the same rows
    local n = tonumber(bench_thread_no) or 0
    pos = ((n * 7919) % #ids) + 1
  end

  function request()
    local id = ids[pos]
    pos = pos + 1
    if pos > #ids then pos = 1 end
    return wrk.format(nil, prefix .. id)
  end
end

-- Per-request latency statistics recovered from wrk's corrected histogram;
-- nil (and a reason) when that cannot be done reliably.
local function raw_latency(summary, latency)
  local ok_ffi, ffi = pcall(require, "ffi")
  if not ok_ffi then return nil, "no-ffi" end
  local ok = pcall(ffi.cdef, [[
    typedef struct { uint64_t count; uint64_t limit; uint64_t min; uint64_t max;
                     uint64_t data[1]; } bench_wrk_stats_t; ]])
  if not ok then return nil, "cdef" end
  local s = ffi.cast("bench_wrk_stats_t **", latency)[0]
  local lo, hi = tonumber(s.min), tonumber(s.max)
  if lo ~= latency.min or hi ~= latency.max or hi >= tonumber(s.limit) then
    return nil, "layout"
  end
  local conns = tonumber(os.getenv("BENCH_CONNECTIONS") or "")
  if not conns or conns < 1 then return nil, "no-BENCH_CONNECTIONS" end
  local per_conn = math.floor(summary.requests / conns)
  -- wrk: if (complete / connections > 0) interval = runtime_us / (complete / connections)
  local E = per_conn > 0 and math.floor(summary.duration / per_conn) or nil
  local data = s.data
  local function raw(m)
    local c = tonumber(data[m])
    if E and m > E and m + E <= hi then c = c - tonumber(data[m + E]) end
    return c
  end
  local n, sum, max = 0, 0, 0
  for m = lo, hi do
    local c = raw(m)
    if c < 0 then return nil, "negative" end
    if c > 0 then n = n + c; sum = sum + c * m; max = m end
  end
  -- every response is recorded once, except those over the timeout
  if n == 0 or n > summary.requests or n < summary.requests - summary.errors.timeout then
    return nil, "count"
  end
  local want = {}
  for _, p in ipairs({50, 90, 99}) do
    want[#want + 1] = {p = p, rank = math.floor(p / 100 * n + 0.5 + 0.5)}
  end
  local res, seen, i = {mean = sum / n, max = max}, 0, 1
  for m = lo, hi do
    seen = seen + raw(m)
    while i <= #want and seen >= want[i].rank do
      res[want[i].p] = m
      i = i + 1
    end
    if i > #want then break end
  end
  return res
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local rps = summary.requests / secs
  local e = summary.errors
  local function ms(us) return string.format("%.3f", us / 1000) end
  local wrk_stats = {mean = latency.mean, max = latency.max, [50] = latency:percentile(50),
                     [90] = latency:percentile(90), [99] = latency:percentile(99)}
  local ok, r, why = pcall(raw_latency, summary, latency)
  local src = "raw"
  if not ok or not r then
    io.stderr:write("workload.lua: per-request latencies unavailable (" ..
                    tostring(ok and why or r) .. "); reporting wrk's corrected ones\n")
    r, src = wrk_stats, "wrk"
  end
  io.write(string.format(
    "BENCH_RESULT name=%s requests=%d duration_s=%.3f rps=%.1f mean_ms=%s "
      .. "p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s non2xx=%d connect_err=%d "
      .. "read_err=%d write_err=%d timeout_err=%d lat=%s wrk_mean_ms=%s "
      .. "wrk_p50_ms=%s wrk_p90_ms=%s wrk_p99_ms=%s inflight=%.1f\n",
    name, summary.requests, secs, rps,
    ms(r.mean), ms(r[50]), ms(r[90]), ms(r[99]), ms(r.max), e.status, e.connect,
    e.read, e.write, e.timeout, src, ms(wrk_stats.mean), ms(wrk_stats[50]),
    ms(wrk_stats[90]), ms(wrk_stats[99]), rps * r.mean / 1e6))
end
