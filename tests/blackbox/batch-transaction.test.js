'use strict';
// POST /batch with "transaction": true runs every sub-request in one
// database transaction: all of them take effect, or, when one fails, none
// does and that failure is the answer (parse-server on PostgreSQL behaves
// so).  Sub-requests run in order, so a later one sees an earlier write.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

function batch(requests, extra = {}) {
  return h.request(server.srv, 'POST', '/batch', { auth: 'master', body: { requests, transaction: true, ...extra } });
}

describe('batch transactions', () => {
  let C, path;
  before(async () => {
    C = h.uniqueClass('BatchTx');
    path = `${new URL(server.srv.url).pathname}/classes/${C}`;
    // The class and its fields exist before the batches run.
    await h.createObject(server.srv, C, { name: 'seed', n: 0 }, 'master');
  });

  async function names() {
    const res = h.expectOk(await h.find(server.srv, C, { order: 'name' }, 'master'));
    return res.results.map(o => o.name);
  }

  test('every sub-request succeeds: all are stored, answers in order', async () => {
    const res = h.expectOk(await batch([
      { method: 'POST', path, body: { name: 'a1', n: 1 } },
      { method: 'POST', path, body: { name: 'a2', n: 2 } },
    ]));
    assert.equal(res.length, 2);
    for (const entry of res) assert.match(entry.success.objectId, h.OBJECT_ID);
    assert.deepEqual(await names(), ['a1', 'a2', 'seed']);
  });

  test('one sub-request fails: nothing is stored and its error is the answer', async () => {
    const before = await names();
    const res = await batch([
      { method: 'POST', path, body: { name: 'b1', n: 1 } },
      { method: 'POST', path, body: { name: 'b2', n: 'not a number' } },
      { method: 'POST', path, body: { name: 'b3', n: 3 } },
    ]);
    h.expectError(res, 400, 111);
    assert.deepEqual(await names(), before);
  });

  test('updates and deletes are undone with the rest', async () => {
    const seed = h.expectOk(await h.find(server.srv, C, { where: { name: 'a1' } }, 'master')).results[0];
    const res = await batch([
      { method: 'PUT', path: `${path}/${seed.objectId}`, body: { n: { __op: 'Increment', amount: 10 } } },
      { method: 'DELETE', path: `${path}/${seed.objectId}` },
      { method: 'PUT', path: `${path}/nosuchobject`, body: { n: 1 } },
    ]);
    h.expectError(res, 404, 101);
    const after = await h.getObject(server.srv, C, seed.objectId, 'master');
    assert.equal(after.n, 1);
  });

  test('a later sub-request sees an earlier one', async () => {
    const created = h.expectOk(await batch([
      { method: 'POST', path, body: { name: 'c1', n: 5 } },
    ]))[0].success;
    const res = h.expectOk(await batch([
      { method: 'PUT', path: `${path}/${created.objectId}`, body: { n: { __op: 'Increment', amount: 1 } } },
      { method: 'PUT', path: `${path}/${created.objectId}`, body: { n: { __op: 'Increment', amount: 1 } } },
    ]));
    assert.equal(res[1].success.n, 7);
    assert.equal((await h.getObject(server.srv, C, created.objectId, 'master')).n, 7);
  });

  test('fields and classes a failed transaction added are gone afterwards', async () => {
    const other = h.uniqueClass('BatchTxNew');
    const otherPath = `${new URL(server.srv.url).pathname}/classes/${other}`;
    h.expectError(await batch([
      { method: 'POST', path, body: { name: 'e1', added: 'text' } },
      { method: 'POST', path: otherPath, body: { x: 1 } },
      { method: 'POST', path, body: { name: 'e2', n: 'not a number' } },
    ]), 400, 111);
    // The class serves reads, and the field may now take another type.
    h.expectOk(await h.find(server.srv, C, { where: { name: 'seed' } }, 'master'));
    const schema = h.expectOk(await h.request(server.srv, 'GET', `/schemas/${C}`, { auth: 'master' }));
    assert.equal(schema.fields.added, undefined);
    await h.createObject(server.srv, C, { name: 'e3', added: 5 }, 'master');
    h.expectError(await h.request(server.srv, 'GET', `/schemas/${other}`, { auth: 'master' }), 400, 103);
    await h.createObject(server.srv, other, { x: 'now a string' }, 'master');
  });

  test('a server that answered a failed transaction still serves writes', async () => {
    h.expectError(await batch([{ method: 'POST', path, body: { n: [] } }]), 400, 111);
    await h.createObject(server.srv, C, { name: 'd1', n: 1 }, 'master');
    await h.expectAlive(server.srv);
  });
});
