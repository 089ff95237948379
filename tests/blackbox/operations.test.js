'use strict';
// Field operations: Increment, Add, AddUnique, Remove, Delete, AddRelation,
// RemoveRelation and the Batch operation.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

async function put(className, id, body, status = 200) {
  return h.expectOk(await h.request(server.srv, 'PUT', `/classes/${className}/${id}`, { body }), status);
}

async function fresh(body) {
  const C = h.uniqueClass('Op');
  const created = await h.createObject(server.srv, C, body);
  return { C, id: created.objectId, created };
}

async function related(parentClass, parentId, key, targetClass) {
  const res = await h.find(server.srv, targetClass, {
    where: { $relatedTo: { object: { __type: 'Pointer', className: parentClass, objectId: parentId }, key } },
  });
  return h.expectOk(res).results.map(o => o.objectId).sort();
}

describe('Increment', () => {
  test('on an existing field adds the amount and answers the new value', async () => {
    const { C, id } = await fresh({ score: 5 });
    const res = await put(C, id, { score: { __op: 'Increment', amount: 2 } });
    assert.equal(res.score, 7);
    assert.match(res.updatedAt, h.ISO_MS);
    assert.equal((await h.getObject(server.srv, C, id)).score, 7);
  });

  test('on a missing field starts from zero', async () => {
    const { C, id } = await fresh({ other: 1 });
    const res = await put(C, id, { score: { __op: 'Increment', amount: 3 } });
    assert.equal(res.score, 3);
    assert.equal((await h.getObject(server.srv, C, id)).score, 3);
  });

  test('with a negative amount decrements', async () => {
    const { C, id } = await fresh({ score: 5 });
    assert.equal((await put(C, id, { score: { __op: 'Increment', amount: -8 } })).score, -3);
    assert.equal((await h.getObject(server.srv, C, id)).score, -3);
  });

  test('with a float amount', async () => {
    const { C, id } = await fresh({ score: 1.5 });
    assert.equal((await put(C, id, { score: { __op: 'Increment', amount: 0.25 } })).score, 1.75);
    assert.equal((await put(C, id, { fresh: { __op: 'Increment', amount: 2.5 } })).fresh, 2.5);
    const got = await h.getObject(server.srv, C, id);
    assert.equal(got.score, 1.75);
    assert.equal(got.fresh, 2.5);
  });

  test('repeated increments accumulate', async () => {
    const { C, id } = await fresh({ score: 0 });
    for (let i = 0; i < 5; i++) await put(C, id, { score: { __op: 'Increment', amount: 10 } });
    assert.equal((await h.getObject(server.srv, C, id)).score, 50);
  });

  test('concurrent increments are not lost', async () => {
    const { C, id } = await fresh({ score: 0 });
    await Promise.all(Array.from({ length: 10 }, () => put(C, id, { score: { __op: 'Increment', amount: 1 } })));
    assert.equal((await h.getObject(server.srv, C, id)).score, 10);
  });

  test('on a string field is a type error (111)', async () => {
    const { C, id } = await fresh({ name: 'x' });
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { body: { name: { __op: 'Increment', amount: 1 } } }), 400, 111);
    assert.equal((await h.getObject(server.srv, C, id)).name, 'x');
  });

  test('in a create sets the field to the amount', async () => {
    const C = h.uniqueClass('OpCreateInc');
    const created = await h.createObject(server.srv, C, { n: { __op: 'Increment', amount: 5 } });
    assert.equal((await h.getObject(server.srv, C, created.objectId)).n, 5);
  });
});

