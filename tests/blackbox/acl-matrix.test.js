'use strict';
// The permission matrix: every caller (public, owner, other user, role
// member, non-member user, master key, read-only master key) x every operation
// (get, find, count, update, delete, and create where the CLP matters) x
// objects with varied ACLs and classes with varied CLPs.  Each cell asserts
// the exact allowed set, so any leak fails.  Runs on a server of its own
// configured with a readOnlyMasterKey.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const RO_KEY = 'readonly-master';
const ro = h.canSpawn() ? h.useServer({ readOnlyMasterKey: RO_KEY }) : null;
const skip = !ro && 'needs a spawned server (PARSE_SERVER_CLI)';

const CALLERS = ['public', 'owner', 'other', 'member', 'nonmember', 'master', 'readOnly'];
const ACL_KINDS = ['pub', 'ownerOnly', 'role', 'none'];
const userPtr = id => ({ __type: 'Pointer', className: '_User', objectId: id });

let srv;
let users; // name -> {id, token}
let roleName;
let otherRoleName;

function headersFor(caller) {
  if (caller === 'public') return { auth: 'rest', headers: {} };
  if (caller === 'master') return { auth: 'master', headers: {} };
  if (caller === 'readOnly') return { auth: 'app', headers: { 'X-Parse-Master-Key': RO_KEY } };
  return { auth: 'rest', headers: { 'X-Parse-Session-Token': users[caller].token } };
}

function call(caller, method, p, body) {
  const { auth, headers } = headersFor(caller);
  return h.request(srv, method, p, { auth, headers, body });
}

function aclFor(kind) {
  const o = users.owner.id;
  switch (kind) {
    case 'pub':
      return { '*': { read: true }, [o]: { read: true, write: true } };
    case 'ownerOnly':
      return { [o]: { read: true, write: true } };
    case 'role':
      return { [`role:${roleName}`]: { read: true, write: true } };
    case 'none':
      return {};
    default:
      throw new Error(kind);
  }
}

// Who may read / write an object with the ACL kind (CLP open).
function aclAllows(caller, kind, write) {
  if (caller === 'master') return true;
  if (caller === 'readOnly') return !write;
  if (kind === 'pub') return write ? caller === 'owner' : true;
  if (kind === 'ownerOnly') return caller === 'owner';
  if (kind === 'role') return caller === 'member';
  return false;
}

async function newUser(prefix) {
  const username = `${prefix}${h.randomId(8).toLowerCase()}`;
  const out = h.expectOk(await h.request(srv, 'POST', '/users', { body: { username, password: 'pw' } }), 201);
  return { id: out.objectId, token: out.sessionToken };
}

async function makeClass(prefix, fields, classLevelPermissions) {
  const C = h.uniqueClass(prefix);
  const body = { className: C, fields: { kind: { type: 'String' }, v: { type: 'Number' }, ...fields } };
  if (classLevelPermissions) body.classLevelPermissions = classLevelPermissions;
  h.expectOk(await h.request(srv, 'POST', `/schemas/${C}`, { auth: 'master', body }));
  return C;
}

// One object per ACL kind (or per body given), created with the master key.
async function seed(C, bodies) {
  const ids = {};
  for (const [label, body] of Object.entries(bodies)) {
    ids[label] = (await h.createObject(srv, C, { v: 0, ...body }, 'master')).objectId;
  }
  return ids;
}

// The labels of the objects the caller finds, sorted; or {error: code}.
async function findLabels(C, caller, ids) {
  const res = await call(caller, 'GET', `/classes/${C}?limit=1000`);
  if (res.status !== 200) return { status: res.status, code: res.json && res.json.code };
  const byId = Object.fromEntries(Object.entries(ids).map(([l, id]) => [id, l]));
  return res.json.results.map(o => byId[o.objectId] || `?${o.objectId}`).sort();
}

async function countOf(C, caller) {
  // A where clause, so that parse-server on PostgreSQL counts exactly.
  const qs = new URLSearchParams({ where: JSON.stringify({ v: { $gte: 0 } }), count: '1', limit: '0' });
  const res = await call(caller, 'GET', `/classes/${C}?${qs}`);
  if (res.status !== 200) return { status: res.status, code: res.json && res.json.code };
  return res.json.count;
}

async function getOutcome(C, caller, id) {
  const res = await call(caller, 'GET', `/classes/${C}/${id}`);
  if (res.status === 200) {
    assert.equal(res.json.objectId, id);
    return 'ok';
  }
  return res.json && res.json.code;
}

