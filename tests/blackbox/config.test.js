'use strict';
// Server configuration and process behaviour: --help, required options, a JSON
// config file, PARSE_SERVER_* environment variables, signals, health, mount
// path and a few options (allowCustomObjectId, maxUploadSize, maxObjectSize,
// persistence of the database across restarts).
// Against parse-server these run only with PARSE_SERVER_CLI and
// TARGET_DATABASE_URI (they spawn servers of their own).
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const h = require('./harness');

const skip = !h.canSpawn() && 'needs a spawned server (PARSE_SERVER_CLI and TARGET_DATABASE_URI)';

// The environment without any PARSE_SERVER_* / PORT variable of the caller.
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PARSE_SERVER_') || k === 'PORT' || k === 'VERBOSE') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

// Starts a server from a raw command line / environment; resolves to
// {url, child, exited, dir, logFile, stop()}.
async function spawnRaw({ args = [], env = cleanEnv(), port, mount = '/parse', dir }) {
  const { cmd, args: base } = h.serverCommand();
  dir = dir || h.makeTempDir();
  const logFile = path.join(dir, 'server.log');
  const { child, exited } = h.spawnLogged(cmd, [...base, ...args], { env, logFile });
  const url = `http://${h.HOST}:${port}${mount}`;
  const healthy = await h.waitHealthy(url, child, h.IS_PARSEC ? 10000 : 45000);
  const stop = async (signal = 'SIGTERM') => {
    if (!child.exitInfo) child.kill(signal);
    let timer;
    const info = await Promise.race([exited, new Promise(resolve => (timer = setTimeout(() => resolve('timeout'), 10000)))]);
    clearTimeout(timer);
    if (info === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    return info;
  };
  if (!healthy) {
    const log = h.tailOf(logFile);
    await stop('SIGKILL');
    throw new Error(`server did not become healthy at ${url}\n${cmd} ${[...base, ...args].join(' ')}\n${log}`);
  }
  return { url, child, exited, dir, logFile, stop };
}

function baseArgs(port, dir, extra = {}) {
  const opts = {
    appId: h.APP_ID,
    masterKey: h.MASTER_KEY,
    port,
    host: h.HOST,
    databaseURI: h.freshDatabaseURI(dir),
    mountPath: '/parse',
    ...extra,
  };
  const args = [];
  for (const [k, v] of Object.entries(opts)) if (v !== null) args.push(`--${k}`, String(v));
  return args;
}

describe('command line', { skip }, () => {
  test('--help prints the options and exits 0', async () => {
    const { cmd, args } = h.serverCommand();
    const res = await h.runToExit(cmd, [...args, '--help'], { env: cleanEnv() });
    assert.equal(res.code, 0, `exit code ${res.code}\n${res.stderr}`);
    const out = res.stdout + res.stderr;
    for (const opt of ['--appId', '--masterKey', '--port', '--databaseURI', '--mountPath']) {
      assert.ok(out.includes(opt), `--help output does not mention ${opt}`);
    }
  });

  test('a missing masterKey makes it exit non-zero with a message on stderr', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const { cmd, args } = h.serverCommand();
    const res = await h.runToExit(cmd, [...args, ...baseArgs(port, dir, { masterKey: null })], { env: cleanEnv() });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.notEqual(res.code, 0, 'exit status should be non-zero');
    assert.ok(!res.timedOut, 'it should exit by itself');
    assert.match(res.stderr, /masterKey/i);
  });

  test('a missing appId makes it exit non-zero with a message on stderr', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const { cmd, args } = h.serverCommand();
    const res = await h.runToExit(cmd, [...args, ...baseArgs(port, dir, { appId: null })], { env: cleanEnv() });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.notEqual(res.code, 0);
    assert.ok(!res.timedOut, 'it should exit by itself');
    assert.match(res.stderr, /appId/i);
  });

  test('SIGTERM stops it with exit status 0', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const srv = await spawnRaw({ args: baseArgs(port, dir), port, dir });
    const info = await srv.stop('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(info, { code: 0, signal: null });
  });

  test('SIGINT stops it with exit status 0', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const srv = await spawnRaw({ args: baseArgs(port, dir), port, dir });
    const info = await srv.stop('SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(info, { code: 0, signal: null });
  });

  test('SIGTERM while requests are in flight still exits 0', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const srv = await spawnRaw({ args: baseArgs(port, dir, { restAPIKey: 'rest' }), port, dir });
    const C = h.uniqueClass('CfgBusy');
    const inflight = Array.from({ length: 20 }, (_, i) =>
      h.request({ url: srv.url }, 'POST', `/classes/${C}`, { auth: 'master', body: { i } }).catch(() => null),
    );
    await h.sleep(5);
    const info = await srv.stop('SIGTERM');
    await Promise.all(inflight);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(info, { code: 0, signal: null });
  });
});

