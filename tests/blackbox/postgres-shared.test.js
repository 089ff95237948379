'use strict';
// Two parsec processes on one PostgreSQL database behave as one server:
// what one changes that the other caches (a class's fields and permissions,
// a logout, a role's members) reaches the other within a bounded time, and
// a process whose database connections are cut reconnects by itself.
// Runs only with PARSEC_TEST_PG_URI (see scripts/pg.sh).
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const skip = h.PARSEC_ENGINE !== 'postgres' && 'needs parsec on PostgreSQL (PARSEC_TEST_PG_URI)';
// How long another process may take to see a change.
const BOUND_MS = 5000;

// Retries fn until it stops throwing or BOUND_MS passes; returns its value.
async function eventually(fn) {
  const end = Date.now() + BOUND_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await h.sleep(50);
    }
  }
}

describe('two parsec processes on one PostgreSQL database', { skip }, () => {
  let a, b, databaseURI;
  before(async () => {
    databaseURI = h.freshDatabaseURI(h.makeTempDir());
    a = await h.startServer({ databaseURI }, { forceSpawn: true });
    b = await h.startServer({ databaseURI }, { forceSpawn: true });
  });
  after(async () => {
    if (a) await a.stop();
    if (b) await b.stop();
  });

  async function signUp(srv) {
    const username = `u${h.randomId(10)}`;
    const res = h.expectOk(await h.request(srv, 'POST', '/users', { body: { username, password: 'pw' } }), 201);
    return { id: res.objectId, token: res.sessionToken };
  }

  test('an object written through one is read through the other', async () => {
    const C = h.uniqueClass('Shared');
    const made = await h.createObject(a, C, { n: 1 });
    assert.equal((await h.getObject(b, C, made.objectId)).n, 1);
  });

  test('a field added through one appears in the other', async () => {
    const C = h.uniqueClass('SharedField');
    const first = await h.createObject(a, C, { n: 1 });
    // b learns the class as it is now.
    h.expectOk(await h.find(b, C));
    const second = await h.createObject(a, C, { n: 2, extra: 'new' });
    await eventually(async () => {
      assert.equal((await h.getObject(b, C, second.objectId)).extra, 'new');
    });
    assert.equal((await h.getObject(b, C, first.objectId)).extra, undefined);
  });

  test('permissions set through one are enforced by the other', async () => {
    const C = h.uniqueClass('SharedClp');
    await h.createObject(a, C, { n: 1 });
    h.expectOk(await h.find(b, C));
    h.expectOk(await h.request(a, 'PUT', `/schemas/${C}`, {
      auth: 'master',
      body: { classLevelPermissions: { find: {}, get: {}, count: {}, create: {}, update: {}, delete: {}, addField: {} } },
    }));
    await eventually(async () => {
      h.expectError(await h.find(b, C), [400, 403], 119);
    });
  });

  test('a logout through one ends the session in the other', async () => {
    const user = await signUp(a);
    const headers = { 'X-Parse-Session-Token': user.token };
    h.expectOk(await h.request(b, 'GET', '/users/me', { headers }));
    h.expectOk(await h.request(a, 'POST', '/logout', { headers }));
    await eventually(async () => {
      h.expectError(await h.request(b, 'GET', '/users/me', { headers }), [400, 404], 209);
    });
  });

  test('a user added to a role through one gains its access in the other', async () => {
    const C = h.uniqueClass('SharedRole');
    const user = await signUp(a);
    const role = `Staff${h.randomId(6)}`;
    const obj = await h.createObject(a, C, { secret: 1, ACL: { [`role:${role}`]: { read: true } } }, 'master');
    const headers = { 'X-Parse-Session-Token': user.token };
    h.expectOk(await h.request(a, 'POST', '/roles', {
      auth: 'master', body: { name: role, ACL: { '*': { read: true } } },
    }), 201);
    // b resolves the user's roles (none yet) and is refused.
    h.expectError(await h.request(b, 'GET', `/classes/${C}/${obj.objectId}`, { headers }), 404, 101);
    const found = h.expectOk(await h.request(a, 'GET', `/roles?where=${encodeURIComponent(JSON.stringify({ name: role }))}`, { auth: 'master' }));
    h.expectOk(await h.request(a, 'PUT', `/roles/${found.results[0].objectId}`, {
      auth: 'master',
      body: { users: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: '_User', objectId: user.id }] } },
    }));
    await eventually(async () => {
      const got = h.expectOk(await h.request(b, 'GET', `/classes/${C}/${obj.objectId}`, { headers }));
      assert.equal(got.secret, 1);
    });
  });

  test('a class dropped through one is gone in the other', async () => {
    const C = h.uniqueClass('SharedDrop');
    const made = await h.createObject(a, C, { n: 1 });
    h.expectOk(await h.find(b, C));
    h.expectOk(await h.request(a, 'DELETE', `/classes/${C}/${made.objectId}`));
    h.expectOk(await h.request(a, 'DELETE', `/schemas/${C}`, { auth: 'master' }));
    await eventually(async () => {
      h.expectError(await h.request(b, 'GET', `/schemas/${C}`, { auth: 'master' }), 400, 103);
      assert.deepEqual(h.expectOk(await h.find(b, C)).results, []);
    });
  });

  test('with its database gone, a class it never saw is 503, not an empty class', async () => {
    const uri = h.freshDatabaseURI(h.makeTempDir());
    const c = await h.startServer({ databaseURI: uri }, { forceSpawn: true });
    try {
      assert.deepEqual(h.expectOk(await h.find(c, h.uniqueClass('Gone'))).results, []);
      h.psql([`DROP DATABASE ${new URL(uri).pathname.slice(1)} WITH (FORCE)`]);
      h.expectError(await h.find(c, h.uniqueClass('Gone')), 503, 2);
      h.expectError(await h.request(c, 'GET', `/classes/${h.uniqueClass('Gone')}/abc`), 503, 2);
    } finally {
      await c.stop();
    }
  });

  test('a process whose connections are cut answers cleanly and recovers', async () => {
    const C = h.uniqueClass('SharedCut');
    const made = await h.createObject(a, C, { n: 1 });
    h.expectOk(await h.find(b, C));
    const db = new URL(databaseURI).pathname.slice(1);
    // What a database restart does to every session on it.
    h.psql([`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`]);
    // Every answer is a result or a clean Parse error, never a hang.
    let ok = 0;
    for (let i = 0; i < 40 && ok < 5; i++) {
      const res = await h.request(b, 'GET', `/classes/${C}/${made.objectId}`, { timeoutMs: 10000 });
      if (res.status === 200) {
        assert.equal(res.json.n, 1);
        ok++;
      } else {
        h.expectError(res, 503, 2);
      }
    }
    assert.equal(ok, 5, 'the server did not recover its connections');
    // The change listener reconnected too: later changes still arrive.
    h.expectOk(await h.find(b, C));
    const later = await h.createObject(a, C, { n: 2, extra: 'after' });
    await eventually(async () => {
      assert.equal((await h.getObject(b, C, later.objectId)).extra, 'after');
    });
  });
});
