'use strict';
// POST /batch.  Answers come back in request order, one {success} or {error}
// per sub-request.  parse-server runs the sub-requests concurrently, so no
// test here relies on one sub-request seeing the effect of another.
//
// Batch size limit: parse-server 9.x has requestComplexity.batchRequestLimit
// (env PARSE_SERVER_REQUEST_COMPLEXITY_BATCH_REQUEST_LIMIT; default -1 = no
// limit, announced to become 100).  A batch with more sub-requests than the
// limit is refused as a whole with 400 {"code":107} unless the master (or
// maintenance) key is used.  parsec's option is --batchRequestLimit.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

function mount(srv = server.srv) {
  return new URL(srv.url).pathname;
}

function batch(requests, { auth = 'rest', srv = server.srv } = {}) {
  return h.request(srv, 'POST', '/batch', { auth, body: { requests } });
}

describe('batch', () => {
  let C;
  let existing; // objectIds made before the batch tests
  before(async () => {
    C = h.uniqueClass('Batch');
    existing = [];
    for (let i = 0; i < 4; i++) existing.push((await h.createObject(server.srv, C, { n: i, label: `e${i}` })).objectId);
  });

  test('creates answer {success: {objectId, createdAt}} in order', async () => {
    const D = h.uniqueClass('BatchCreate');
    const res = await batch([
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { score: 1337, playerName: 'Sean Plott' } },
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { score: 1338, playerName: 'ZeroCool' } },
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { score: 1339, playerName: 'Third' } },
    ]);
    const out = h.expectOk(res);
    assert.ok(Array.isArray(out));
    assert.equal(out.length, 3);
    for (const [i, item] of out.entries()) {
      assert.deepEqual(Object.keys(item), ['success'], `item ${i}: ${JSON.stringify(item)}`);
      assert.match(item.success.objectId, h.OBJECT_ID);
      assert.match(item.success.createdAt, h.ISO_MS);
    }
    // Each answer belongs to its own request.
    for (const [i, score] of [1337, 1338, 1339].entries()) {
      assert.equal((await h.getObject(server.srv, D, out[i].success.objectId)).score, score);
    }
  });

  test('update, delete, get and query sub-requests answer like the plain requests', async () => {
    const res = await batch([
      { method: 'PUT', path: `${mount()}/classes/${C}/${existing[0]}`, body: { n: { __op: 'Increment', amount: 100 }, label: 'changed' } },
      { method: 'DELETE', path: `${mount()}/classes/${C}/${existing[1]}` },
      { method: 'GET', path: `${mount()}/classes/${C}/${existing[2]}` },
      { method: 'GET', path: `${mount()}/classes/${C}`, body: { where: { label: 'e3' } } },
      { method: 'POST', path: `${mount()}/classes/${C}`, body: { n: 50, label: 'new' } },
    ]);
    const out = h.expectOk(res);
    assert.equal(out.length, 5);
    assert.equal(out[0].success.n, 100);
    assert.match(out[0].success.updatedAt, h.ISO_MS);
    assert.deepEqual(out[1], { success: {} });
    assert.equal(out[2].success.objectId, existing[2]);
    assert.equal(out[2].success.label, 'e2');
    assert.deepEqual(out[3].success.results.map(o => o.objectId), [existing[3]]);
    assert.match(out[4].success.objectId, h.OBJECT_ID);

    const updated = await h.getObject(server.srv, C, existing[0]);
    assert.equal(updated.n, 100);
    assert.equal(updated.label, 'changed');
    h.expectError(await h.request(server.srv, 'GET', `/classes/${C}/${existing[1]}`), 404, 101);
    assert.equal((await h.getObject(server.srv, C, out[4].success.objectId)).label, 'new');
  });

  test('a partial failure: the batch is 200, the failing item has {error: {code, error}}, the others apply', async () => {
    const D = h.uniqueClass('BatchPartial');
    await h.createObject(server.srv, D, { n: 1 });
    const res = await batch([
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { n: 2 } },
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { n: 'not a number' } },
      { method: 'GET', path: `${mount()}/classes/${D}/zzzzzzzzzz` },
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { '1bad': 3 } },
      { method: 'DELETE', path: `${mount()}/classes/${D}/zzzzzzzzzz` },
      { method: 'POST', path: `${mount()}/classes/${D}`, body: { n: 4 } },
    ]);
    const out = h.expectOk(res);
    assert.equal(out.length, 6);
    assert.ok(out[0].success && out[0].success.objectId, JSON.stringify(out[0]));
    assert.equal(out[0].error, undefined);
    assert.equal(out[1].error.code, 111, JSON.stringify(out[1]));
    assert.equal(typeof out[1].error.error, 'string');
    assert.equal(out[1].success, undefined);
    assert.equal(out[2].error.code, 101, JSON.stringify(out[2]));
    assert.equal(out[3].error.code, 105, JSON.stringify(out[3]));
    assert.equal(out[4].error.code, 101, JSON.stringify(out[4]));
    assert.ok(out[5].success && out[5].success.objectId, JSON.stringify(out[5]));
    const all = h.expectOk(await h.find(server.srv, D, { order: 'n' })).results.map(o => o.n);
    assert.deepEqual(all, [1, 2, 4]);
  });

  test('an empty requests array answers []', async () => {
    assert.deepEqual(h.expectOk(await batch([])), []);
  });

  test('requests that is not an array is 107', async () => {
    for (const body of [{ requests: {} }, { requests: 'x' }, { requests: null }, {}, { requests: 5 }]) {
      h.expectError(await h.request(server.srv, 'POST', '/batch', { body }), 400, 107);
    }
  });

  test('a sub-request path outside the mount is 107', async () => {
    const res = await batch([{ method: 'POST', path: `/elsewhere/classes/${C}`, body: { n: 1 } }]);
    h.expectError(res, 400, 107);
  });

  test('a sub-request without a path is 107', async () => {
    h.expectError(await batch([{ method: 'POST', body: { n: 1 } }]), 400, 107);
    h.expectError(await batch(['not an object']), 400, 107);
  });

  test('a nested batch is refused (107)', async () => {
    h.expectError(await batch([{ method: 'POST', path: `${mount()}/batch`, body: { requests: [] } }]), 400, 107);
  });

  test('60 creates in one batch all succeed (no limit by default)', async () => {
    const D = h.uniqueClass('BatchMany');
    const out = h.expectOk(await batch(Array.from({ length: 60 }, (_, i) => ({ method: 'POST', path: `${mount()}/classes/${D}`, body: { i } }))));
    assert.equal(out.length, 60);
    assert.ok(out.every(item => item.success && item.success.objectId));
    assert.equal(new Set(out.map(item => item.success.objectId)).size, 60);
    assert.equal(h.expectOk(await h.find(server.srv, D, { count: '1', limit: '0' })).count, 60);
  });

  test('keys apply to the batch: a refused batch runs nothing', async () => {
    const D = h.uniqueClass('BatchAuth');
    const res = await h.request(server.srv, 'POST', '/batch', {
      auth: 'none',
      headers: { 'X-Parse-Application-Id': h.APP_ID, 'X-Parse-REST-API-Key': 'wrong' },
      body: { requests: [{ method: 'POST', path: `${mount()}/classes/${D}`, body: { n: 1 } }] },
    });
    assert.equal(res.status, 403, h.describeRes(res));
    assert.deepEqual(h.expectOk(await h.find(server.srv, D, {}, 'master')), { results: [] });
  });

  test('the batch works through the SDK (saveAll / destroyAll)', async () => {
    const Parse = h.parseSdk(server.srv);
    const D = h.uniqueClass('BatchSdk');
    const objs = Array.from({ length: 5 }, (_, i) => new Parse.Object(D, { i }));
    await Parse.Object.saveAll(objs);
    assert.ok(objs.every(o => o.id));
    assert.equal(await new Parse.Query(D).count(), 5);
    await Parse.Object.destroyAll(objs.slice(0, 3));
    assert.deepEqual((await new Parse.Query(D).ascending('i').find()).map(o => o.get('i')), [3, 4]);
  });
});