describe('shutdown with clients still connected', { skip }, () => {
  const modes = [
    ['an idle connection', ''],
    ['half a request line', 'GET /parse/health HT'],
    ['headers without their end', 'GET /parse/health HTTP/1.1\r\nHost: x\r\n'],
    ['a body shorter than its Content-Length', 'POST /parse/classes/Held HTTP/1.1\r\nHost: x\r\nX-Parse-Application-Id: app\r\nX-Parse-Master-Key: master\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":'],
  ];
  for (const [label, bytes] of modes) {
    test(`SIGTERM exits 0 within 10 s while clients hold ${label} open`, async () => {
      const dir = h.makeTempDir();
      const port = await h.findFreePort();
      const srv = await spawnRaw({ args: baseArgs(port, dir), port, dir });
      const socks = [];
      try {
        for (let i = 0; i < 3; i++) {
          const sock = net.connect({ host: h.HOST, port });
          sock.on('error', () => {});
          await new Promise(resolve => sock.once('connect', resolve));
          if (bytes) sock.write(bytes);
          socks.push(sock);
        }
        await h.sleep(200);
        const started = Date.now();
        const info = await srv.stop('SIGTERM');
        assert.notEqual(info, 'timeout', `still running 10 s after SIGTERM\n${h.tailOf(srv.logFile)}`);
        assert.deepEqual(info, { code: 0, signal: null });
        assert.ok(Date.now() - started < 10000);
      } finally {
        for (const sock of socks) sock.destroy();
        await srv.stop('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('configuration sources', { skip }, () => {
  test('a JSON config file given as the only argument', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const cfgFile = path.join(dir, 'config.json');
    fs.writeFileSync(cfgFile, JSON.stringify({
      appId: 'cfgApp',
      masterKey: 'cfgMaster',
      restAPIKey: 'cfgRest',
      port,
      host: h.HOST,
      databaseURI: h.freshDatabaseURI(dir),
      mountPath: '/parse',
      allowClientClassCreation: true,
    }));
    const srv = await spawnRaw({ args: [cfgFile], port, dir });
    try {
      const C = h.uniqueClass('CfgFile');
      const ok = await h.request({ url: srv.url }, 'POST', `/classes/${C}`, {
        auth: 'none',
        headers: { 'X-Parse-Application-Id': 'cfgApp', 'X-Parse-REST-API-Key': 'cfgRest' },
        body: { a: 1 },
      });
      h.expectOk(ok, 201);
      const master = await h.request({ url: srv.url }, 'GET', `/classes/${C}`, {
        auth: 'none',
        headers: { 'X-Parse-Application-Id': 'cfgApp', 'X-Parse-Master-Key': 'cfgMaster' },
      });
      assert.equal(h.expectOk(master).results.length, 1);
      const wrongApp = await h.request({ url: srv.url }, 'GET', `/classes/${C}`, { auth: 'rest' });
      assert.equal(wrongApp.status, 403, 'the default app id is not the configured one');
    } finally {
      const info = await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(info, { code: 0, signal: null });
    }
  });

  test('PARSE_SERVER_* environment variables', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const env = cleanEnv({
      PARSE_SERVER_APPLICATION_ID: 'envApp',
      PARSE_SERVER_MASTER_KEY: 'envMaster',
      PARSE_SERVER_JAVASCRIPT_KEY: 'envJs',
      PARSE_SERVER_DATABASE_URI: h.freshDatabaseURI(dir),
      PARSE_SERVER_MOUNT_PATH: '/parse',
      PARSE_SERVER_HOST: h.HOST,
      PARSE_SERVER_ALLOW_CLIENT_CLASS_CREATION: 'true',
      PORT: String(port),
    });
    const srv = await spawnRaw({ args: [], env, port, dir });
    try {
      const C = h.uniqueClass('CfgEnv');
      const created = await h.request({ url: srv.url }, 'POST', `/classes/${C}`, {
        auth: 'none',
        headers: { 'X-Parse-Application-Id': 'envApp', 'X-Parse-Javascript-Key': 'envJs' },
        body: { a: 1 },
      });
      h.expectOk(created, 201);
      const bad = await h.request({ url: srv.url }, 'GET', `/classes/${C}`, {
        auth: 'none',
        headers: { 'X-Parse-Application-Id': 'envApp', 'X-Parse-Javascript-Key': 'wrong' },
      });
      assert.equal(bad.status, 403);
      const master = await h.request({ url: srv.url }, 'GET', `/classes/${C}`, {
        auth: 'none',
        headers: { 'X-Parse-Application-Id': 'envApp', 'X-Parse-Master-Key': 'envMaster' },
      });
      assert.equal(h.expectOk(master).results.length, 1);
    } finally {
      const info = await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(info, { code: 0, signal: null });
    }
  });

  test('command-line options win over environment variables', async () => {
    const dir = h.makeTempDir();
    const port = await h.findFreePort();
    const env = cleanEnv({ PARSE_SERVER_APPLICATION_ID: 'fromEnv', PARSE_SERVER_MASTER_KEY: 'envMaster' });
    const srv = await spawnRaw({ args: baseArgs(port, dir, { appId: 'fromArgs', masterKey: 'argMaster' }), env, port, dir });
    try {
      const res = await h.request({ url: srv.url }, 'GET', `/classes/${h.uniqueClass('CfgWin')}`, {
        auth: 'none',
        headers: { 'X-Parse-Application-Id': 'fromArgs', 'X-Parse-Master-Key': 'argMaster' },
      });
      h.expectOk(res);
    } finally {
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('health and mount path', { skip }, () => {
  test('GET <mount>/health answers {"status":"ok"} without any key', async () => {
    const srv = await h.startServer({}, { forceSpawn: true });
    try {
      const res = await fetch(`${srv.url}/health`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') || '', /application\/json/);
      assert.deepEqual(await res.json(), { status: 'ok' });
      if (h.IS_PARSEC) {
        // parsec also answers /health outside the mount (parse-server's CLI does not).
        const root = await fetch(`${srv.origin}/health`, { signal: AbortSignal.timeout(5000) });
        assert.equal(root.status, 200);
        assert.deepEqual(await root.json(), { status: 'ok' });
      }
    } finally {
      await srv.stop();
    }
  });

  test('a custom mountPath serves the API under it', async () => {
    const srv = await h.startServer({ mountPath: '/api/v1' });
    try {
      assert.ok(srv.url.endsWith('/api/v1'));
      const C = h.uniqueClass('CfgMount');
      const created = h.expectOk(await h.request(srv, 'POST', `/classes/${C}`, { body: { a: 1 } }), 201);
      const loc = (await h.request(srv, 'POST', `/classes/${C}`, { body: { a: 2 } })).headers.get('location');
      assert.ok(loc && loc.startsWith(`${srv.url}/classes/${C}/`), `Location ${loc}`);
      assert.equal((await h.getObject(srv, C, created.objectId)).a, 1);
      const old = await fetch(`${srv.origin}/parse/classes/${C}`, { headers: h.AUTH.rest, signal: AbortSignal.timeout(5000) });
      await old.arrayBuffer();
      assert.equal(old.status, 404, 'the default mount is not served');
    } finally {
      await srv.stop();
    }
  });
});

describe('options', { skip }, () => {
  test('allowCustomObjectId true: the client chooses the objectId', async () => {
    const srv = await h.startServer({ allowCustomObjectId: true });
    try {
      const C = h.uniqueClass('CfgCustomId');
      const res = await h.request(srv, 'POST', `/classes/${C}`, { body: { objectId: 'myCustomId', a: 1 } });
      assert.equal(h.expectOk(res, 201).objectId, 'myCustomId');
      assert.equal((await h.getObject(srv, C, 'myCustomId')).a, 1);
      // The same id twice is refused (DuplicateValue, 137).
      h.expectError(await h.request(srv, 'POST', `/classes/${C}`, { body: { objectId: 'myCustomId', a: 2 } }), 400, 137);
      assert.equal((await h.getObject(srv, C, 'myCustomId')).a, 1);
    } finally {
      await srv.stop();
    }
  });

  test('maxUploadSize: a body over a small limit is refused, one under it is not', async () => {
    const srv = await h.startServer({ maxUploadSize: '10kb' });
    try {
      const C = h.uniqueClass('CfgUpload');
      h.expectOk(await h.request(srv, 'POST', `/classes/${C}`, { body: { s: 'x'.repeat(5 * 1024) } }), 201);
      const res = await h.request(srv, 'POST', `/classes/${C}`, { body: { s: 'x'.repeat(20 * 1024) } });
      h.expectDivergent(res, { parsec: { status: [413, 400], code: 116 }, parseServer: { status: 413 } });
      await h.expectAlive(srv);
    } finally {
      await srv.stop();
    }
  });

  test('maxObjectSize (parsec only): objects over it are 116', { skip: !h.IS_PARSEC && 'parsec-only option' }, async () => {
    const srv = await h.startServer({ maxObjectSize: '2kb' });
    try {
      const C = h.uniqueClass('CfgObjSize');
      h.expectOk(await h.request(srv, 'POST', `/classes/${C}`, { body: { s: 'x'.repeat(1024) } }), 201);
      h.expectError(await h.request(srv, 'POST', `/classes/${C}`, { body: { s: 'x'.repeat(3 * 1024) } }), 400, 116);
    } finally {
      await srv.stop();
    }
  });

  test('data survives a restart on the same database', async () => {
    const dir = h.makeTempDir();
    const databaseURI = h.freshDatabaseURI(dir);
    const C = h.uniqueClass('CfgPersist');
    let id;
    const first = await h.startServer({ databaseURI });
    try {
      id = h.expectOk(await h.request(first, 'POST', `/classes/${C}`, { body: { kept: 'yes', n: 1 } }), 201).objectId;
      h.expectOk(await h.request(first, 'PUT', `/classes/${C}/${id}`, { body: { n: { __op: 'Increment', amount: 1 } } }));
    } finally {
      await first.stop();
    }
    const second = await h.startServer({ databaseURI });
    try {
      const got = await h.getObject(second, C, id);
      assert.equal(got.kept, 'yes');
      assert.equal(got.n, 2);
      // The schema survived too: a type change is still refused.
      h.expectError(await h.request(second, 'POST', `/classes/${C}`, { body: { n: 'str' } }), 400, 111);
    } finally {
      await second.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
