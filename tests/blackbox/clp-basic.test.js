'use strict';
// Class-level permissions, set through POST /schemas/:class with the master
// key: get / find / count / create / update / delete / addField denied (119),
// requiresAuthentication (119 on parsec, 101 on parse-server), per-user and
// per-role permissions, the master key bypassing them, pointer permissions
// (readUserFields / writeUserFields / pointerFields) and protectedFields.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

const uname = () => `c${h.randomId(10).toLowerCase()}`;
const tok = token => (token ? { 'X-Parse-Session-Token': token } : {});
const userPtr = id => ({ __type: 'Pointer', className: '_User', objectId: id });
const OPS = ['get', 'find', 'count', 'create', 'update', 'delete', 'addField'];

async function newUser() {
  const username = uname();
  const out = h.expectOk(await h.request(server.srv, 'POST', '/users', { body: { username, password: 'pw' } }), 201);
  return { id: out.objectId, token: out.sessionToken, username };
}

// A CLP where every operation is public, then overridden.
function clp(overrides = {}) {
  const out = { protectedFields: {} };
  for (const op of OPS) out[op] = { '*': true };
  return { ...out, ...overrides };
}

async function makeClass(prefix, fields, classLevelPermissions) {
  const C = h.uniqueClass(prefix);
  const res = await h.request(server.srv, 'POST', `/schemas/${C}`, { auth: 'master', body: { className: C, fields, classLevelPermissions } });
  h.expectOk(res);
  return C;
}

const refusedAuth = res =>
  h.expectDivergent(res, { parsec: { status: 400, code: 119 }, parseServer: { status: 404, code: 101 } });

// Runs the five object operations as token (null: public) on C; answers
// {get, find, count, create, update, delete} with the responses.
async function ops(C, id, token, body = { v: 1 }) {
  const headers = tok(token);
  return {
    get: await h.request(server.srv, 'GET', `/classes/${C}/${id}`, { headers }),
    find: await h.request(server.srv, 'GET', `/classes/${C}`, { headers }),
    count: await h.request(server.srv, 'GET', `/classes/${C}?count=1&limit=0`, { headers }),
    create: await h.request(server.srv, 'POST', `/classes/${C}`, { headers, body }),
    update: await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { headers, body }),
    delete: await h.request(server.srv, 'DELETE', `/classes/${C}/${id}`, { headers }),
  };
}