describe('batch size limit', () => {
  const limited = h.canSpawn() ? h.useServer({ batchRequestLimit: 5 }) : null;
  const skip = !limited && 'needs a spawned server (PARSE_SERVER_CLI)';

  function creates(D, n, srv) {
    return Array.from({ length: n }, (_, i) => ({ method: 'POST', path: `${mount(srv)}/classes/${D}`, body: { i } }));
  }

  test('a batch at the limit is accepted', { skip }, async () => {
    const D = h.uniqueClass('BatchAtLimit');
    const out = h.expectOk(await batch(creates(D, 5, limited.srv), { srv: limited.srv }));
    assert.equal(out.length, 5);
    assert.ok(out.every(item => item.success));
  });

  test('a batch over the limit is refused as a whole with a Parse error (107) and runs nothing', { skip }, async () => {
    const D = h.uniqueClass('BatchOverLimit');
    const res = await batch(creates(D, 6, limited.srv), { srv: limited.srv });
    h.expectError(res, 400, 107);
    assert.match(res.json.error, /6/);
    assert.deepEqual(h.expectOk(await h.find(limited.srv, D, {}, 'master')), { results: [] });
  });

  test('the master key is not limited', { skip }, async () => {
    const D = h.uniqueClass('BatchMasterLimit');
    const out = h.expectOk(await batch(creates(D, 8, limited.srv), { srv: limited.srv, auth: 'master' }));
    assert.equal(out.length, 8);
    assert.ok(out.every(item => item.success));
  });
});
