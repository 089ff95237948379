'use strict';
// Test harness for the parsec black-box suite.
//
// By default every test file starts its own parsec binary (PARSEC_BIN, default
// ../../build/parsec relative to this folder) on a free port in
// [PARSEC_PORT_BASE, PARSEC_PORT_BASE + 40) (default base 14010) with a fresh
// SQLite file, waits for GET /parse/health, and stops it with SIGTERM at the
// end of the file, checking that it exits with status 0.
//
// To validate the suite against an already-running server instead:
//   TARGET_URL=http://127.0.0.1:14000/parse TARGET_KIND=parse-server
// The target must be configured as the default profile below (appId app,
// masterKey master, restAPIKey rest, javascriptKey js, clientKey client,
// allowClientClassCreation true, maxUploadSize 1mb).
// Tests that need a differently configured server (no client keys, no client
// class creation, a batch limit, CLI behaviour) spawn one.  Against
// parse-server that needs PARSE_SERVER_CLI (path to parse-server's bin/
// parse-server, run with this node) and TARGET_DATABASE_URI (database URI the
// spawned parse-servers use); without them those tests are skipped.
//
// TARGET_KIND selects the expectations where ERRORS.md records a deliberate
// difference between parsec (the seed's code) and parse-server 9.x.
//
// With PARSEC_TEST_PG_URI (a PostgreSQL superuser URI, e.g.
// postgres://postgres@127.0.0.1:13450/postgres, see scripts/pg.sh) the parsec
// servers run on PostgreSQL instead: each gets a brand-new database, created
// with psql and dropped when this test file's process exits.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const crypto = require('node:crypto');
const assert = require('node:assert/strict');
const { before, after } = require('node:test');

const KIND = process.env.TARGET_KIND || 'parsec';
if (!['parsec', 'parse-server'].includes(KIND)) {
  throw new Error(`TARGET_KIND must be parsec or parse-server, not ${KIND}`);
}
const IS_PARSEC = KIND === 'parsec';
const TARGET_URL = process.env.TARGET_URL ? process.env.TARGET_URL.replace(/\/+$/, '') : null;
const PARSEC_BIN = process.env.PARSEC_BIN
  ? path.resolve(process.env.PARSEC_BIN)
  : path.resolve(__dirname, '../../build/parsec');
const PARSE_SERVER_CLI = process.env.PARSE_SERVER_CLI ? path.resolve(process.env.PARSE_SERVER_CLI) : null;
const TARGET_DATABASE_URI = process.env.TARGET_DATABASE_URI || null;
const PG_URI = process.env.PARSEC_TEST_PG_URI || null;
// The storage engine of the parsec servers this run spawns ('sqlite' or
// 'postgres'); null against parse-server.  Tests of one engine's own rules
// skip on the other.
const PARSEC_ENGINE = IS_PARSEC ? (PG_URI ? 'postgres' : 'sqlite') : null;
const PORT_BASE = Number(process.env.PARSEC_PORT_BASE || 14010);
const PORT_SPAN = 40;
if (!(Number.isInteger(PORT_BASE) && PORT_BASE >= 1024 && PORT_BASE + PORT_SPAN - 1 <= 65535)) {
  throw new Error(`PARSEC_PORT_BASE must be an integer port between 1024 and ${65535 - PORT_SPAN + 1} (got ${process.env.PARSEC_PORT_BASE})`);
}
const HOST = '127.0.0.1';

const APP_ID = 'app';
const MASTER_KEY = 'master';
const REST_KEY = 'rest';
const JS_KEY = 'js';
const CLIENT_KEY = 'client';

// Options in parse-server's names.  A value of null in overrides removes it.
const DEFAULT_OPTIONS = {
  appId: APP_ID,
  masterKey: MASTER_KEY,
  restAPIKey: REST_KEY,
  javascriptKey: JS_KEY,
  clientKey: CLIENT_KEY,
  mountPath: '/parse',
  allowClientClassCreation: true,
  maxUploadSize: '1mb',
};