describe('operations denied by the CLP', () => {
  let u;
  before(async () => {
    u = await newUser();
  });

  for (const op of ['get', 'find', 'count', 'create', 'update', 'delete']) {
    test(`${op} denied ({}): 119 for a user and the public; the other operations and the master key work`, async () => {
      const C = await makeClass('ClpDeny', { v: { type: 'Number' } }, clp({ [op]: {} }));
      for (const token of [u.token, null]) {
        const id = (await h.createObject(server.srv, C, { v: 0 }, 'master')).objectId;
        const res = await ops(C, id, token);
        for (const [name, r] of Object.entries(res)) {
          if (name === op) {
            h.expectError(r, 400, 119);
            assert.match(r.json.error, /Permission denied/);
          } else {
            assert.ok(r.status === 200 || r.status === 201, `${name} should be allowed: ${h.describeRes(r)}`);
          }
        }
      }
      const id = (await h.createObject(server.srv, C, { v: 0 }, 'master')).objectId;
      const master = {
        get: await h.request(server.srv, 'GET', `/classes/${C}/${id}`, { auth: 'master' }),
        find: await h.request(server.srv, 'GET', `/classes/${C}`, { auth: 'master' }),
        count: await h.request(server.srv, 'GET', `/classes/${C}?count=1&limit=0`, { auth: 'master' }),
        create: await h.request(server.srv, 'POST', `/classes/${C}`, { auth: 'master', body: { v: 1 } }),
        update: await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { auth: 'master', body: { v: 2 } }),
        delete: await h.request(server.srv, 'DELETE', `/classes/${C}/${id}`, { auth: 'master' }),
      };
      for (const [name, r] of Object.entries(master)) assert.ok(r.status === 200 || r.status === 201, `master ${name}: ${h.describeRes(r)}`);
    });
  }

  test('addField denied: a new field is refused with 119, known fields are fine, the master key adds fields', async () => {
    const C = await makeClass('ClpAddF', { v: { type: 'Number' } }, clp({ addField: {} }));
    h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(u.token), body: { v: 1 } }), 201);
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(u.token), body: { v: 1, fresh: 'x' } }), 400, 119);
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { body: { fresh: 'x' } }), 400, 119);
    const id = (await h.createObject(server.srv, C, { v: 1 }, 'master')).objectId;
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { headers: tok(u.token), body: { other: 1 } }), 400, 119);
    h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, { auth: 'master', body: { fresh: 'x' } }), 201);
    // Now that the field exists, clients may set it.
    h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(u.token), body: { fresh: 'y' } }), 201);
    const schema = h.expectOk(await h.request(server.srv, 'GET', `/schemas/${C}`, { auth: 'master' }));
    assert.deepEqual(Object.keys(schema.fields).filter(f => !['objectId', 'createdAt', 'updatedAt', 'ACL'].includes(f)).sort(), ['fresh', 'v']);
  });

  test('the CLP is returned by GET /schemas/:class', async () => {
    const perms = clp({ find: {}, get: { requiresAuthentication: true }, create: { [u.id]: true } });
    const C = await makeClass('ClpRead', {}, perms);
    const schema = h.expectOk(await h.request(server.srv, 'GET', `/schemas/${C}`, { auth: 'master' }));
    assert.deepEqual(schema.classLevelPermissions.find, {});
    assert.deepEqual(schema.classLevelPermissions.get, { requiresAuthentication: true });
    assert.deepEqual(schema.classLevelPermissions.create, { [u.id]: true });
    // parse-server: 403 {"error":"unauthorized"} without a code; parsec adds one (ERRORS.md, refused credentials).
    h.expectError(await h.request(server.srv, 'GET', `/schemas/${C}`, { headers: tok(u.token) }), 403, h.IS_PARSEC ? undefined : null);
  });
});

describe('requiresAuthentication', () => {
  test('the public is refused (119 on parsec, 101 on parse-server); any user is let in', async () => {
    const perms = {};
    for (const op of OPS) perms[op] = { requiresAuthentication: true };
    const C = await makeClass('ClpAuth', { v: { type: 'Number' } }, { ...perms, protectedFields: {} });
    const u = await newUser();
    const id1 = (await h.createObject(server.srv, C, { v: 0 }, 'master')).objectId;
    const pub = await ops(C, id1, null);
    for (const [name, r] of Object.entries(pub)) {
      assert.ok(r.status >= 400, `public ${name} passed: ${h.describeRes(r)}`);
      refusedAuth(r);
    }
    const res = await ops(C, id1, u.token);
    for (const [name, r] of Object.entries(res)) assert.ok(r.status === 200 || r.status === 201, `user ${name}: ${h.describeRes(r)}`);
  });
});