describe('array operations', () => {
  test('Add appends to the end, keeping duplicates', async () => {
    const { C, id } = await fresh({ arr: ['a', 'b'] });
    const res = await put(C, id, { arr: { __op: 'Add', objects: ['c', 'a'] } });
    h.assertArrayResult(res.arr, ['a', 'b', 'c', 'a'], 'PUT response');
    h.assertArrayResult((await h.getObject(server.srv, C, id)).arr, ['a', 'b', 'c', 'a'], 'stored value');
  });

  test('Add on a missing field creates the array', async () => {
    const { C, id } = await fresh({ other: 1 });
    const res = await put(C, id, { arr: { __op: 'Add', objects: [1, { x: 2 }] } });
    h.assertArrayResult(res.arr, [1, { x: 2 }]);
    h.assertArrayResult((await h.getObject(server.srv, C, id)).arr, [1, { x: 2 }]);
  });

  test('AddUnique adds only what is not there yet', async () => {
    const { C, id } = await fresh({ arr: ['flying', 'pwnage'] });
    const res = await put(C, id, { arr: { __op: 'AddUnique', objects: ['flying', 'kungfu'] } });
    h.sameMembers(res.arr, ['flying', 'pwnage', 'kungfu'], 'PUT response');
    h.sameMembers((await h.getObject(server.srv, C, id)).arr, ['flying', 'pwnage', 'kungfu'], 'stored value');
  });

  test('AddUnique with numbers does not confuse 1 and "1"', async () => {
    const { C, id } = await fresh({ arr: [1, 2] });
    await put(C, id, { arr: { __op: 'AddUnique', objects: [2, 3] } });
    h.sameMembers((await h.getObject(server.srv, C, id)).arr, [1, 2, 3]);
    const other = await fresh({ arr: ['1'] });
    await put(other.C, other.id, { arr: { __op: 'AddUnique', objects: ['1', '2'] } });
    h.sameMembers((await h.getObject(server.srv, other.C, other.id)).arr, ['1', '2']);
  });

  test('AddUnique on a missing field', async () => {
    const { C, id } = await fresh({ other: 1 });
    const res = await put(C, id, { arr: { __op: 'AddUnique', objects: ['x', 'y'] } });
    h.sameMembers(res.arr, ['x', 'y']);
    h.sameMembers((await h.getObject(server.srv, C, id)).arr, ['x', 'y']);
  });

  test('Remove removes every instance of each given value', async () => {
    const { C, id } = await fresh({ arr: ['a', 'b', 'a', 'c', 'b', 'd'] });
    const res = await put(C, id, { arr: { __op: 'Remove', objects: ['a', 'd', 'zzz'] } });
    h.assertArrayResult(res.arr, ['b', 'c', 'b'], 'PUT response');
    h.assertArrayResult((await h.getObject(server.srv, C, id)).arr, ['b', 'c', 'b'], 'stored value');
  });

  test('Remove of objects compares by value', async () => {
    const { C, id } = await fresh({ arr: [{ k: 1 }, { k: 2 }, 3] });
    await put(C, id, { arr: { __op: 'Remove', objects: [{ k: 1 }] } });
    h.assertArrayResult((await h.getObject(server.srv, C, id)).arr, [{ k: 2 }, 3]);
  });

  test('Remove on a missing field leaves an empty array', async () => {
    const { C, id } = await fresh({ other: 1 });
    const res = await put(C, id, { arr: { __op: 'Remove', objects: ['x'] } });
    assert.deepEqual(res.arr, []);
    assert.deepEqual((await h.getObject(server.srv, C, id)).arr, []);
  });

  test('Add on a number field is a type error (111)', async () => {
    const { C, id } = await fresh({ n: 1 });
    h.expectError(await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { body: { n: { __op: 'Add', objects: [1] } } }), 400, 111);
  });

  test('Add and AddUnique in a create', async () => {
    const C = h.uniqueClass('OpCreateAdd');
    const created = await h.createObject(server.srv, C, { a: { __op: 'Add', objects: [1, 2] }, u: { __op: 'AddUnique', objects: ['x', 'y'] } });
    const got = await h.getObject(server.srv, C, created.objectId);
    h.assertArrayResult(got.a, [1, 2]);
    h.sameMembers(got.u, ['x', 'y']);
  });

  test('several operations in one PUT', async () => {
    const { C, id } = await fresh({ n: 1, arr: ['a'], gone: 'bye', keep: 'k' });
    const res = await put(C, id, {
      n: { __op: 'Increment', amount: 9 },
      arr: { __op: 'Add', objects: ['b'] },
      gone: { __op: 'Delete' },
      plain: 'set',
    });
    assert.equal(res.n, 10);
    const got = await h.getObject(server.srv, C, id);
    assert.equal(got.n, 10);
    h.assertArrayResult(got.arr, ['a', 'b']);
    assert.equal(got.gone, undefined);
    assert.equal(got.plain, 'set');
    assert.equal(got.keep, 'k');
  });
});

describe('operations through the SDK', () => {
  test('increment, add, addUnique, remove and unset', async () => {
    const Parse = h.parseSdk(server.srv);
    const C = h.uniqueClass('OpSdk');
    const o = await new Parse.Object(C, { n: 1, list: ['a', 'b'], set: ['x'], junk: 'j' }).save();
    o.increment('n', 4);
    o.add('list', 'c');
    o.addUnique('set', 'x');
    o.addUnique('set', 'y');
    o.unset('junk');
    await o.save();
    assert.equal(o.get('n'), 5);
    const got = await new Parse.Query(C).get(o.id);
    assert.equal(got.get('n'), 5);
    h.assertArrayResult(got.get('list'), ['a', 'b', 'c']);
    h.sameMembers(got.get('set'), ['x', 'y']);
    assert.equal(got.get('junk'), undefined);
    assert.equal(got.has('junk'), false);
    got.remove('list', 'b');
    await got.save();
    h.assertArrayResult((await new Parse.Query(C).get(o.id)).get('list'), ['a', 'c']);
  });
});

