'use strict';
// Requests that reach the limits of the database underneath: very long
// $in lists and $or queries, dates SQL cannot hold, passwords longer than
// bcrypt reads, $nin with null. Each is answered, or refused with a Parse
// error, never with a 500.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

function query(C, where) {
  return h.request(server.srv, 'POST', `/classes/${C}`, { auth: 'master', body: { _method: 'GET', where } });
}

describe('limits', () => {
  let C;
  before(async () => {
    C = h.uniqueClass('Limits');
    await h.createObject(server.srv, C, { n: 1, s: 'one' }, 'master');
    await h.createObject(server.srv, C, { n: 2, s: 'two' }, 'master');
    await h.createObject(server.srv, C, { other: true }, 'master');
  });

  test('$in and $nin with 100,000 values', async () => {
    const many = Array.from({ length: 100000 }, (_, i) => i + 2);
    let res = h.expectOk(await query(C, { n: { $in: many } }));
    assert.deepEqual(res.results.map(o => o.n), [2]);
    res = h.expectOk(await query(C, { n: { $nin: many } }));
    assert.deepEqual(res.results.map(o => o.n).sort(), [1, undefined]);
  });

  test('$nin with null leaves out objects without the field', async () => {
    const res = h.expectOk(await query(C, { n: { $nin: [2, null] } }));
    assert.deepEqual(res.results.map(o => o.n), [1]);
  });

  test('$or with 10,000 branches is answered or refused with 102', async () => {
    const res = await query(C, { $or: Array.from({ length: 10000 }, (_, i) => ({ n: i })) });
    if (res.status === 200) assert.deepEqual(res.json.results.map(o => o.n).sort(), [1, 2]);
    else h.expectError(res, 400, 102);
    await h.expectAlive(server.srv);
  });

  test('year 0 is not a date', async () => {
    const bad = { __type: 'Date', iso: '0000-01-01T00:00:00.000Z' };
    h.expectError(await h.request(server.srv, 'POST', `/classes/${C}`, { body: { d: bad } }), 400, 107);
    h.expectError(await query(C, { createdAt: { $lt: bad } }), 400, 102);
    const first = await h.createObject(server.srv, C, { d: { __type: 'Date', iso: '0001-01-01T00:00:00.000Z' } });
    assert.equal((await h.getObject(server.srv, C, first.objectId)).d.iso, '0001-01-01T00:00:00.000Z');
  });

  test('a password longer than bcrypt reads signs up and logs in', async () => {
    const username = `long${h.randomId(8)}`;
    const password = 'p'.repeat(600);
    h.expectOk(await h.request(server.srv, 'POST', '/users', { body: { username, password } }), 201);
    const qs = new URLSearchParams({ username, password });
    h.expectOk(await h.request(server.srv, 'GET', `/login?${qs}`));
    const wrong = new URLSearchParams({ username, password: 'p'.repeat(71) });
    h.expectError(await h.request(server.srv, 'GET', `/login?${wrong}`), 404, 101);
  });
});
