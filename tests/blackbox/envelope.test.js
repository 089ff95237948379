'use strict';
// The JS SDK envelope: a POST with a text/plain JSON body whose _method,
// _ApplicationId, _JavaScriptKey, _ClientKey, _MasterKey, _InstallationId,
// _ClientVersion and _ContentType fields stand for the method and headers.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

// POST <path> with a text/plain body and no Parse headers at all.
function envelope(path, body, { contentType = 'text/plain' } = {}) {
  return h.request(server.srv, 'POST', path, { auth: 'none', raw: JSON.stringify(body), contentType });
}

const JS = { _ApplicationId: h.APP_ID, _JavaScriptKey: h.JS_KEY };

describe('envelope requests', () => {
  let C;
  let id;
  before(async () => {
    C = h.uniqueClass('Env');
    id = (await h.createObject(server.srv, C, { v: 1, name: 'first' })).objectId;
    await h.createObject(server.srv, C, { v: 2, name: 'second' });
    await h.createObject(server.srv, C, { v: 3, name: 'third' });
  });

  test('create: a plain POST with the envelope fields, which are not stored', async () => {
    const D = h.uniqueClass('EnvCreate');
    const res = await envelope(`/classes/${D}`, {
      ...JS,
      _ClientVersion: 'js8.6.0',
      _InstallationId: '7d6f1d0e-7b0a-4c4e-9d0c-1a2b3c4d5e6f',
      title: 'hello',
      n: 5,
    });
    const body = h.expectOk(res, 201);
    assert.match(body.objectId, h.OBJECT_ID);
    const got = await h.getObject(server.srv, D, body.objectId);
    assert.equal(got.title, 'hello');
    assert.equal(got.n, 5);
    for (const k of Object.keys(got)) assert.ok(!k.startsWith('_'), `envelope field ${k} was stored`);
  });

  test('GET of an object by POST with _method GET', async () => {
    const got = h.expectOk(await envelope(`/classes/${C}/${id}`, { _method: 'GET', ...JS }));
    assert.equal(got.objectId, id);
    assert.equal(got.name, 'first');
  });

  test('a query by POST with _method GET: where (object or string), order, limit, count, keys', async () => {
    const asObject = h.expectOk(await envelope(`/classes/${C}`, { _method: 'GET', ...JS, where: { v: { $gte: 2 } }, order: '-v' }));
    assert.deepEqual(asObject.results.map(o => o.name), ['third', 'second']);
    const asString = h.expectOk(await envelope(`/classes/${C}`, { _method: 'GET', ...JS, where: JSON.stringify({ v: { $gte: 2 } }), order: 'v' }));
    assert.deepEqual(asString.results.map(o => o.name), ['second', 'third']);
    const counted = h.expectOk(await envelope(`/classes/${C}`, { _method: 'GET', ...JS, count: 1, limit: 1, order: 'v' }));
    assert.equal(counted.count, 3);
    assert.equal(counted.results.length, 1);
    assert.equal(counted.results[0].name, 'first');
    const keyed = h.expectOk(await envelope(`/classes/${C}`, { _method: 'GET', ...JS, keys: 'v', where: { v: 1 } }));
    assert.equal(keyed.results.length, 1);
    assert.equal(keyed.results[0].v, 1);
    assert.equal(keyed.results[0].name, undefined);
  });

  test('PUT and DELETE through _method', async () => {
    const D = h.uniqueClass('EnvPutDel');
    const o = await h.createObject(server.srv, D, { n: 1 });
    const put = h.expectOk(await envelope(`/classes/${D}/${o.objectId}`, { _method: 'PUT', ...JS, n: { __op: 'Increment', amount: 4 }, s: 'x' }));
    assert.equal(put.n, 5);
    assert.match(put.updatedAt, h.ISO_MS);
    const got = await h.getObject(server.srv, D, o.objectId);
    assert.equal(got.n, 5);
    assert.equal(got.s, 'x');
    assert.equal(got._method, undefined);
    assert.deepEqual(h.expectOk(await envelope(`/classes/${D}/${o.objectId}`, { _method: 'DELETE', ...JS })), {});
    h.expectError(await h.request(server.srv, 'GET', `/classes/${D}/${o.objectId}`), 404, 101);
  });

  test('_MasterKey alone is accepted', async () => {
    const list = h.expectOk(await envelope(`/classes/${C}`, { _method: 'GET', _ApplicationId: h.APP_ID, _MasterKey: h.MASTER_KEY }));
    assert.equal(list.results.length, 3);
  });

  test('_ContentType is accepted and not stored', async () => {
    const D = h.uniqueClass('EnvCt');
    const body = h.expectOk(await envelope(`/classes/${D}`, { ...JS, _ContentType: 'application/json', k: 'v' }), 201);
    const got = await h.getObject(server.srv, D, body.objectId);
    assert.equal(got.k, 'v');
    assert.equal(got._ContentType, undefined);
  });

  test('_ClientKey stands for X-Parse-Client-Key (parse-server ignores it)', async () => {
    const res = await envelope(`/classes/${C}`, { _method: 'GET', _ApplicationId: h.APP_ID, _ClientKey: h.CLIENT_KEY });
    if (h.IS_PARSEC) {
      assert.equal(h.expectOk(res).results.length, 3);
    } else {
      // parse-server reads only _JavaScriptKey and _MasterKey from the body.
      assert.equal(res.status, 403, h.describeRes(res));
    }
  });

  test('the envelope also works with Content-Type application/json', async () => {
    const got = h.expectOk(await envelope(`/classes/${C}/${id}`, { _method: 'GET', ...JS }, { contentType: 'application/json' }));
    assert.equal(got.name, 'first');
  });

  test('wrong _JavaScriptKey is 403', async () => {
    const res = await envelope(`/classes/${C}`, { _method: 'GET', _ApplicationId: h.APP_ID, _JavaScriptKey: 'wrong' });
    assert.equal(res.status, 403, h.describeRes(res));
    assert.equal(res.json.error, 'unauthorized');
    if (h.IS_PARSEC) assert.equal(res.json.code, 903);
  });

  test('no key at all in the envelope is 403 (parsec: 902)', async () => {
    const res = await envelope(`/classes/${C}`, { _method: 'GET', _ApplicationId: h.APP_ID });
    assert.equal(res.status, 403, h.describeRes(res));
    assert.equal(res.json.error, 'unauthorized');
    if (h.IS_PARSEC) assert.equal(res.json.code, 902);
  });

  test('wrong _ApplicationId or wrong _MasterKey is 403', async () => {
    for (const body of [
      { _method: 'GET', _ApplicationId: 'wrong', _JavaScriptKey: h.JS_KEY },
      { _method: 'GET', _ApplicationId: h.APP_ID, _MasterKey: 'wrong' },
    ]) {
      const res = await envelope(`/classes/${C}`, body);
      assert.equal(res.status, 403, h.describeRes(res));
      assert.equal(res.json.error, 'unauthorized');
      if (h.IS_PARSEC) assert.equal(res.json.code, 903);
    }
  });

  test('a refused envelope PUT or DELETE changes nothing', async () => {
    await envelope(`/classes/${C}/${id}`, { _method: 'PUT', _ApplicationId: h.APP_ID, _JavaScriptKey: 'wrong', name: 'hacked' });
    await envelope(`/classes/${C}/${id}`, { _method: 'DELETE', _ApplicationId: h.APP_ID, _JavaScriptKey: 'wrong' });
    assert.equal((await h.getObject(server.srv, C, id)).name, 'first');
  });

  test('an envelope without _method on an object URL is not a create', async () => {
    // POST /classes/X/<id> is not a route of its own; it must not create or change anything.
    const res = await envelope(`/classes/${C}/${id}`, { ...JS, name: 'changed?' });
    assert.ok(res.status >= 400 && res.status < 500, h.describeRes(res));
    assert.equal((await h.getObject(server.srv, C, id)).name, 'first');
  });
});
