'use strict';
// Sessions: _Session objects (r: tokens, expiresAt, createdWith), GET/PUT
// /sessions/me, GET /sessions lists only one's own, another user's session is
// 101, deleting a session ends its token (209), a password change ends the
// user's sessions, a log-in replaces the session of the same installation.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

const SESSION_TOKEN = /^r:[0-9a-f]{32}$/;
const uname = () => `s${h.randomId(10).toLowerCase()}`;
const tok = (token, extra = {}) => ({ 'X-Parse-Session-Token': token, ...extra });

async function newUser() {
  const username = uname();
  const password = `pw-${h.randomId(6)}`;
  const res = await h.request(server.srv, 'POST', '/users', { body: { username, password } });
  const out = h.expectOk(res, 201);
  return { id: out.objectId, token: out.sessionToken, username, password };
}

async function login(u, headers = {}) {
  const res = await h.request(server.srv, 'POST', '/login', { body: { username: u.username, password: u.password }, headers });
  return h.expectOk(res).sessionToken;
}

async function me(token) {
  return h.expectOk(await h.request(server.srv, 'GET', '/sessions/me', { headers: tok(token) }));
}

const userPtr = id => ({ __type: 'Pointer', className: '_User', objectId: id });

describe('session objects', () => {
  test('GET /sessions/me: the session of the token, with user, expiresAt about a year ahead, createdWith signup', async () => {
    const u = await newUser();
    const s = await me(u.token);
    assert.match(s.objectId, h.OBJECT_ID);
    assert.equal(s.sessionToken, u.token);
    assert.match(s.sessionToken, SESSION_TOKEN);
    assert.deepEqual(s.user, userPtr(u.id));
    assert.deepEqual(s.createdWith, { action: 'signup', authProvider: 'password' });
    assert.equal(s.expiresAt.__type, 'Date');
    assert.match(s.expiresAt.iso, h.ISO_MS);
    const ahead = Date.parse(s.expiresAt.iso) - Date.now();
    assert.ok(ahead > 360 * 86400e3 && ahead < 367 * 86400e3, `expiresAt ${s.expiresAt.iso} is not one year ahead`);
    assert.match(s.createdAt, h.ISO_MS);
    assert.match(s.updatedAt, h.ISO_MS);
  });

  test('a log-in session has createdWith {action: login, authProvider: password}', async () => {
    const u = await newUser();
    const t = await login(u);
    const s = await me(t);
    assert.deepEqual(s.createdWith, { action: 'login', authProvider: 'password' });
    assert.deepEqual(s.user, userPtr(u.id));
  });

  test('the installation id of the request is kept on the session', async () => {
    const u = await newUser();
    const t = await login(u, { 'X-Parse-Installation-Id': 'inst-abc-1' });
    const s = await me(t);
    assert.equal(s.installationId, 'inst-abc-1');
  });

  test('GET /sessions/me without a token: 209; with an unknown token: 209', async () => {
    h.expectError(await h.request(server.srv, 'GET', '/sessions/me'), 400, 209);
    h.expectError(await h.request(server.srv, 'GET', '/sessions/me', { headers: tok('r:ffffffffffffffffffffffffffffffff') }), 400, 209);
  });

  test('PUT /sessions/me with an installationId', async () => {
    const u = await newUser();
    const res = await h.request(server.srv, 'PUT', '/sessions/me', { headers: tok(u.token), body: { installationId: 'inst-put-1' } });
    if (h.IS_PARSEC) {
      // parsec lets a client attach an installation to its own session.
      h.expectOk(res);
      assert.equal((await me(u.token)).installationId, 'inst-put-1');
    } else {
      // parse-server refuses any change of installationId on a session.
      h.expectError(res, 400, 105);
    }
  });

  test('a client cannot create a session directly, nor change its user or token', async () => {
    const u = await newUser();
    const v = await newUser();
    // parse-server creates a session for the caller (createdWith create),
    // never for the user named in the body; parsec refuses.
    const created = await h.request(server.srv, 'POST', '/sessions', { headers: tok(u.token), body: { user: userPtr(v.id) } });
    if (created.status === 201) {
      const got = h.expectOk(await h.request(server.srv, 'GET', `/sessions/${created.json.objectId}`, { auth: 'master' }));
      assert.deepEqual(got.user, userPtr(u.id), 'a session was created for another user');
    } else {
      assert.ok(created.status >= 400 && created.status < 500, h.describeRes(created));
    }
    const vs = h.expectOk(await h.request(server.srv, 'GET', '/sessions', { headers: tok(v.token) }));
    assert.deepEqual(vs.results.map(x => x.sessionToken), [v.token]);
    const s = await me(u.token);
    const moved = await h.request(server.srv, 'PUT', `/sessions/${s.objectId}`, { headers: tok(u.token), body: { user: userPtr(v.id) } });
    assert.ok(moved.status >= 400 && moved.status < 500, h.describeRes(moved));
    const after = await me(u.token);
    assert.deepEqual(after.user, userPtr(u.id));
    assert.equal(after.sessionToken, u.token);
  });
});