// ------------------------------------------------------------------ helpers

function pick(parsecValue, parseServerValue) {
  return IS_PARSEC ? parsecValue : parseServerValue;
}

function randomId(n = 8) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = crypto.randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

// A class name unique to this run: Prefix_xxxxxxxx.
function uniqueClass(prefix = 'Bb') {
  return `${prefix}_${randomId(8)}`;
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

function portIsFree(port) {
  return new Promise(resolve => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

let portCursor = null;
async function findFreePort() {
  if (portCursor === null) portCursor = process.pid % PORT_SPAN;
  for (let i = 0; i < PORT_SPAN; i++) {
    const port = PORT_BASE + ((portCursor + i) % PORT_SPAN);
    if (await portIsFree(port)) {
      portCursor = (portCursor + i + 1) % PORT_SPAN;
      return port;
    }
  }
  throw new Error(`no free port in ${PORT_BASE}-${PORT_BASE + PORT_SPAN - 1}`);
}

function tailOf(file, n = 4000) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.length > n ? `...${text.slice(-n)}` : text;
  } catch {
    return '';
  }
}

// Children still running when this process exits are killed (by their pid).
const liveChildren = new Set();
function killChildren() {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    killChildren();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

// The command that runs a server of the selected kind.
function serverCommand() {
  if (IS_PARSEC) return { cmd: PARSEC_BIN, args: [] };
  if (!PARSE_SERVER_CLI) throw new Error('PARSE_SERVER_CLI is needed to spawn parse-server');
  return { cmd: process.execPath, args: [PARSE_SERVER_CLI] };
}

// Whether this run can start servers of its own (always for parsec).
function canSpawn() {
  return IS_PARSEC || Boolean(PARSE_SERVER_CLI && TARGET_DATABASE_URI);
}

function makeTempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'parsec-bb-'));
}

// Runs SQL on the PG_URI server with psql (synchronously: freshDatabaseURI
// is called from plain expressions).  One -c per statement, as CREATE and
// DROP DATABASE refuse to run inside the transaction a multi-statement -c is.
function psql(statements) {
  const u = new URL(PG_URI);
  const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', u.hostname, '-p', u.port || '5432',
    '-U', decodeURIComponent(u.username) || 'postgres', '-d', u.pathname.slice(1) || 'postgres'];
  for (const sql of statements) args.push('-c', sql);
  const env = { ...process.env };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  execFileSync('psql', args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
}

