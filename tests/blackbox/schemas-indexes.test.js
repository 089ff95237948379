'use strict';
// Indexes through the schemas API, as parse-server takes them:
// {"indexes": {"name": {"field": 1}}} adds one (the objectId index "_id_"
// is listed first once any is set), {"name": {"__op": "Delete"}} drops one,
// and GET /schemas lists them.  Adding an existing name, dropping a missing
// one or naming a field the class lacks is 102.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

function schemas(method, C, body) {
  return h.request(server.srv, method, `/schemas/${C}`, { auth: 'master', body });
}

describe('schema indexes', () => {
  let C;
  before(async () => {
    C = h.uniqueClass('Idx');
    h.expectOk(await schemas('POST', C, {
      fields: { title: { type: 'String' }, n: { type: 'Number' } },
      indexes: { title_idx: { title: 1 } },
    }));
  });

  test('an index given at creation is listed with the objectId index', async () => {
    const got = h.expectOk(await schemas('GET', C));
    assert.deepEqual(got.indexes, { _id_: { _id: 1 }, title_idx: { title: 1 } });
  });

  test('indexes are added and dropped by name, and the class still serves queries', async () => {
    h.expectOk(await schemas('PUT', C, { indexes: { both: { title: 1, n: -1 } } }));
    let got = h.expectOk(await schemas('GET', C));
    assert.deepEqual(Object.keys(got.indexes).sort(), ['_id_', 'both', 'title_idx']);
    await h.createObject(server.srv, C, { title: 'x', n: 2 });
    const found = h.expectOk(await h.find(server.srv, C, { where: { title: 'x' }, order: '-n' }));
    assert.equal(found.results.length, 1);
    h.expectOk(await schemas('PUT', C, { indexes: { both: { __op: 'Delete' } } }));
    got = h.expectOk(await schemas('GET', C));
    assert.deepEqual(Object.keys(got.indexes).sort(), ['_id_', 'title_idx']);
  });

  test('an existing name, a missing one and an unknown field are refused with 102', async () => {
    h.expectError(await schemas('PUT', C, { indexes: { title_idx: { n: 1 } } }), 400, 102);
    h.expectError(await schemas('PUT', C, { indexes: { nothere: { __op: 'Delete' } } }), 400, 102);
    h.expectError(await schemas('PUT', C, { indexes: { bad: { missing: 1 } } }), 400, 102);
    const got = h.expectOk(await schemas('GET', C));
    assert.deepEqual(Object.keys(got.indexes).sort(), ['_id_', 'title_idx']);
  });

  test('deleting an indexed field drops its indexes', async () => {
    h.expectOk(await schemas('PUT', C, { fields: { title: { __op: 'Delete' } } }));
    const got = h.expectOk(await schemas('GET', C));
    assert.deepEqual(got.indexes, { _id_: { _id: 1 } });
    assert.equal(got.fields.title, undefined);
  });
});

// A field deleted and added again with another type takes the new type at
// once, on a server that has already written and read the old one.
describe('a field retyped through the schemas API', () => {
  test('writes and queries use the new type', async () => {
    const C = h.uniqueClass('Retype');
    for (let i = 0; i < 5; i++) await h.createObject(server.srv, C, { a: `text${i}` });
    h.expectOk(await h.find(server.srv, C, { where: { a: 'text1' } }));
    h.expectOk(await schemas('PUT', C, { fields: { a: { __op: 'Delete' } } }));
    h.expectOk(await schemas('PUT', C, { fields: { a: { type: 'Number' } } }));
    for (let i = 0; i < 5; i++) await h.createObject(server.srv, C, { a: i });
    const found = h.expectOk(await h.find(server.srv, C, { where: { a: { $gte: 3 } }, order: 'a' }));
    assert.deepEqual(found.results.map(o => o.a), [3, 4]);
  });
});