describe('Delete', () => {
  test('removes the field and answers {updatedAt}', async () => {
    const { C, id } = await fresh({ a: 1, b: 'two' });
    const res = await put(C, id, { a: { __op: 'Delete' } });
    assert.deepEqual(Object.keys(res), ['updatedAt']);
    const got = await h.getObject(server.srv, C, id);
    assert.ok(!Object.prototype.hasOwnProperty.call(got, 'a'), `a still present: ${JSON.stringify(got)}`);
    assert.equal(got.b, 'two');
  });

  test('of a field this object does not have (but the class does) succeeds', async () => {
    const { C, id } = await fresh({ a: 1 });
    await h.createObject(server.srv, C, { other: 'x' });
    await put(C, id, { other: { __op: 'Delete' } });
    const got = await h.getObject(server.srv, C, id);
    assert.equal(got.a, 1);
    assert.equal(got.other, undefined);
  });

  test('of a field the class has never had succeeds', async () => {
    const { C, id } = await fresh({ a: 1 });
    const res = await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { body: { neverSeen: { __op: 'Delete' } } });
    if (h.IS_PARSEC) {
      h.expectOk(res, 200);
    } else {
      // parse-server on PostgreSQL fails on the missing column.
      assert.ok([200, 500].includes(res.status), h.describeRes(res));
    }
    assert.equal((await h.getObject(server.srv, C, id)).a, 1);
  });

  test('the field can be set again with the same type afterwards', async () => {
    const { C, id } = await fresh({ a: 1 });
    await put(C, id, { a: { __op: 'Delete' } });
    await put(C, id, { a: 2 });
    assert.equal((await h.getObject(server.srv, C, id)).a, 2);
  });
});

describe('dot notation on Object fields (sent by the JS SDK for set / increment of "a.b")', () => {
  test('set, Increment and Delete of nested keys change only those keys', async () => {
    const { C, id } = await fresh({ obj: { a: 1, b: 2, gone: true, n: { x: 1, y: 2 } }, other: 'o' });
    await put(C, id, { 'obj.a': 5 });
    const inc = await put(C, id, { 'obj.b': { __op: 'Increment', amount: 3 } });
    assert.match(inc.updatedAt, h.ISO_MS);
    await put(C, id, { 'obj.gone': { __op: 'Delete' } });
    await put(C, id, { 'obj.fresh': 'new' });
    const got = await h.getObject(server.srv, C, id);
    // (Only one level deep: parse-server on PostgreSQL mishandles "obj.n.x".)
    assert.deepEqual(got.obj, { a: 5, b: 5, n: { x: 1, y: 2 }, fresh: 'new' });
    assert.equal(got.other, 'o');
  });

  test('a query on a nested key with dot notation', async () => {
    const C = h.uniqueClass('OpDotQuery');
    const a = await h.createObject(server.srv, C, { obj: { k: 1, s: 'x' } });
    await h.createObject(server.srv, C, { obj: { k: 2, s: 'y' } });
    const res = h.expectOk(await h.find(server.srv, C, { where: { 'obj.s': 'x' } })).results;
    assert.deepEqual(res.map(o => o.objectId), [a.objectId]);
  });

  test('through the SDK: set("obj.a") and increment("obj.count")', async () => {
    const Parse = h.parseSdk(server.srv);
    const C = h.uniqueClass('OpDotSdk');
    const o = await new Parse.Object(C, { obj: { a: 1, count: 10, keep: true } }).save();
    o.set('obj.a', 'changed');
    o.increment('obj.count', 5);
    await o.save();
    const got = await new Parse.Query(C).get(o.id);
    assert.deepEqual(got.get('obj'), { a: 'changed', count: 15, keep: true });
  });
});

