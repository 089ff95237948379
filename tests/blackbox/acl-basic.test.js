'use strict';
// ACLs: Parse.ACL through the SDK and plain HTTP; enforced on get, find,
// count, update, delete and include; an unreadable object answers exactly as
// a missing one (101); invalid ACLs (123 on parsec).
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

const uname = () => `a${h.randomId(10).toLowerCase()}`;
const tok = token => (token ? { 'X-Parse-Session-Token': token } : {});

async function newUser() {
  const username = uname();
  const out = h.expectOk(await h.request(server.srv, 'POST', '/users', { body: { username, password: 'pw' } }), 201);
  return { id: out.objectId, token: out.sessionToken, username };
}

describe('ACLs over HTTP', () => {
  let owner;
  let other;
  let C;
  let priv; // owner read/write only
  let pubRead; // public read, owner write
  let writeOnly; // owner write only, nobody reads
  before(async () => {
    owner = await newUser();
    other = await newUser();
    C = h.uniqueClass('AclHttp');
    priv = (await h.createObject(server.srv, C, { n: 1, ACL: { [owner.id]: { read: true, write: true } } })).objectId;
    pubRead = (await h.createObject(server.srv, C, { n: 2, ACL: { '*': { read: true }, [owner.id]: { write: true } } })).objectId;
    writeOnly = (await h.createObject(server.srv, C, { n: 3, ACL: { [owner.id]: { write: true } } })).objectId;
  });

  test('the ACL is stored and returned as written', async () => {
    const got = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${pubRead}`));
    assert.deepEqual(got.ACL, { '*': { read: true }, [owner.id]: { write: true } });
  });

  test('get: the owner reads its private object; others get 101 exactly as for a missing object', async () => {
    h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${priv}`, { headers: tok(owner.token) }));
    const missing = await h.request(server.srv, 'GET', `/classes/${C}/zzzzzzzzzz`, { headers: tok(other.token) });
    for (const res of [
      await h.request(server.srv, 'GET', `/classes/${C}/${priv}`, { headers: tok(other.token) }),
      await h.request(server.srv, 'GET', `/classes/${C}/${priv}`),
      await h.request(server.srv, 'GET', `/classes/${C}/${writeOnly}`, { headers: tok(owner.token) }),
    ]) {
      h.expectError(res, 404, 101);
      assert.equal(res.status, missing.status);
      assert.deepEqual(res.json, missing.json);
    }
  });

  test('find and count only see readable objects', async () => {
    const names = async token => h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?order=n`, { headers: tok(token) })).results.map(o => o.n);
    assert.deepEqual(await names(owner.token), [1, 2]);
    assert.deepEqual(await names(other.token), [2]);
    assert.deepEqual(await names(null), [2]);
    const count = async token => h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?count=1&limit=0`, { headers: tok(token) })).count;
    assert.equal(await count(owner.token), 2);
    assert.equal(await count(other.token), 1);
    assert.equal(await count(null), 1);
    // (a where clause: parse-server on PostgreSQL estimates an unconstrained count)
    const qn = new URLSearchParams({ where: JSON.stringify({ n: { $gte: 0 } }), count: '1', limit: '0' });
    const all = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?${qn}`, { auth: 'master' }));
    assert.equal(all.count, 3);
    // A where on objectId cannot reach an unreadable object.
    const q = new URLSearchParams({ where: JSON.stringify({ objectId: priv }) });
    assert.deepEqual(h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}?${q}`, { headers: tok(other.token) })).results, []);
  });

  test('update and delete need write access: 101 otherwise, and nothing changes', async () => {
    for (const token of [other.token, null]) {
      h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${pubRead}`, { headers: tok(token), body: { n: 99 } }), 404, 101);
      h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${priv}`, { headers: tok(token), body: { n: 99 } }), 404, 101);
      h.expectError(await h.request(server.srv, 'DELETE', `/classes/${C}/${pubRead}`, { headers: tok(token) }), 404, 101);
      h.expectError(await h.request(server.srv, 'DELETE', `/classes/${C}/${priv}`, { headers: tok(token) }), 404, 101);
    }
    const got = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${pubRead}`, { auth: 'master' }));
    assert.equal(got.n, 2);
    const got2 = h.expectOk(await h.request(server.srv, 'GET', `/classes/${C}/${priv}`, { auth: 'master' }));
    assert.equal(got2.n, 1);
  });

  test('a write-only object can be updated and deleted by its writer though it cannot read it', async () => {
    const D = h.uniqueClass('AclWo');
    const id = (await h.createObject(server.srv, D, { n: 1, ACL: { [owner.id]: { write: true } } })).objectId;
    h.expectOk(await h.request(server.srv, 'PUT', `/classes/${D}/${id}`, { headers: tok(owner.token), body: { n: 2 } }));
    assert.equal(h.expectOk(await h.request(server.srv, 'GET', `/classes/${D}/${id}`, { auth: 'master' })).n, 2);
    h.expectOk(await h.request(server.srv, 'DELETE', `/classes/${D}/${id}`, { headers: tok(owner.token) }));
    h.expectError(await h.request(server.srv, 'GET', `/classes/${D}/${id}`, { auth: 'master' }), 404, 101);
  });

  test('include leaves an unreadable pointer unexpanded and expands a readable one', async () => {
    const P = h.uniqueClass('AclInc');
    const ptr = id => ({ __type: 'Pointer', className: C, objectId: id });
    const holder = (await h.createObject(server.srv, P, { a: ptr(priv), b: ptr(pubRead), list: [ptr(priv), ptr(pubRead)] })).objectId;
    const asOther = h.expectOk(await h.request(server.srv, 'GET', `/classes/${P}/${holder}?include=a,b,list`, { headers: tok(other.token) }));
    // parse-server drops an included pointer the caller cannot read; a
    // pointer left unexpanded leaks nothing either.
    if (asOther.a !== undefined) assert.deepEqual(asOther.a, ptr(priv));
    assert.equal(asOther.b.__type, 'Object');
    assert.equal(asOther.b.n, 2);
    const listN = asOther.list.filter(x => x.__type === 'Object').map(x => x.n);
    assert.deepEqual(listN, [2]);
    assert.ok(!JSON.stringify(asOther).includes('"n":1'), 'a field of the unreadable object leaked');
    const asOwner = h.expectOk(await h.request(server.srv, 'GET', `/classes/${P}/${holder}?include=a,b`, { headers: tok(owner.token) }));
    assert.equal(asOwner.a.__type, 'Object');
    assert.equal(asOwner.a.n, 1);
    const found = h.expectOk(await h.request(server.srv, 'GET', `/classes/${P}?include=a`));
    if (found.results[0].a !== undefined) assert.deepEqual(found.results[0].a, ptr(priv));
  });

  test('a query constraint through an unreadable pointer ($inQuery) does not reveal it', async () => {
    const P = h.uniqueClass('AclInq');
    const ptr = id => ({ __type: 'Pointer', className: C, objectId: id });
    await h.createObject(server.srv, P, { tag: 'to-priv', ref: ptr(priv) });
    await h.createObject(server.srv, P, { tag: 'to-pub', ref: ptr(pubRead) });
    const where = { ref: { $inQuery: { where: { n: { $gte: 0 } }, className: C } } };
    const q = new URLSearchParams({ where: JSON.stringify(where) });
    const res = h.expectOk(await h.request(server.srv, 'GET', `/classes/${P}?${q}`, { headers: tok(other.token) }));
    assert.deepEqual(res.results.map(o => o.tag), ['to-pub']);
  });

  test('only a writer may change the ACL; the owner can make an object public', async () => {
    const D = h.uniqueClass('AclChg');
    const id = (await h.createObject(server.srv, D, { ACL: { [owner.id]: { read: true, write: true } } })).objectId;
    h.expectError(
      await h.request(server.srv, 'PUT', `/classes/${D}/${id}`, { headers: tok(other.token), body: { ACL: { '*': { read: true, write: true } } } }),
      404,
      101,
    );
    h.expectOk(
      await h.request(server.srv, 'PUT', `/classes/${D}/${id}`, {
        headers: tok(owner.token),
        body: { ACL: { '*': { read: true }, [owner.id]: { read: true, write: true } } },
      }),
    );
    h.expectOk(await h.request(server.srv, 'GET', `/classes/${D}/${id}`, { headers: tok(other.token) }));
    h.expectOk(await h.request(server.srv, 'GET', `/classes/${D}/${id}`));
  });

  test('an empty ACL hides the object from everyone but the master key', async () => {
    const D = h.uniqueClass('AclEmpty');
    const id = (await h.createObject(server.srv, D, { ACL: {} })).objectId;
    h.expectError(await h.request(server.srv, 'GET', `/classes/${D}/${id}`, { headers: tok(owner.token) }), 404, 101);
    h.expectError(await h.request(server.srv, 'GET', `/classes/${D}/${id}`), 404, 101);
    const got = h.expectOk(await h.request(server.srv, 'GET', `/classes/${D}/${id}`, { auth: 'master' }));
    assert.deepEqual(got.ACL, {});
    h.expectOk(await h.request(server.srv, 'PUT', `/classes/${D}/${id}`, { auth: 'master', body: { x: 1 } }));
  });

  test('an invalid ACL is refused with 123 on parsec (parse-server stores it)', async () => {
    const D = h.uniqueClass('AclBad');
    for (const ACL of ['bad', [], { '*': { read: 'yes' } }, { '*': 'read' }]) {
      const res = await h.request(server.srv, 'POST', `/classes/${D}`, { body: { ACL } });
      if (h.IS_PARSEC) h.expectError(res, 400, 123);
      else assert.ok(res.status < 500, h.describeRes(res));
    }
  });
});

describe('ACLs through the JS SDK', () => {
  let Parse;
  let owner;
  let other;
  let member;
  let roleName;
  before(async () => {
    Parse = h.parseSdk(server.srv, { masterKey: true });
    owner = await newUser();
    other = await newUser();
    member = await newUser();
    roleName = `AclRole_${h.randomId(8)}`;
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    const role = new Parse.Role(roleName, acl);
    role.getUsers().add(Parse.User.createWithoutData(member.id));
    await role.save(null, { useMasterKey: true });
  });

  test('setReadAccess(user), setRoleReadAccess, setPublicReadAccess', async () => {
    const C = h.uniqueClass('AclSdk');
    const make = async (label, fill) => {
      const acl = new Parse.ACL();
      fill(acl);
      const o = new Parse.Object(C, { label });
      o.setACL(acl);
      await o.save(null, { useMasterKey: true });
      return o;
    };
    await make('owner', acl => acl.setReadAccess(owner.id, true));
    await make('role', acl => acl.setRoleReadAccess(roleName, true));
    await make('public', acl => acl.setPublicReadAccess(true));
    await make('userObj', acl => acl.setReadAccess(Parse.User.createWithoutData(other.id), true));
    const labels = async sessionToken =>
      (await new Parse.Query(C).find(sessionToken ? { sessionToken } : {})).map(o => o.get('label')).sort();
    assert.deepEqual(await labels(owner.token), ['owner', 'public']);
    assert.deepEqual(await labels(member.token), ['public', 'role']);
    assert.deepEqual(await labels(other.token), ['public', 'userObj']);
    assert.deepEqual(await labels(null), ['public']);
    assert.equal(await new Parse.Query(C).count({ sessionToken: member.token }), 2);
    assert.equal(await new Parse.Query(C).exists('label').count({ useMasterKey: true }), 4);
    const roleObj = await new Parse.Query(C).equalTo('label', 'role').first({ useMasterKey: true });
    await assert.rejects(new Parse.Query(C).get(roleObj.id, { sessionToken: owner.token }), err => err.code === 101);
    const got = await new Parse.Query(C).get(roleObj.id, { sessionToken: member.token });
    assert.equal(got.getACL().getRoleReadAccess(roleName), true);
    assert.equal(got.getACL().getPublicReadAccess(), false);
  });

  test('save and destroy are refused without write access (101)', async () => {
    const C = h.uniqueClass('AclSdkW');
    const acl = new Parse.ACL();
    acl.setPublicReadAccess(true);
    acl.setWriteAccess(owner.id, true);
    acl.setRoleWriteAccess(roleName, true);
    const o = new Parse.Object(C, { v: 1 });
    o.setACL(acl);
    await o.save(null, { useMasterKey: true });
    const seen = await new Parse.Query(C).get(o.id, { sessionToken: other.token });
    seen.set('v', 2);
    await assert.rejects(seen.save(null, { sessionToken: other.token }), err => err.code === 101);
    await assert.rejects(seen.destroy({ sessionToken: other.token }), err => err.code === 101);
    seen.set('v', 3);
    await seen.save(null, { sessionToken: member.token });
    const again = await new Parse.Query(C).get(o.id);
    assert.equal(again.get('v'), 3);
    await again.destroy({ sessionToken: owner.token });
    await assert.rejects(new Parse.Query(C).get(o.id, { useMasterKey: true }), err => err.code === 101);
  });
});