async function writeOutcome(C, caller, method, id) {
  const res = await call(caller, method, `/classes/${C}/${id}`, method === 'PUT' ? { v: 7 } : undefined);
  if (res.status === 200) return 'ok';
  assert.ok(res.status >= 400 && res.status < 500, `${caller} ${method}: ${h.describeRes(res)}`);
  return res.json && res.json.code;
}

const REFUSED_AUTH = h.pick(119, 101); // CLP requiresAuthentication (ERRORS.md)

describe('permission matrix', { skip }, () => {
  before(async () => {
    srv = ro.srv;
    users = {};
    for (const name of ['owner', 'other', 'member', 'nonmember']) users[name] = await newUser(name);
    roleName = `MxRole_${h.randomId(8)}`;
    otherRoleName = `MxOther_${h.randomId(8)}`;
    for (const [name, members] of [
      [roleName, [users.member.id]],
      [otherRoleName, [users.nonmember.id]],
    ]) {
      h.expectOk(
        await h.request(srv, 'POST', '/roles', {
          auth: 'master',
          body: { name, ACL: { '*': { read: true } }, users: { __op: 'AddRelation', objects: members.map(userPtr) } },
        }),
        201,
      );
    }
  });

  test('open CLP: get / find / count follow the ACL exactly for every caller', async () => {
    const C = await makeClass('MxRead');
    const ids = await seed(C, Object.fromEntries(ACL_KINDS.map(k => [k, { kind: k, ACL: aclFor(k) }])));
    const failures = [];
    for (const caller of CALLERS) {
      const expected = ACL_KINDS.filter(k => aclAllows(caller, k, false)).sort();
      const found = await findLabels(C, caller, ids);
      if (JSON.stringify(found) !== JSON.stringify(expected)) failures.push(`${caller} find: ${JSON.stringify(found)} expected ${JSON.stringify(expected)}`);
      const count = await countOf(C, caller);
      if (count !== expected.length) failures.push(`${caller} count: ${JSON.stringify(count)} expected ${expected.length}`);
      for (const k of ACL_KINDS) {
        const got = await getOutcome(C, caller, ids[k]);
        const want = aclAllows(caller, k, false) ? 'ok' : 101;
        if (got !== want) failures.push(`${caller} get ${k}: ${got} expected ${want}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('open CLP: update / delete follow the ACL; the read-only master key gets 119', async () => {
    const C = await makeClass('MxWrite');
    const failures = [];
    for (const caller of CALLERS) {
      const ids = await seed(C, Object.fromEntries(ACL_KINDS.flatMap(k => [[`u-${k}`, { kind: k, ACL: aclFor(k) }], [`d-${k}`, { kind: k, ACL: aclFor(k) }]])));
      for (const k of ACL_KINDS) {
        const want = aclAllows(caller, k, true) ? 'ok' : caller === 'readOnly' ? 119 : 101;
        const up = await writeOutcome(C, caller, 'PUT', ids[`u-${k}`]);
        if (up !== want) failures.push(`${caller} update ${k}: ${up} expected ${want}`);
        const after = h.expectOk(await h.request(srv, 'GET', `/classes/${C}/${ids[`u-${k}`]}`, { auth: 'master' }));
        if ((after.v === 7) !== (want === 'ok')) failures.push(`${caller} update ${k}: stored v=${after.v}`);
        const del = await writeOutcome(C, caller, 'DELETE', ids[`d-${k}`]);
        if (del !== want) failures.push(`${caller} delete ${k}: ${del} expected ${want}`);
        const still = await h.request(srv, 'GET', `/classes/${C}/${ids[`d-${k}`]}`, { auth: 'master' });
        if ((still.status === 404) !== (want === 'ok')) failures.push(`${caller} delete ${k}: object ${still.status === 404 ? 'gone' : 'still there'}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('create: allowed to every caller on an open CLP except the read-only master key (119)', async () => {
    const C = await makeClass('MxCreate');
    const failures = [];
    for (const caller of CALLERS) {
      const res = await call(caller, 'POST', `/classes/${C}`, { kind: caller, v: 1 });
      const want = caller === 'readOnly' ? 119 : 201;
      const got = res.status === 201 ? 201 : res.json && res.json.code;
      if (got !== want) failures.push(`${caller} create: ${h.describeRes(res)} expected ${want}`);
    }
    // Nor may the read-only key touch schemas, users or roles.
    const schema = await call('readOnly', 'PUT', `/schemas/${C}`, { className: C, fields: { extra: { type: 'String' } } });
    if (!(schema.status >= 400 && schema.status < 500)) failures.push(`readOnly schema update: ${h.describeRes(schema)}`);
    const role = await call('readOnly', 'POST', '/roles', { name: `MxRo_${h.randomId(6)}`, ACL: {} });
    if (!(role.json && role.json.code === 119)) failures.push(`readOnly role create: ${h.describeRes(role)}`);
    const userUpd = await call('readOnly', 'PUT', `/users/${users.other.id}`, { x: 1 });
    if (!(userUpd.json && userUpd.json.code === 119)) failures.push(`readOnly user update: ${h.describeRes(userUpd)}`);
    assert.deepEqual(failures, []);
  });

  test('the read-only master key reads private users with their email; the others do not', async () => {
    const got = await call('readOnly', 'GET', `/users/${users.other.id}`);
    h.expectOk(got);
    const pub = await call('public', 'GET', `/users/${users.other.id}`);
    h.expectError(pub, 404, 101);
    const peer = await call('owner', 'GET', `/users/${users.other.id}`);
    h.expectError(peer, 404, 101);
  });

  // CLP variants: each entry is a CLP, an expectation function
  // (caller, op, aclKind) -> 'ok' | code (for get/update/delete) or
  // an array of visible kinds / {code} for find and count.
  const CLP_VARIANTS = [
    {
      name: 'find disabled',
      clp: () => ({ find: {}, get: { '*': true }, count: { '*': true }, create: { '*': true }, update: { '*': true }, delete: { '*': true }, addField: { '*': true } }),
      denied: caller => ({ find: !['master', 'readOnly'].includes(caller) && 119 }),
    },
    {
      name: 'requiresAuthentication everywhere',
      clp: () => {
        const out = {};
        for (const op of ['get', 'find', 'count', 'create', 'update', 'delete', 'addField']) out[op] = { requiresAuthentication: true };
        return out;
      },
      denied: caller => {
        if (caller !== 'public') return {};
        return { find: REFUSED_AUTH, count: REFUSED_AUTH, get: REFUSED_AUTH, update: REFUSED_AUTH, delete: REFUSED_AUTH };
      },
    },
    {
      name: 'reads granted to the role only, writes to the owner only',
      clp: () => ({
        find: { [`role:${roleName}`]: true },
        get: { [`role:${roleName}`]: true },
        count: { [`role:${roleName}`]: true },
        create: { [users.owner.id]: true },
        update: { [users.owner.id]: true },
        delete: { [users.owner.id]: true },
        addField: {},
      }),
      denied: caller => {
        if (['master', 'readOnly'].includes(caller)) return {};
        const out = {};
        if (caller !== 'member') Object.assign(out, { find: 119, count: 119, get: 119 });
        if (caller !== 'owner') Object.assign(out, { update: 119, delete: 119 });
        return out;
      },
    },
  ];

  for (const variant of CLP_VARIANTS) {
    test(`CLP ${variant.name}: the exact outcome of every caller, operation and ACL`, async () => {
      const C = await makeClass('MxClp', {}, variant.clp());
      const W = await makeClass('MxClpW', {}, variant.clp()); // written objects live apart
      const failures = [];
      const readIds = await seed(C, Object.fromEntries(ACL_KINDS.map(k => [k, { kind: k, ACL: aclFor(k) }])));
      for (const caller of CALLERS) {
        const denied = variant.denied(caller);
        const visible = ACL_KINDS.filter(k => aclAllows(caller, k, false)).sort();
        const found = await findLabels(C, caller, readIds);
        const wantFind = denied.find ? { status: denied.find === 101 ? 404 : 400, code: denied.find } : visible;
        if (JSON.stringify(found) !== JSON.stringify(wantFind)) failures.push(`${caller} find: ${JSON.stringify(found)} expected ${JSON.stringify(wantFind)}`);
        const count = await countOf(C, caller);
        const wantCount = denied.count ? { status: denied.count === 101 ? 404 : 400, code: denied.count } : visible.length;
        if (JSON.stringify(count) !== JSON.stringify(wantCount)) failures.push(`${caller} count: ${JSON.stringify(count)} expected ${JSON.stringify(wantCount)}`);
        for (const k of ACL_KINDS) {
          const got = await getOutcome(C, caller, readIds[k]);
          const want = denied.get || (aclAllows(caller, k, false) ? 'ok' : 101);
          if (got !== want) failures.push(`${caller} get ${k}: ${got} expected ${want}`);
        }
        const writeIds = await seed(W, Object.fromEntries(ACL_KINDS.flatMap(k => [[`u-${k}`, { kind: k, ACL: aclFor(k) }], [`d-${k}`, { kind: k, ACL: aclFor(k) }]])));
        for (const k of ACL_KINDS) {
          const aclWant = aclAllows(caller, k, true) ? 'ok' : caller === 'readOnly' ? 119 : 101;
          const wantUp = denied.update || aclWant;
          const up = await writeOutcome(W, caller, 'PUT', writeIds[`u-${k}`]);
          if (up !== wantUp) failures.push(`${caller} update ${k}: ${up} expected ${wantUp}`);
          const wantDel = denied.delete || aclWant;
          const del = await writeOutcome(W, caller, 'DELETE', writeIds[`d-${k}`]);
          if (del !== wantDel) failures.push(`${caller} delete ${k}: ${del} expected ${wantDel}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  test('CLP pointer permissions (readUserFields / writeUserFields) combined with the ACL', async () => {
    const clp = {
      find: {},
      get: {},
      count: {},
      create: { '*': true },
      update: {},
      delete: {},
      addField: {},
      readUserFields: ['owner'],
      writeUserFields: ['owner'],
    };
    const C = await makeClass('MxPtr', { owner: { type: 'Pointer', targetClass: '_User' } }, clp);
    const failures = [];
    // Objects owned (pointer) by owner / other, public or owner-only ACL.
    const spec = {
      ownerPub: { owner: userPtr(users.owner.id), ACL: { '*': { read: true, write: true } } },
      otherPub: { owner: userPtr(users.other.id), ACL: { '*': { read: true, write: true } } },
      otherAclOwner: { owner: userPtr(users.other.id), ACL: { [users.owner.id]: { read: true, write: true } } },
      nobody: { ACL: { '*': { read: true, write: true } } },
    };
    const ids = await seed(C, spec);
    const expectRead = {
      public: [],
      owner: ['ownerPub'],
      other: ['otherPub'],
      member: [],
      nonmember: [],
      master: Object.keys(spec).sort(),
      readOnly: Object.keys(spec).sort(),
    };
    for (const caller of CALLERS) {
      const found = await findLabels(C, caller, ids);
      if (JSON.stringify(found) !== JSON.stringify(expectRead[caller])) failures.push(`${caller} find: ${JSON.stringify(found)} expected ${JSON.stringify(expectRead[caller])}`);
      for (const label of Object.keys(spec)) {
        const got = await getOutcome(C, caller, ids[label]);
        const want = expectRead[caller].includes(label) ? 'ok' : 101;
        if (got !== want) failures.push(`${caller} get ${label}: ${got} expected ${want}`);
      }
    }
    for (const caller of CALLERS) {
      const wids = await seed(C, spec);
      for (const label of Object.keys(spec)) {
        const want = caller === 'readOnly' ? 119 : expectRead[caller].includes(label) ? 'ok' : 101;
        const up = await writeOutcome(C, caller, 'PUT', wids[label]);
        if (up !== want) failures.push(`${caller} update ${label}: ${up} expected ${want}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('CLP protectedFields: * hides, the user entry and the role entry reveal, both master keys see all', async () => {
    const clp = {
      find: { '*': true },
      get: { '*': true },
      count: { '*': true },
      create: { '*': true },
      update: { '*': true },
      delete: { '*': true },
      addField: { '*': true },
      protectedFields: { '*': ['secret'], [users.owner.id]: [], [`role:${roleName}`]: [] },
    };
    const C = await makeClass('MxProt', { secret: { type: 'String' } }, clp);
    const id = (await h.createObject(srv, C, { v: 0, secret: 'x', ACL: { '*': { read: true } } }, 'master')).objectId;
    const failures = [];
    const sees = { public: false, owner: true, other: false, member: true, nonmember: false, master: true, readOnly: true };
    for (const caller of CALLERS) {
      const got = h.expectOk(await call(caller, 'GET', `/classes/${C}/${id}`));
      if ((got.secret === 'x') !== sees[caller]) failures.push(`${caller} get: secret ${got.secret === 'x' ? 'shown' : 'hidden'}`);
      const found = h.expectOk(await call(caller, 'GET', `/classes/${C}`));
      if ((found.results[0].secret === 'x') !== sees[caller]) failures.push(`${caller} find: secret ${found.results[0].secret === 'x' ? 'shown' : 'hidden'}`);
    }
    assert.deepEqual(failures, []);
  });
});
