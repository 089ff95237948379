'use strict';
// Objects: create / fetch / update / delete over plain HTTP and the Parse JS SDK.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

describe('objects over HTTP', () => {
  test('POST /classes/X answers 201 with objectId, createdAt and a Location header', async () => {
    const C = h.uniqueClass('ObjCreate');
    const res = await h.request(server.srv, 'POST', `/classes/${C}`, { body: { score: 1337, playerName: 'Sean Plott', cheatMode: false } });
    const body = h.expectOk(res, 201);
    assert.deepEqual(Object.keys(body).sort(), ['createdAt', 'objectId']);
    assert.match(body.objectId, h.OBJECT_ID);
    assert.match(body.createdAt, h.ISO_MS);
    const age = Math.abs(Date.now() - Date.parse(body.createdAt));
    assert.ok(age < 5 * 60 * 1000, `createdAt ${body.createdAt} is not close to now`);
    assert.equal(res.headers.get('location'), `${server.srv.url}/classes/${C}/${body.objectId}`);
    assert.match(res.headers.get('content-type') || '', /^application\/json/);
  });

  test('each create gets a distinct objectId', async () => {
    const C = h.uniqueClass('ObjIds');
    const ids = new Set();
    for (let i = 0; i < 20; i++) ids.add((await h.createObject(server.srv, C, { i })).objectId);
    assert.equal(ids.size, 20);
  });

  test('GET returns every field plus objectId, createdAt and updatedAt', async () => {
    const C = h.uniqueClass('ObjGet');
    const created = await h.createObject(server.srv, C, { score: 1337, playerName: 'Sean Plott', cheatMode: false, skills: ['pwnage', 'flying'] });
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.deepEqual(got, {
      objectId: created.objectId,
      createdAt: created.createdAt,
      updatedAt: created.createdAt,
      score: 1337,
      playerName: 'Sean Plott',
      cheatMode: false,
      skills: ['pwnage', 'flying'],
    });
  });

  test('GET with keys returns only the selected fields (and the built-in ones)', async () => {
    const C = h.uniqueClass('ObjKeys');
    const created = await h.createObject(server.srv, C, { a: 1, b: 'two', c: [3], d: { e: 4 } });
    const got = await h.getObject(server.srv, C, created.objectId, 'rest', '?keys=a,c');
    assert.equal(got.objectId, created.objectId);
    assert.equal(got.a, 1);
    assert.deepEqual(got.c, [3]);
    assert.equal(got.b, undefined, 'b was not selected');
    assert.equal(got.d, undefined, 'd was not selected');
    assert.match(got.createdAt, h.ISO_MS);
    assert.match(got.updatedAt, h.ISO_MS);
  });

  test('GET with include expands a pointer; without it the pointer stays a Pointer', async () => {
    const Child = h.uniqueClass('ObjChild');
    const Parent = h.uniqueClass('ObjParent');
    const child = await h.createObject(server.srv, Child, { name: 'kid', age: 7 });
    const ptr = { __type: 'Pointer', className: Child, objectId: child.objectId };
    const parent = await h.createObject(server.srv, Parent, { child: ptr, title: 'p' });

    const plain = await h.getObject(server.srv, Parent, parent.objectId);
    assert.deepEqual(plain.child, ptr);

    const inc = await h.getObject(server.srv, Parent, parent.objectId, 'rest', '?include=child');
    assert.equal(inc.title, 'p');
    assert.equal(inc.child.__type, 'Object');
    assert.equal(inc.child.className, Child);
    assert.equal(inc.child.objectId, child.objectId);
    assert.equal(inc.child.name, 'kid');
    assert.equal(inc.child.age, 7);
    assert.equal(inc.child.createdAt, child.createdAt);
  });

  test('include follows a chain (include=b.c), pointers inside arrays, and sub-keys (keys=b.lvl)', async () => {
    const A = h.uniqueClass('IncA');
    const B = h.uniqueClass('IncB');
    const Cc = h.uniqueClass('IncC');
    const c = await h.createObject(server.srv, Cc, { lvl: 'c' });
    const b = await h.createObject(server.srv, B, { lvl: 'b', other: 'x', c: { __type: 'Pointer', className: Cc, objectId: c.objectId } });
    const bPtr = { __type: 'Pointer', className: B, objectId: b.objectId };
    const a = await h.createObject(server.srv, A, { b: bPtr, list: [bPtr, 'plain'] });

    const chain = await h.getObject(server.srv, A, a.objectId, 'rest', '?include=b.c');
    assert.equal(chain.b.__type, 'Object');
    assert.equal(chain.b.lvl, 'b');
    assert.equal(chain.b.c.__type, 'Object');
    assert.equal(chain.b.c.className, Cc);
    assert.equal(chain.b.c.lvl, 'c');

    const oneLevel = await h.getObject(server.srv, A, a.objectId, 'rest', '?include=b');
    assert.equal(oneLevel.b.lvl, 'b');
    assert.deepEqual(oneLevel.b.c, { __type: 'Pointer', className: Cc, objectId: c.objectId }, 'include=b does not expand b.c');
    assert.deepEqual(oneLevel.list, [bPtr, 'plain'], 'include=b does not expand pointers in list');

    const inArray = await h.getObject(server.srv, A, a.objectId, 'rest', '?include=list');
    assert.equal(inArray.list.length, 2);
    assert.equal(inArray.list[0].__type, 'Object');
    assert.equal(inArray.list[0].objectId, b.objectId);
    assert.equal(inArray.list[0].lvl, 'b');
    assert.equal(inArray.list[1], 'plain');

    const subKeys = await h.getObject(server.srv, A, a.objectId, 'rest', '?include=b&keys=b.lvl');
    assert.equal(subKeys.b.lvl, 'b');
    assert.equal(subKeys.b.other, undefined, 'keys=b.lvl leaves out the other fields of b');
    assert.equal(subKeys.list, undefined, 'list was not selected');
  });

  test('include of a pointer whose object was deleted drops the field', async () => {
    const Target = h.uniqueClass('IncGoneT');
    const Holder = h.uniqueClass('IncGoneH');
    const t = await h.createObject(server.srv, Target, { n: 1 });
    const ptr = { __type: 'Pointer', className: Target, objectId: t.objectId };
    const holder = await h.createObject(server.srv, Holder, { p: ptr, keep: 1 });
    assert.deepEqual(h.expectOk(await h.request(server.srv, 'DELETE', `/classes/${Target}/${t.objectId}`)), {});
    const plain = await h.getObject(server.srv, Holder, holder.objectId);
    assert.deepEqual(plain.p, ptr, 'without include the dangling pointer is returned as is');
    const inc = await h.getObject(server.srv, Holder, holder.objectId, 'rest', '?include=p');
    assert.equal(inc.keep, 1);
    assert.equal(inc.p, undefined, `expected no p, got ${JSON.stringify(inc.p)}`);
  });

  test('PUT answers {updatedAt} only for plain sets, and the change is stored', async () => {
    const C = h.uniqueClass('ObjPut');
    const created = await h.createObject(server.srv, C, { score: 1, name: 'x', keep: true });
    await h.sleep(5);
    const res = await h.request(server.srv, 'PUT', `/classes/${C}/${created.objectId}`, { body: { score: 73453, name: 'y' } });
    const body = h.expectOk(res, 200);
    assert.deepEqual(Object.keys(body), ['updatedAt']);
    assert.match(body.updatedAt, h.ISO_MS);
    assert.ok(Date.parse(body.updatedAt) >= Date.parse(created.createdAt));
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.equal(got.score, 73453);
    assert.equal(got.name, 'y');
    assert.equal(got.keep, true, 'fields not in the PUT body are kept');
    assert.equal(got.createdAt, created.createdAt, 'createdAt does not change');
    assert.equal(got.updatedAt, body.updatedAt);
  });

  test('PUT with Increment answers the new value beside updatedAt', async () => {
    const C = h.uniqueClass('ObjPutInc');
    const created = await h.createObject(server.srv, C, { score: 10, label: 'a' });
    const res = await h.request(server.srv, 'PUT', `/classes/${C}/${created.objectId}`, {
      body: { score: { __op: 'Increment', amount: 5 }, label: 'b' },
    });
    const body = h.expectOk(res, 200);
    assert.equal(body.score, 15);
    assert.match(body.updatedAt, h.ISO_MS);
    assert.equal(body.label, undefined, 'plain sets are not echoed');
    assert.equal(body.createdAt, undefined);
  });

  test('DELETE answers {} and the object is gone', async () => {
    const C = h.uniqueClass('ObjDel');
    const a = await h.createObject(server.srv, C, { n: 1 });
    const b = await h.createObject(server.srv, C, { n: 2 });
    const res = await h.request(server.srv, 'DELETE', `/classes/${C}/${a.objectId}`);
    assert.deepEqual(h.expectOk(res, 200), {});
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}/${a.objectId}`), 404, 101);
    // The other object is untouched.
    assert.equal((await h.getObject(server.srv, C, b.objectId)).n, 2);
    // Deleting twice: the object is not found any more.
    h.expectError(await h.request(server.srv, 'DELETE', `/classes/${C}/${a.objectId}`), 404, 101);
  });

  // parse-server on PostgreSQL keeps such names apart, and so does parsec on
  // PostgreSQL. SQLite compares table and column names without case, so
  // parsec on SQLite refuses the second name with a clear error (103 / 105)
  // rather than mixing it into the first.
  const refusesCase = h.PARSEC_ENGINE === 'sqlite';
  test('class names that differ only in case are kept apart or refused', async () => {
    const base = h.randomId(6);
    const upper = `CaseClass${base}`;
    const lower = `caseclass${base}`;
    const a = await h.createObject(server.srv, upper, { v: 1 });
    const second = await h.request(server.srv, 'POST', `/classes/${lower}`, { body: { v: 'text' } });
    if (refusesCase) {
      h.expectError(second, 400, 103);
      assert.deepEqual(h.expectOk(await h.find(server.srv, lower, {})).results, []);
    } else {
      const b = h.expectOk(second, 201);
      assert.equal((await h.getObject(server.srv, lower, b.objectId)).v, 'text');
      h.expectError(await h.request(server.srv, 'GET', `/classes/${upper}/${b.objectId}`), 404, 101);
    }
    assert.deepEqual(h.expectOk(await h.find(server.srv, upper, {})).results.map(o => o.objectId), [a.objectId]);
  });

  test('field names that differ only in case are kept apart or refused', async () => {
    const C = h.uniqueClass('CaseField');
    const res = await h.request(server.srv, 'POST', `/classes/${C}`, { body: { score: 1, Score: 'x', SCORE: true } });
    if (refusesCase) {
      h.expectError(res, 400, 105);
      const ok = await h.createObject(server.srv, C, { score: 1 });
      h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${ok.objectId}`, { body: { Score: 'x' } }), 400, 105);
      assert.equal((await h.getObject(server.srv, C, ok.objectId)).score, 1);
      return;
    }
    const created = h.expectOk(res, 201);
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.equal(got.score, 1);
    assert.equal(got.Score, 'x');
    assert.equal(got.SCORE, true);
    const found = h.expectOk(await h.find(server.srv, C, { where: { Score: 'x' } })).results;
    assert.equal(found.length, 1);
  });

  test('a client may not choose the objectId when allowCustomObjectId is off (105)', async () => {
    const C = h.uniqueClass('ObjCustomId');
    await h.createObject(server.srv, C, { n: 1 });
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { body: { objectId: 'abcdefghij', n: 2 } }), 400, 105);
  });

  test('an ACL round-trips', async () => {
    const C = h.uniqueClass('ObjAcl');
    const acl = { '*': { read: true, write: true } };
    const created = await h.createObject(server.srv, C, { n: 1, ACL: acl });
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.deepEqual(got.ACL, acl);
  });
});