describe('relations', () => {
  test('AddRelation and RemoveRelation change the related set', async () => {
    const Target = h.uniqueClass('OpRelT');
    const t1 = (await h.createObject(server.srv, Target, { n: 1 })).objectId;
    const t2 = (await h.createObject(server.srv, Target, { n: 2 })).objectId;
    const t3 = (await h.createObject(server.srv, Target, { n: 3 })).objectId;
    const ptr = objectId => ({ __type: 'Pointer', className: Target, objectId });
    const { C, id } = await fresh({ name: 'parent' });

    await put(C, id, { rel: { __op: 'AddRelation', objects: [ptr(t1), ptr(t2)] } });
    assert.deepEqual((await h.getObject(server.srv, C, id)).rel, { __type: 'Relation', className: Target });
    assert.deepEqual(await related(C, id, 'rel', Target), [t1, t2].sort());

    await put(C, id, { rel: { __op: 'AddRelation', objects: [ptr(t2), ptr(t3)] } });
    assert.deepEqual(await related(C, id, 'rel', Target), [t1, t2, t3].sort(), 'adding twice does not duplicate');

    await put(C, id, { rel: { __op: 'RemoveRelation', objects: [ptr(t1)] } });
    assert.deepEqual(await related(C, id, 'rel', Target), [t2, t3].sort());
  });

  test('relations of two parents are independent', async () => {
    const Target = h.uniqueClass('OpRelT2');
    const t1 = (await h.createObject(server.srv, Target, { n: 1 })).objectId;
    const t2 = (await h.createObject(server.srv, Target, { n: 2 })).objectId;
    const ptr = objectId => ({ __type: 'Pointer', className: Target, objectId });
    const C = h.uniqueClass('OpRelP');
    const p1 = (await h.createObject(server.srv, C, { rel: { __op: 'AddRelation', objects: [ptr(t1)] } })).objectId;
    const p2 = (await h.createObject(server.srv, C, { rel: { __op: 'AddRelation', objects: [ptr(t2)] } })).objectId;
    assert.deepEqual(await related(C, p1, 'rel', Target), [t1]);
    assert.deepEqual(await related(C, p2, 'rel', Target), [t2]);
  });

  test('Batch op applies AddRelation and RemoveRelation together', async () => {
    const Target = h.uniqueClass('OpBatchT');
    const t1 = (await h.createObject(server.srv, Target, { n: 1 })).objectId;
    const t2 = (await h.createObject(server.srv, Target, { n: 2 })).objectId;
    const ptr = objectId => ({ __type: 'Pointer', className: Target, objectId });
    const { C, id } = await fresh({ name: 'parent' });
    await put(C, id, { rel: { __op: 'AddRelation', objects: [ptr(t1)] } });
    await put(C, id, {
      rel: { __op: 'Batch', ops: [{ __op: 'AddRelation', objects: [ptr(t2)] }, { __op: 'RemoveRelation', objects: [ptr(t1)] }] },
    });
    assert.deepEqual(await related(C, id, 'rel', Target), [t2]);
  });

  test('relation add + remove through the SDK (sent as a Batch op)', async () => {
    const Parse = h.parseSdk(server.srv);
    const C = h.uniqueClass('OpSdkRel');
    const Target = h.uniqueClass('OpSdkRelT');
    const [a, b, c] = await Parse.Object.saveAll([new Parse.Object(Target, { n: 1 }), new Parse.Object(Target, { n: 2 }), new Parse.Object(Target, { n: 3 })]);
    const parent = new Parse.Object(C, { name: 'p' });
    parent.relation('members').add([a, b]);
    await parent.save();
    const rel = parent.relation('members');
    rel.add(c);
    rel.remove(a);
    assert.equal(parent._getSaveJSON().members.__op, 'Batch');
    await parent.save();
    const members = await parent.relation('members').query().ascending('n').find();
    assert.deepEqual(members.map(m => m.get('n')), [2, 3]);
  });
});

describe('malformed operations', () => {
  test('an unknown __op is refused with a 4xx (never a 500) and changes nothing', async () => {
    const { C, id } = await fresh({ n: 1 });
    const res = await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { body: { n: { __op: 'Bogus', amount: 1 } } });
    // parse-server answers 500 here (ERRORS.md rule 3).
    h.expectClientError(res, { codes: [107, 111], psStatus: 500 });
    assert.equal((await h.getObject(server.srv, C, id)).n, 1);
    await h.expectAlive(server.srv);
  });

  test('Increment with a non-numeric amount is refused with a 4xx', async () => {
    const { C, id } = await fresh({ n: 1 });
    const res = await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { body: { n: { __op: 'Increment', amount: 'ten' } } });
    h.expectClientError(res, { codes: [107, 111], psStatus: 500 });
    assert.equal((await h.getObject(server.srv, C, id)).n, 1);
  });

  test('Add with objects that is not an array is refused with a 4xx', async () => {
    const { C, id } = await fresh({ arr: [1] });
    const res = await h.request(server.srv, 'PUT', `/classes/${C}/${id}`, { body: { other: { __op: 'Add', objects: 'notarray' } } });
    h.expectClientError(res, { codes: [107, 111], psStatus: 500 });
    await h.expectAlive(server.srv);
  });
});