describe('listing and deleting sessions', () => {
  test('GET /sessions lists only the caller\'s sessions; without a session: 209; the master key sees all', async () => {
    const u = await newUser();
    const t2 = await login(u);
    const v = await newUser();
    const mine = h.expectOk(await h.request(server.srv, 'GET', '/sessions', { headers: tok(u.token) }));
    assert.equal(mine.results.length, 2);
    assert.ok(mine.results.every(s => s.user.objectId === u.id));
    h.sameMembers(mine.results.map(s => s.sessionToken), [u.token, t2]);
    const theirs = h.expectOk(await h.request(server.srv, 'GET', '/sessions', { headers: tok(v.token) }));
    assert.deepEqual(theirs.results.map(s => s.sessionToken), [v.token]);
    // A where clause cannot widen the set.
    const qs = new URLSearchParams({ where: JSON.stringify({ user: userPtr(u.id) }) });
    const sneaky = h.expectOk(await h.request(server.srv, 'GET', `/sessions?${qs}`, { headers: tok(v.token) }));
    assert.deepEqual(sneaky.results, []);
    const cnt = h.expectOk(await h.request(server.srv, 'GET', '/sessions?count=1&limit=0', { headers: tok(u.token) }));
    assert.equal(cnt.count, 2);
    h.expectError(await h.request(server.srv, 'GET', '/sessions'), 400, 209);
    const all = h.expectOk(await h.request(server.srv, 'GET', `/sessions?${qs}`, { auth: 'master' }));
    assert.equal(all.results.length, 2);
  });

  test('another user\'s session: get, update and delete answer 101', async () => {
    const u = await newUser();
    const v = await newUser();
    const s = await me(u.token);
    h.expectError(await h.request(server.srv, 'GET', `/sessions/${s.objectId}`, { headers: tok(v.token) }), 404, 101);
    h.expectError(await h.request(server.srv, 'PUT', `/sessions/${s.objectId}`, { headers: tok(v.token), body: { foo: 1 } }), 404, 101);
    h.expectError(await h.request(server.srv, 'DELETE', `/sessions/${s.objectId}`, { headers: tok(v.token) }), 404, 101);
    // Still alive.
    assert.equal((await me(u.token)).objectId, s.objectId);
    const own = h.expectOk(await h.request(server.srv, 'GET', `/sessions/${s.objectId}`, { headers: tok(u.token) }));
    assert.equal(own.sessionToken, u.token);
  });

  test('deleting one\'s session makes its token answer 209; the other sessions keep working', async () => {
    const u = await newUser();
    const t2 = await login(u);
    const s2 = await me(t2);
    h.expectOk(await h.request(server.srv, 'DELETE', `/sessions/${s2.objectId}`, { headers: tok(u.token) }));
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(t2) }), 400, 209);
    h.expectError(await h.request(server.srv, 'GET', '/sessions/me', { headers: tok(t2) }), 400, 209);
    assert.equal((await h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(u.token) }))).objectId, u.id);
  });

  test('the master key deletes a session; its token then answers 209', async () => {
    const u = await newUser();
    const s = await me(u.token);
    h.expectOk(await h.request(server.srv, 'DELETE', `/sessions/${s.objectId}`, { auth: 'master' }));
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(u.token) }), 400, 209);
  });

  test('POST /logout deletes the _Session object', async () => {
    const u = await newUser();
    const s = await me(u.token);
    h.expectOk(await h.request(server.srv, 'POST', '/logout', { headers: tok(u.token) }));
    h.expectError(await h.request(server.srv, 'GET', `/sessions/${s.objectId}`, { auth: 'master' }), 404, 101);
  });

  test('a log-in from the same installation replaces that installation\'s session; other installations keep theirs', async () => {
    const u = await newUser();
    const a1 = await login(u, { 'X-Parse-Installation-Id': 'inst-a' });
    const b1 = await login(u, { 'X-Parse-Installation-Id': 'inst-b' });
    const a2 = await login(u, { 'X-Parse-Installation-Id': 'inst-a' });
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(a1) }), 400, 209);
    h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(b1) }));
    h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(a2) }));
    h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(u.token) }));
  });
});

describe('password change and sessions', () => {
  test('a user changing its password ends all its earlier sessions and receives a new token', async () => {
    const u = await newUser();
    const t2 = await login(u);
    const res = await h.request(server.srv, 'PUT', `/users/${u.id}`, { headers: tok(u.token), body: { password: 'brand-new' } });
    const out = h.expectOk(res);
    assert.match(out.sessionToken, SESSION_TOKEN);
    assert.notEqual(out.sessionToken, u.token);
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(t2) }), 400, 209);
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(u.token) }), 400, 209);
    const who = h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(out.sessionToken) }));
    assert.equal(who.objectId, u.id);
    h.expectError(await h.request(server.srv, 'POST', '/login', { body: { username: u.username, password: u.password } }), 404, 101);
    await login({ ...u, password: 'brand-new' });
  });

  test('the master key changing a password ends all the user\'s sessions', async () => {
    const u = await newUser();
    const t2 = await login(u);
    const out = h.expectOk(await h.request(server.srv, 'PUT', `/users/${u.id}`, { auth: 'master', body: { password: 'by-master' } }));
    assert.equal(out.sessionToken, undefined);
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(u.token) }), 400, 209);
    h.expectError(await h.request(server.srv, 'GET', '/users/me', { headers: tok(t2) }), 400, 209);
    await login({ ...u, password: 'by-master' });
  });

  test('changing other fields keeps the sessions', async () => {
    const u = await newUser();
    const t2 = await login(u);
    h.expectOk(await h.request(server.srv, 'PUT', `/users/${u.id}`, { headers: tok(u.token), body: { nick: 'n' } }));
    h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(u.token) }));
    h.expectOk(await h.request(server.srv, 'GET', '/users/me', { headers: tok(t2) }));
  });
});