describe('per-user and per-role permissions', () => {
  let u1;
  let u2;
  let member;
  let role;
  before(async () => {
    [u1, u2, member] = [await newUser(), await newUser(), await newUser()];
    role = `ClpRole_${h.randomId(8)}`;
    h.expectOk(
      await h.request(server.srv, 'POST', '/roles', {
        auth: 'master',
        body: { name: role, ACL: { '*': { read: true } }, users: { __op: 'AddRelation', objects: [userPtr(member.id)] } },
      }),
      201,
    );
  });

  test('create granted to one user and one role only', async () => {
    const C = await makeClass('ClpCreate', { v: { type: 'Number' } }, clp({ create: { [u1.id]: true, [`role:${role}`]: true } }));
    h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(u1.token), body: { v: 1 } }), 201);
    h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(member.token), body: { v: 2 } }), 201);
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(u2.token), body: { v: 3 } }), 400, 119);
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { body: { v: 4 } }), 400, 119);
    const qn = new URLSearchParams({ where: JSON.stringify({ v: { $gte: 0 } }), count: '1', limit: '0' });
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?${qn}`, { auth: 'master' })).count, 2);
  });

  test('find granted to a role: members find, others get 119', async () => {
    const C = await makeClass('ClpFindRole', { v: { type: 'Number' } }, clp({ find: { [`role:${role}`]: true } }));
    await h.createObject(server.srv, C, { v: 1 }, 'master');
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}`, { headers: tok(member.token) })).results.length, 1);
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}`, { headers: tok(u1.token) }), 400, 119);
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}`), 400, 119);
  });

  test('the CLP and the ACL both apply: a granted find still only sees readable objects', async () => {
    const C = await makeClass('ClpAndAcl', { v: { type: 'Number' } }, clp({ find: { [u1.id]: true } }));
    await h.createObject(server.srv, C, { v: 1, ACL: { [u1.id]: { read: true } } }, 'master');
    await h.createObject(server.srv, C, { v: 2, ACL: { [u2.id]: { read: true } } }, 'master');
    await h.createObject(server.srv, C, { v: 3, ACL: {} }, 'master');
    const res = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}`, { headers: tok(u1.token) }));
    assert.deepEqual(res.results.map(o => o.v), [1]);
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}`, { headers: tok(u2.token) }), 400, 119);
  });
});

describe('pointer permissions', () => {
  let u1;
  let u2;
  before(async () => {
    [u1, u2] = [await newUser(), await newUser()];
  });

  test('readUserFields / writeUserFields: only the user in the owner field reads and writes', async () => {
    const perms = clp({ get: {}, find: {}, count: {}, update: {}, delete: {}, readUserFields: ['owner'], writeUserFields: ['owner'] });
    const C = await makeClass('ClpPtr', { owner: { type: 'Pointer', targetClass: '_User' }, v: { type: 'Number' } }, perms);
    const o1 = (await h.createObject(server.srv, C, { v: 1, owner: userPtr(u1.id) }, 'master')).objectId;
    const o2 = (await h.createObject(server.srv, C, { v: 2, owner: userPtr(u2.id) }, 'master')).objectId;
    const o3 = (await h.createObject(server.srv, C, { v: 3 }, 'master')).objectId;
    const found = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}`, { headers: tok(u1.token) }));
    assert.deepEqual(found.results.map(o => o.objectId), [o1]);
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?count=1&limit=0`, { headers: tok(u2.token) })).count, 1);
    h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${o1}`, { headers: tok(u1.token) }));
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}/${o2}`, { headers: tok(u1.token) }), 404, 101);
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}/${o3}`, { headers: tok(u1.token) }), 404, 101);
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${o2}`, { headers: tok(u1.token), body: { v: 9 } }), 404, 101);
    h.expectError(await h.request(server.srv, 'DELETE', `/classes/${C}/${o2}`, { headers: tok(u1.token) }), 404, 101);
    h.expectOk(await h.request(server.srv, 'PUT', `/classes/${C}/${o2}`, { headers: tok(u2.token), body: { v: 20 } }));
    h.expectOk(await h.request(server.srv, 'DELETE', `/classes/${C}/${o1}`, { headers: tok(u1.token) }));
    // The public has no user to match: nothing is found, get is 101.
    const pubFind = await h.request(server.srv, 'GET', `/classes/${C}`);
    assert.deepEqual(h.expectOk(pubFind).results, []);
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}/${o2}`), 404, 101);
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${o2}`, { body: { v: 9 } }), 404, 101);
    // The master key sees everything.
    const qn = new URLSearchParams({ where: JSON.stringify({ v: { $gte: 0 } }) });
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?${qn}`, { auth: 'master' })).results.length, 2);
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${o2}`, { auth: 'master' })).v, 20);
  });

  test('pointerFields on one operation: update only by the user in the editor field', async () => {
    const perms = clp({ update: { pointerFields: ['editor'] } });
    const C = await makeClass('ClpPf', { editor: { type: 'Pointer', targetClass: '_User' }, v: { type: 'Number' } }, perms);
    const o = (await h.createObject(server.srv, C, { v: 1, editor: userPtr(u2.id) }, 'master')).objectId;
    h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${o}`, { headers: tok(u1.token) }));
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${o}`, { headers: tok(u1.token), body: { v: 2 } }), 404, 101);
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${o}`, { body: { v: 2 } }), 404, 101);
    h.expectOk(await h.request(server.srv, 'PUT', `/classes/${C}/${o}`, { headers: tok(u2.token), body: { v: 3 } }));
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${o}`)).v, 3);
    // Delete is not restricted.
    h.expectOk(await h.request(server.srv, 'DELETE', `/classes/${C}/${o}`, { headers: tok(u1.token) }));
  });

  test('writeUserFields refuses create (119) to everyone but the master key when create is not granted', async () => {
    const perms = clp({ create: {}, writeUserFields: ['owner'] });
    const C = await makeClass('ClpPtrC', { owner: { type: 'Pointer', targetClass: '_User' } }, perms);
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { headers: tok(u1.token), body: { owner: userPtr(u1.id) } }), 400, 119);
    h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, { auth: 'master', body: { owner: userPtr(u1.id) } }), 201);
  });
});