describe('objects through the Parse JS SDK', () => {
  test('save, fetch, update, destroy', async () => {
    const Parse = h.parseSdk(server.srv);
    const C = h.uniqueClass('SdkObj');
    const Obj = Parse.Object.extend(C);
    const o = new Obj();
    o.set('name', 'first');
    o.set('count', 1);
    o.set('tags', ['a', 'b']);
    await o.save();
    assert.match(o.id, h.OBJECT_ID);
    assert.ok(o.createdAt instanceof Date);
    assert.equal(o.createdAt.getTime(), o.updatedAt.getTime());

    const fetched = await new Obj({ id: o.id }).fetch();
    assert.equal(fetched.get('name'), 'first');
    assert.equal(fetched.get('count'), 1);
    assert.deepEqual(fetched.get('tags'), ['a', 'b']);

    await h.sleep(5);
    o.set('name', 'second');
    o.increment('count', 41);
    await o.save();
    assert.equal(o.get('count'), 42);
    assert.ok(o.updatedAt.getTime() >= o.createdAt.getTime());

    const again = await new Parse.Query(C).get(o.id);
    assert.equal(again.get('name'), 'second');
    assert.equal(again.get('count'), 42);
    assert.equal(again.updatedAt.getTime(), o.updatedAt.getTime());

    await o.destroy();
    await assert.rejects(new Parse.Query(C).get(o.id), err => err.code === Parse.Error.OBJECT_NOT_FOUND);
  });

  test('Parse.Query find / first / get / count', async () => {
    const Parse = h.parseSdk(server.srv);
    const C = h.uniqueClass('SdkQuery');
    const Obj = Parse.Object.extend(C);
    const objs = [];
    for (const [name, score] of [['a', 3], ['b', 1], ['c', 2], ['d', 2]]) objs.push(new Obj({ name, score }));
    await Parse.Object.saveAll(objs);

    const q = new Parse.Query(C).greaterThanOrEqualTo('score', 2).ascending('score').addAscending('name');
    const found = await q.find();
    assert.deepEqual(found.map(o => o.get('name')), ['c', 'd', 'a']);
    assert.equal(await new Parse.Query(C).greaterThanOrEqualTo('score', 2).count(), 3);
    assert.equal(await new Parse.Query(C).count(), 4);

    const first = await new Parse.Query(C).descending('score').first();
    assert.equal(first.get('name'), 'a');
    const none = await new Parse.Query(C).equalTo('name', 'zzz').first();
    assert.equal(none, undefined);

    const got = await new Parse.Query(C).get(objs[1].id);
    assert.equal(got.get('name'), 'b');
    await assert.rejects(new Parse.Query(C).get('doesNotExi'), err => err.code === Parse.Error.OBJECT_NOT_FOUND);
  });

  test('saving with the master key and a pointer, fetching with include', async () => {
    const Parse = h.parseSdk(server.srv, { masterKey: true });
    const Team = h.uniqueClass('SdkTeam');
    const Player = h.uniqueClass('SdkPlayer');
    const team = new Parse.Object(Team, { name: 'Reds' });
    await team.save(null, { useMasterKey: true });
    const player = new Parse.Object(Player, { name: 'Ann', team });
    await player.save(null, { useMasterKey: true });
    const got = await new Parse.Query(Player).include('team').get(player.id, { useMasterKey: true });
    assert.equal(got.get('team').id, team.id);
    assert.equal(got.get('team').get('name'), 'Reds');
    const notIncluded = await new Parse.Query(Player).get(player.id, { useMasterKey: true });
    assert.equal(notIncluded.get('team').id, team.id);
    assert.equal(notIncluded.get('team').get('name'), undefined, 'a pointer is not expanded without include');
  });
});