// Databases this process created; dropped at exit, after killChildren (an
// earlier 'exit' listener) has stopped any server still using them.  FORCE
// ends sessions a server left behind.
const pgDatabases = [];
process.on('exit', () => {
  if (pgDatabases.length === 0) return;
  try {
    psql(pgDatabases.map(db => `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
  } catch (err) {
    process.stderr.write(`harness: could not drop ${pgDatabases.join(' ')}: ${err.stderr || err.message}\n`);
  }
});

let pgDatabaseCounter = 0;
// A database URI for a fresh spawned server: a new SQLite file in dir, or a
// new PostgreSQL database with PARSEC_TEST_PG_URI.
function freshDatabaseURI(dir) {
  if (!IS_PARSEC) return TARGET_DATABASE_URI;
  if (PARSEC_ENGINE === 'sqlite') return path.join(dir, 'db.sqlite');
  // Unique per process and call; the random part keeps a reused pid from
  // meeting a database a killed run left behind.
  const name = `parsec_bb_${process.pid}_${++pgDatabaseCounter}_${randomId(6).toLowerCase()}`;
  psql([`CREATE DATABASE ${name}`]);
  pgDatabases.push(name);
  const u = new URL(PG_URI);
  u.pathname = `/${name}`;
  return u.toString();
}

// Spawns a process with output going to a log file; returns {child, exited}.
function spawnLogged(cmd, args, { env, logFile, cwd } = {}) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    env: env || process.env,
    cwd: cwd || os.tmpdir(),
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  liveChildren.add(child);
  const exited = new Promise(resolve => {
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
    child.once('error', err => {
      liveChildren.delete(child);
      resolve({ code: null, signal: null, error: err });
    });
  });
  child.exitInfo = null;
  exited.then(info => {
    child.exitInfo = info;
  });
  return { child, exited };
}

// Runs a command to completion (bounded); returns {code, signal, stdout, stderr}.
function runToExit(cmd, args, { env, timeoutMs = 15000, cwd } = {}) {
  return new Promise(resolve => {
    const child = spawn(cmd, args, { env: env || process.env, cwd: cwd || os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', err => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code: null, signal: null, stdout, stderr, error: err });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut: signal === 'SIGKILL' });
    });
  });
}

async function healthOk(url) {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return false;
    const body = await res.json();
    return body && body.status === 'ok';
  } catch {
    return false;
  }
}

// Waits for GET <url>/health to answer {"status":"ok"} while the child lives.
async function waitHealthy(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitInfo) return false;
    if (await healthOk(url)) return true;
    await sleep(50);
  }
  return false;
}

function optionsToArgs(options) {
  const args = [];
  for (const [k, v] of Object.entries(options)) {
    if (v === null || v === undefined) continue;
    args.push(`--${k}`, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return args;
}

// parse-server wants a few parsec options under other names.
function parseServerConfig(options) {
  const cfg = { ...options };
  if (cfg.batchRequestLimit !== undefined) {
    cfg.requestComplexity = { ...(cfg.requestComplexity || {}), batchRequestLimit: cfg.batchRequestLimit };
    delete cfg.batchRequestLimit;
  }
  delete cfg.maxObjectSize; // parsec-only
  cfg.logLevel = cfg.logLevel || 'error';
  for (const k of Object.keys(cfg)) if (cfg[k] === null || cfg[k] === undefined) delete cfg[k];
  return cfg;
}

class Server {
  constructor({ url, child, exited, dir, logFile, options }) {
    this.url = url; // serverURL including the mount path
    this.origin = new URL(url).origin;
    this.port = Number(new URL(url).port);
    this.child = child || null;
    this.exited = exited || null;
    this.dir = dir || null;
    this.logFile = logFile || null;
    this.options = options || DEFAULT_OPTIONS;
    this.stopped = false;
  }

  get spawned() {
    return Boolean(this.child);
  }

  log() {
    return this.logFile ? tailOf(this.logFile) : '';
  }

  // Stops a spawned server with SIGTERM; resolves to {code, signal}; throws
  // unless it exits with status 0 within 10 s (or had already died).
  async stop({ signal = 'SIGTERM' } = {}) {
    if (!this.child || this.stopped) return null;
    this.stopped = true;
    const already = this.child.exitInfo;
    let info = already;
    if (!already) {
      this.child.kill(signal);
      let timer;
      const timeout = new Promise(resolve => {
        timer = setTimeout(() => resolve('timeout'), 10000);
      });
      info = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (info === 'timeout') {
        this.child.kill('SIGKILL');
        await this.exited;
        throw new Error(`server did not exit within 10 s of ${signal}\n${this.log()}`);
      }
    }
    const log = this.log();
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    if (already) {
      throw new Error(`server had exited on its own during the tests (code ${already.code}, signal ${already.signal})\n${log}`);
    }
    if (info.code !== 0) {
      throw new Error(`server exited with code ${info.code} signal ${info.signal} after ${signal} (expected 0)\n${log}`);
    }
    return info;
  }
}

// Starts a server with DEFAULT_OPTIONS plus overrides.  Without overrides and
// with TARGET_URL set, returns the running target instead.
async function startServer(overrides = {}, { forceSpawn = false, healthTimeoutMs } = {}) {
  const options = { ...DEFAULT_OPTIONS, ...overrides };
  for (const k of Object.keys(options)) if (options[k] === null) delete options[k];
  const isDefault = Object.keys(overrides).length === 0 && !forceSpawn;
  if (isDefault && TARGET_URL) {
    if (!(await healthOk(TARGET_URL))) throw new Error(`TARGET_URL ${TARGET_URL} does not answer /health`);
    return new Server({ url: TARGET_URL, options });
  }
  if (!canSpawn()) throw new Error('this run cannot start servers (parse-server needs PARSE_SERVER_CLI and TARGET_DATABASE_URI)');
  if (IS_PARSEC && !fs.existsSync(PARSEC_BIN)) {
    throw new Error(`parsec binary not found at ${PARSEC_BIN} (set PARSEC_BIN)`);
  }
  const timeoutMs = healthTimeoutMs || (IS_PARSEC ? 10000 : 45000);
  let lastError = null;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await findFreePort();
    const dir = makeTempDir();
    const logFile = path.join(dir, 'server.log');
    const mount = options.mountPath || '/parse';
    const url = `http://${HOST}:${port}${mount}`;
    const { cmd, args } = serverCommand();
    let fullArgs;
    if (IS_PARSEC) {
      const { databaseURI, ...rest } = options;
      fullArgs = [
        ...args,
        ...optionsToArgs(rest),
        '--port', String(port),
        '--host', HOST,
        '--databaseURI', databaseURI || freshDatabaseURI(dir),
        '--serverURL', url,
      ];
    } else {
      const cfg = parseServerConfig({
        ...options,
        port,
        host: HOST,
        serverURL: url,
        databaseURI: options.databaseURI || freshDatabaseURI(dir),
      });
      const cfgFile = path.join(dir, 'config.json');
      fs.writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
      fullArgs = [...args, cfgFile];
    }
    const { child, exited } = spawnLogged(cmd, fullArgs, { logFile });
    const ok = await waitHealthy(url, child, timeoutMs);
    if (ok) return new Server({ url, child, exited, dir, logFile, options });
    const log = tailOf(logFile);
    if (!child.exitInfo) {
      child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    lastError = new Error(
      `server did not become healthy at ${url}/health within ${timeoutMs} ms` +
        `${child.exitInfo ? ` (exited: code ${child.exitInfo.code} signal ${child.exitInfo.signal})` : ''}\n` +
        `command: ${cmd} ${fullArgs.join(' ')}\n${log}`,
    );
    if (!/EADDRINUSE|address already in use|in use|bind/i.test(log)) break;
  }
  throw lastError;
}

// Registers before/after hooks that start a server for the current file (or
// describe block).  Returns a handle whose .srv is the Server once started.
// Hooks that use .srv must run after this one: register them inside a
// describe() (a top-level before() may run before the server is up).
function useServer(overrides = {}, opts = {}) {
  const handle = {
    server: null,
    get srv() {
      if (!this.server) throw new Error('server not started (yet): put before() hooks that use it inside a describe()');
      return this.server;
    },
  };
  before(async () => {
    handle.server = await startServer(overrides, opts);
  });
  after(async () => {
    if (handle.server) await handle.server.stop();
  });
  return handle;
}

// ------------------------------------------------------------------ HTTP

const AUTH = {
  none: {},
  app: { 'X-Parse-Application-Id': APP_ID },
  rest: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-REST-API-Key': REST_KEY },
  js: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Javascript-Key': JS_KEY },
  client: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Client-Key': CLIENT_KEY },
  master: { 'X-Parse-Application-Id': APP_ID, 'X-Parse-Master-Key': MASTER_KEY },
};

// request(srv, method, path, {body, raw, headers, auth, contentType})
//   path: relative to the mount ("/classes/X") or a full URL.
//   body: JSON-encoded; raw: sent as is (string or Buffer).
// Resolves to {status, headers, text, json} (json undefined if not JSON).
async function request(srv, method, p, { body, raw, headers = {}, auth = 'rest', contentType, timeoutMs = 60000 } = {}) {
  const url = /^https?:/.test(p) ? p : `${srv.url}${p}`;
  const h = { ...AUTH[auth] };
  let payload;
  if (raw !== undefined) {
    payload = raw;
    h['Content-Type'] = contentType || 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['Content-Type'] = contentType || 'application/json';
  }
  Object.assign(h, headers);
  for (const k of Object.keys(h)) if (h[k] === null) delete h[k];
  const send = () =>
    fetch(url, {
      method,
      headers: h,
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  let res;
  try {
    res = await send();
  } catch (err) {
    // A kept-alive connection closed by the server just as it was reused:
    // the request did not reach the server, so send it once more.  (A server
    // that really went away fails again, with ECONNREFUSED.)
    const cause = err && err.cause;
    const reused = cause && (cause.code === 'UND_ERR_SOCKET' || cause.code === 'ECONNRESET');
    if (!reused) throw err;
    await sleep(50);
    res = await send();
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function describeRes(res) {
  return `HTTP ${res.status} ${res.text.length > 600 ? `${res.text.slice(0, 600)}...` : res.text}`;
}

function statusMatches(actual, expected) {
  if (Array.isArray(expected)) return expected.includes(actual);
  return actual === expected;
}

// Asserts a success status and returns the JSON body.
function expectOk(res, status = 200) {
  assert.ok(statusMatches(res.status, status), `expected HTTP ${JSON.stringify(status)}, got ${describeRes(res)}`);
  assert.notEqual(res.json, undefined, `expected a JSON body, got ${describeRes(res)}`);
  return res.json;
}

// Asserts a Parse error: HTTP status (number or list) and {code, error}.
// code === null asserts that the body has no code (parse-server's bare errors).
function expectError(res, status, code) {
  assert.ok(statusMatches(res.status, status), `expected HTTP ${JSON.stringify(status)} (code ${code}), got ${describeRes(res)}`);
  if (code === undefined) return res.json;
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), `expected a JSON error object, got ${describeRes(res)}`);
  if (code === null) {
    assert.equal(res.json.code, undefined, `expected no code, got ${describeRes(res)}`);
  } else if (Array.isArray(code)) {
    assert.ok(code.includes(res.json.code), `expected code in ${JSON.stringify(code)}, got ${describeRes(res)}`);
  } else {
    assert.equal(res.json.code, code, `expected code ${code}, got ${describeRes(res)}`);
  }
  assert.equal(typeof res.json.error, 'string', `expected an "error" message string, got ${describeRes(res)}`);
  return res.json;
}

// Like expectError, with separate expectations for parsec and parse-server
// (the differences ERRORS.md documents).  Each side is {status, code} or a
// function(res) doing its own checks.
function expectDivergent(res, { parsec, parseServer }) {
  const side = IS_PARSEC ? parsec : parseServer;
  if (typeof side === 'function') return side(res);
  return expectError(res, side.status, side.code);
}

// A client error that parsec must answer as a 4xx Parse error.  parse-server
// answers some malformed input with 500 (ERRORS.md rule 3): for it, any
// non-success status is accepted unless psStatus narrows it.
function expectClientError(res, { codes, psStatus } = {}) {
  if (IS_PARSEC) {
    assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx Parse error, got ${describeRes(res)}`);
    assert.ok(res.json && typeof res.json.code === 'number', `expected a JSON body with a numeric code, got ${describeRes(res)}`);
    assert.equal(typeof res.json.error, 'string', `expected an error message, got ${describeRes(res)}`);
    if (codes) assert.ok(codes.includes(res.json.code), `expected code in ${JSON.stringify(codes)}, got ${describeRes(res)}`);
  } else if (psStatus !== undefined) {
    assert.ok(statusMatches(res.status, psStatus), `expected HTTP ${JSON.stringify(psStatus)} from parse-server, got ${describeRes(res)}`);
  } else {
    assert.ok(res.status >= 400, `expected an error status, got ${describeRes(res)}`);
  }
}

// The server still answers /health with {"status":"ok"} (and, when spawned,
// its process is still running).
async function expectAlive(srv) {
  if (srv.child) assert.equal(srv.child.exitInfo, null, `server process died: ${JSON.stringify(srv.child.exitInfo)}\n${srv.log()}`);
  const res = await request(srv, 'GET', '/health', { auth: 'none', timeoutMs: 10000 });
  assert.equal(res.status, 200, `server no longer answers /health: ${describeRes(res)}`);
  assert.deepEqual(res.json, { status: 'ok' });
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const OBJECT_ID = /^[A-Za-z0-9]{10}$/;

// Creates objects through /batch with the master key (chunks of 50), returns
// their objectIds in order.
async function createMany(srv, className, bodies) {
  const ids = [];
  for (let i = 0; i < bodies.length; i += 50) {
    const chunk = bodies.slice(i, i + 50);
    const mount = new URL(srv.url).pathname;
    const res = await request(srv, 'POST', '/batch', {
      auth: 'master',
      body: { requests: chunk.map(b => ({ method: 'POST', path: `${mount}/classes/${className}`, body: b })) },
    });
    const out = expectOk(res);
    assert.equal(out.length, chunk.length);
    for (const item of out) {
      assert.ok(item.success && item.success.objectId, `batch create failed: ${JSON.stringify(item)}`);
      ids.push(item.success.objectId);
    }
  }
  return ids;
}

async function createObject(srv, className, body, auth = 'rest') {
  const res = await request(srv, 'POST', `/classes/${className}`, { body, auth });
  return expectOk(res, 201);
}

async function getObject(srv, className, id, auth = 'rest', query = '') {
  const res = await request(srv, 'GET', `/classes/${className}/${id}${query}`, { auth });
  return expectOk(res, 200);
}

// GET /classes/<className> with params (objects are JSON-encoded).
async function find(srv, className, params = {}, auth = 'rest') {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) qs.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  const s = qs.toString();
  return request(srv, 'GET', `/classes/${className}${s ? `?${s}` : ''}`, { auth });
}

// Array comparison where parse-server on PostgreSQL does not keep element
// order for Add / Remove (it rebuilds the array); parsec must keep it.
function assertArrayResult(actual, expected, message) {
  assert.ok(Array.isArray(actual), `${message || 'value'}: expected an array, got ${JSON.stringify(actual)}`);
  if (IS_PARSEC) {
    assert.deepEqual(actual, expected, message);
  } else {
    const key = v => JSON.stringify(v);
    assert.deepEqual([...actual].map(key).sort(), [...expected].map(key).sort(), message);
  }
}

function sameMembers(actual, expected, message) {
  const key = v => JSON.stringify(v);
  assert.ok(Array.isArray(actual), `${message || 'value'}: expected an array, got ${JSON.stringify(actual)}`);
  assert.deepEqual([...actual].map(key).sort(), [...expected].map(key).sort(), message);
}

// The Parse JS SDK, pointed at srv.
function parseSdk(srv, { masterKey = false } = {}) {
  const Parse = require('parse/node');
  Parse.initialize(APP_ID, JS_KEY, masterKey ? MASTER_KEY : undefined);
  Parse.serverURL = srv.url;
  Parse.CoreManager.set('REQUEST_ATTEMPT_LIMIT', 1);
  return Parse;
}

module.exports = {
  KIND,
  IS_PARSEC,
  TARGET_URL,
  PARSEC_BIN,
  PARSE_SERVER_CLI,
  TARGET_DATABASE_URI,
  PARSEC_ENGINE,
  HOST,
  APP_ID,
  MASTER_KEY,
  REST_KEY,
  JS_KEY,
  CLIENT_KEY,
  DEFAULT_OPTIONS,
  AUTH,
  ISO_MS,
  OBJECT_ID,
  pick,
  randomId,
  uniqueClass,
  sleep,
  findFreePort,
  serverCommand,
  canSpawn,
  makeTempDir,
  freshDatabaseURI,
  psql,
  spawnLogged,
  runToExit,
  waitHealthy,
  healthOk,
  tailOf,
  startServer,
  useServer,
  request,
  describeRes,
  expectOk,
  expectError,
  expectDivergent,
  expectClientError,
  expectAlive,
  createMany,
  createObject,
  getObject,
  find,
  assertArrayResult,
  sameMembers,
  parseSdk,
};