describe('protectedFields', () => {
  let u1;
  let u2;
  let member;
  let role;
  let C;
  let id;
  before(async () => {
    [u1, u2, member] = [await newUser(), await newUser(), await newUser()];
    role = `ClpProt_${h.randomId(8)}`;
    h.expectOk(
      await h.request(server.srv, 'POST', '/roles', {
        auth: 'master',
        body: { name: role, ACL: { '*': { read: true } }, users: { __op: 'AddRelation', objects: [userPtr(member.id)] } },
      }),
      201,
    );
    const perms = clp({ protectedFields: { '*': ['secret', 'pin'], [u1.id]: [], [`role:${role}`]: ['pin'] } });
    C = await makeClass('ClpProtF', { secret: { type: 'String' }, pin: { type: 'Number' }, open: { type: 'String' } }, perms);
    id = (await h.createObject(server.srv, C, { secret: 's3cr3t', pin: 1234, open: 'hello' }, 'master')).objectId;
  });

  const fields = obj => ['secret', 'pin', 'open'].filter(k => obj[k] !== undefined);

  test('* hides the fields from the public and from other users, in get and find', async () => {
    for (const token of [null, u2.token]) {
      const got = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${id}`, { headers: tok(token) }));
      assert.deepEqual(fields(got), ['open']);
      const found = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}`, { headers: tok(token) }));
      assert.deepEqual(fields(found.results[0]), ['open']);
      const keyed = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?keys=secret,open`, { headers: tok(token) }));
      assert.deepEqual(fields(keyed.results[0]), ['open']);
    }
  });

  test('a user entry with [] shows everything to that user; a role entry applies to members', async () => {
    const mine = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${id}`, { headers: tok(u1.token) }));
    assert.deepEqual(fields(mine), ['secret', 'pin', 'open']);
    const m = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${id}`, { headers: tok(member.token) }));
    // Member: the intersection of * (secret, pin) and role (pin) hides pin only.
    assert.equal(m.pin, undefined);
    assert.equal(m.open, 'hello');
    assert.equal(m.secret, 's3cr3t');
  });

  test('the master key sees every field', async () => {
    const got = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${id}`, { auth: 'master' }));
    assert.deepEqual(fields(got), ['secret', 'pin', 'open']);
  });
});
