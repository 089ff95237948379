'use strict';
// Error answers: HTTP status and Parse code, per /work/shared/reference/ERRORS.md.
// Where ERRORS.md records that parsec deliberately differs from parse-server,
// the expectation branches on TARGET_KIND (expectDivergent).
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

function req(method, path, opts) {
  return h.request(server.srv, method, path, opts);
}

describe('schema errors', () => {
  test('changing the type of a field is 111 (PUT and POST)', async () => {
    const C = h.uniqueClass('ErrType');
    const o = await h.createObject(server.srv, C, { n: 1, s: 'str', d: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } });
    h.expectError(await req('PUT', `/classes/${C}/${o.objectId}`, { body: { n: 'one' } }), 400, 111);
    h.expectError(await req('POST', `/classes/${C}`, { body: { n: 'one' } }), 400, 111);
    h.expectError(await req('POST', `/classes/${C}`, { body: { s: 5 } }), 400, 111);
    h.expectError(await req('POST', `/classes/${C}`, { body: { s: { nested: 1 } } }), 400, 111);
    h.expectError(await req('POST', `/classes/${C}`, { body: { d: '2020-01-01T00:00:00.000Z' } }), 400, 111);
    h.expectError(await req('POST', `/classes/${C}`, { body: { n: [1] } }), 400, 111);
    // Nothing was changed by the refused update.
    assert.equal((await h.getObject(server.srv, C, o.objectId)).n, 1);
    // The original types are still accepted.
    await h.createObject(server.srv, C, { n: 2, s: 'x' });
  });

  test('a pointer field refuses a pointer to another class (111)', async () => {
    const C = h.uniqueClass('ErrPtrClass');
    await h.createObject(server.srv, C, { p: { __type: 'Pointer', className: 'Alpha', objectId: 'aaaaaaaaaa' } });
    h.expectError(await req('POST', `/classes/${C}`, { body: { p: { __type: 'Pointer', className: 'Beta', objectId: 'aaaaaaaaaa' } } }), 400, 111);
  });

  test('a create with one wrongly typed field stores nothing', async () => {
    const C = h.uniqueClass('ErrTypeMix');
    await h.createObject(server.srv, C, { n: 1 });
    h.expectError(await req('POST', `/classes/${C}`, { body: { m: 'fine', n: true } }), 400, 111);
    const list = h.expectOk(await h.find(server.srv, C, {}));
    assert.equal(list.results.length, 1, 'the refused object was not stored');
  });

  for (const name of ['1Leading', 'has-dash', 'has space', 'Dollar$', 'Dot.ted', 'X"; DROP TABLE x; --', 'Ünïcode']) {
    test(`invalid class name ${JSON.stringify(name)} is 103`, async () => {
      const path = `/classes/${encodeURIComponent(name)}`;
      const create = await req('POST', path, { body: { a: 1 } });
      h.expectDivergent(create, { parsec: { status: 400, code: 103 }, parseServer: { status: 400, code: 107 } });
      const query = await req('GET', path);
      h.expectDivergent(query, {
        parsec: { status: 400, code: 103 },
        parseServer: res => assert.deepEqual(h.expectOk(res), { results: [] }),
      });
      const get = await req('GET', `${path}/abcdefghij`);
      h.expectDivergent(get, { parsec: { status: 400, code: 103 }, parseServer: { status: 404, code: 101 } });
    });
  }

  for (const field of ['1abc', '_private', 'a$b', 'a-b', 'with space', '', 'a"; DROP TABLE x']) {
    test(`invalid field name ${JSON.stringify(field)} is 105`, async () => {
      const C = h.uniqueClass('ErrField');
      h.expectError(await req('POST', `/classes/${C}`, { body: { ok: 1, [field]: 1 } }), 400, 105);
    });
  }

  test('reserved field names objectId and className are 105', async () => {
    const C = h.uniqueClass('ErrReserved');
    await h.createObject(server.srv, C, { a: 1 });
    h.expectError(await req('POST', `/classes/${C}`, { body: { objectId: 'abcdefghij' } }), 400, 105);
    h.expectError(await req('POST', `/classes/${C}`, { body: { className: 'Other' } }), 400, 105);
  });

  test('invalid field names are refused on update too (105)', async () => {
    const C = h.uniqueClass('ErrFieldPut');
    const o = await h.createObject(server.srv, C, { a: 1 });
    h.expectError(await req('PUT', `/classes/${C}/${o.objectId}`, { body: { '9lives': 1 } }), 400, 105);
  });

  for (const [label, value] of [
    ['"$" in a nested key', { 'a$b': 1 }],
    ['"." in a nested key', { 'a.b': 1 }],
    ['a nested key starting with "$"', { $set: 1 }],
    ['"." deeper down', { x: { y: { 'p.q': 1 } } }],
  ]) {
    test(`${label} is 121`, async () => {
      const C = h.uniqueClass('ErrNested');
      h.expectError(await req('POST', `/classes/${C}`, { body: { obj: value } }), 400, 121);
    });
  }
});

describe('class creation by clients', () => {
  const strict = h.canSpawn() ? h.useServer({ allowClientClassCreation: false }) : null;

  test('a new class from a non-master key is 119 when allowClientClassCreation is false', { skip: !strict && 'needs a spawned server (PARSE_SERVER_CLI)' }, async () => {
    const C = h.uniqueClass('ErrNoCreate');
    h.expectError(await h.request(strict.srv, 'POST', `/classes/${C}`, { body: { a: 1 } }), 400, 119);
    h.expectError(await h.request(strict.srv, 'POST', `/classes/${C}`, { body: { a: 1 }, auth: 'js' }), 400, 119);
    // The master key may create it; afterwards clients may add objects to it.
    h.expectOk(await h.request(strict.srv, 'POST', `/classes/${C}`, { body: { a: 1 }, auth: 'master' }), 201);
    h.expectOk(await h.request(strict.srv, 'POST', `/classes/${C}`, { body: { a: 2 } }), 201);
  });
});

describe('object errors', () => {
  test('a pointer without className or objectId is 106', async () => {
    const C = h.uniqueClass('ErrPtr');
    const noClass = await req('POST', `/classes/${C}`, { body: { p: { __type: 'Pointer', objectId: 'abcdefghij' } } });
    h.expectDivergent(noClass, { parsec: { status: 400, code: 106 }, parseServer: { status: 400, code: 111 } });
    const noId = await req('POST', `/classes/${C}`, { body: { q: { __type: 'Pointer', className: 'Other' } } });
    h.expectDivergent(noId, { parsec: { status: 400, code: 106 }, parseServer: { status: 201 } });
    const numericId = await req('POST', `/classes/${C}`, { body: { r: { __type: 'Pointer', className: 'Other', objectId: 12345 } } });
    h.expectDivergent(numericId, { parsec: { status: 400, code: 106 }, parseServer: { status: 201 } });
  });

  test('an object over the size limit (128 KB by default) is 116; one under it is stored', async () => {
    const C = h.uniqueClass('ErrTooLarge');
    h.expectOk(await req('POST', `/classes/${C}`, { body: { blob: 'y'.repeat(100 * 1024) } }), 201);
    const big = await req('POST', `/classes/${C}`, { body: { blob: 'x'.repeat(200 * 1024) } });
    h.expectDivergent(big, { parsec: { status: 400, code: 116 }, parseServer: { status: 201 } });
    // Growing an object past the limit by update is refused too.
    const o = await h.createObject(server.srv, C, { blob: 'small' });
    const grow = await req('PUT', `/classes/${C}/${o.objectId}`, { body: { blob: 'z'.repeat(90 * 1024), more: 'w'.repeat(90 * 1024) } });
    h.expectDivergent(grow, { parsec: { status: 400, code: 116 }, parseServer: { status: 200 } });
  });

  test('GET, PUT and DELETE of a missing object are 404 with code 101', async () => {
    const C = h.uniqueClass('ErrMissing');
    await h.createObject(server.srv, C, { a: 1 });
    h.expectError(await req('GET', `/classes/${C}/zzzzzzzzzz`), 404, 101);
    h.expectError(await req('PUT', `/classes/${C}/zzzzzzzzzz`, { body: { a: 2 } }), 404, 101);
    h.expectError(await req('DELETE', `/classes/${C}/zzzzzzzzzz`), 404, 101);
  });

  test('GET of an object in a class that does not exist is 404 with code 101', async () => {
    h.expectError(await req('GET', `/classes/${h.uniqueClass('ErrNoClass')}/abcdefghij`), 404, 101);
  });

  test('PUT and DELETE without an objectId are 104', async () => {
    const C = h.uniqueClass('ErrNoId');
    await h.createObject(server.srv, C, { a: 1 });
    const putRes = await req('PUT', `/classes/${C}`, { body: { a: 2 } });
    h.expectDivergent(putRes, { parsec: { status: [400, 404], code: 104 }, parseServer: { status: 404 } });
    const delRes = await req('DELETE', `/classes/${C}`);
    h.expectDivergent(delRes, { parsec: { status: [400, 404], code: 104 }, parseServer: { status: 404 } });
    // Nothing was changed or deleted.
    const list = h.expectOk(await h.find(server.srv, C, {}));
    assert.equal(list.results.length, 1);
    assert.equal(list.results[0].a, 1);
  });

  test('changing the objectId of an existing object is 136', async () => {
    const C = h.uniqueClass('ErrChangeId');
    const o = await h.createObject(server.srv, C, { a: 1 });
    const res = await req('PUT', `/classes/${C}/${o.objectId}`, { body: { objectId: 'newIdXXXXX', a: 2 } });
    h.expectDivergent(res, { parsec: { status: 400, code: 136 }, parseServer: { status: 200 } });
    if (h.IS_PARSEC) {
      const got = await h.getObject(server.srv, C, o.objectId);
      assert.equal(got.a, 1, 'the refused update changed nothing');
    }
  });

  test('setting objectId to its own value is not a change', async () => {
    const C = h.uniqueClass('ErrSameId');
    const o = await h.createObject(server.srv, C, { a: 1 });
    h.expectOk(await req('PUT', `/classes/${C}/${o.objectId}`, { body: { objectId: o.objectId, a: 2 } }));
    assert.equal((await h.getObject(server.srv, C, o.objectId)).a, 2);
  });

  for (const [label, acl] of [
    ['a string', 'public'],
    ['an array', [{ read: true }]],
    ['a permission that is not a boolean', { '*': { read: 'yes' } }],
    ['an entry that is not an object', { '*': true }],
  ]) {
    test(`an ACL that is ${label} is 123`, async () => {
      const C = h.uniqueClass('ErrAcl');
      const res = await req('POST', `/classes/${C}`, { body: { a: 1, ACL: acl } });
      h.expectDivergent(res, { parsec: { status: 400, code: 123 }, parseServer: { status: 201 } });
    });
  }
});

describe('request errors', () => {
  test('a malformed JSON body is 107', async () => {
    const C = h.uniqueClass('ErrJson');
    for (const raw of ['{bad json', '{"a":1', '{"a":1}}', 'nul', '{"a":01}']) {
      const res = await req('POST', `/classes/${C}`, { raw });
      h.expectDivergent(res, {
        parsec: { status: 400, code: 107 },
        parseServer: { status: 400, code: null },
      });
    }
  });

  test('invalid UTF-8 in a JSON body is 107', async () => {
    const C = h.uniqueClass('ErrUtf8');
    const raw = Buffer.concat([Buffer.from('{"s":"ab'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const res = await req('POST', `/classes/${C}`, { raw });
    h.expectDivergent(res, { parsec: { status: 400, code: 107 }, parseServer: { status: 201 } });
    const overlong = Buffer.concat([Buffer.from('{"s":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    h.expectDivergent(await req('POST', `/classes/${C}`, { raw: overlong }), { parsec: { status: 400, code: 107 }, parseServer: { status: 201 } });
  });

  test('a body over maxUploadSize (1mb) is ObjectTooLarge (116, HTTP 413 or 400)', async () => {
    const C = h.uniqueClass('ErrUpload');
    const res = await req('POST', `/classes/${C}`, { body: { blob: 'x'.repeat(1536 * 1024) } });
    h.expectDivergent(res, { parsec: { status: [413, 400], code: 116 }, parseServer: { status: 413, code: null } });
    await h.expectAlive(server.srv);
  });

  test('limit that is not a number or negative is 117; skip likewise is 118', async () => {
    const C = h.uniqueClass('ErrLimit');
    await h.createObject(server.srv, C, { a: 1 });
    for (const limit of ['abc', '-1', '1x']) {
      h.expectDivergent(await h.find(server.srv, C, { limit }), { parsec: { status: 400, code: 117 }, parseServer: { status: 500, code: 1 } });
    }
    for (const skip of ['abc', '-5']) {
      h.expectDivergent(await h.find(server.srv, C, { skip }), { parsec: { status: 400, code: 118 }, parseServer: { status: 500, code: 1 } });
    }
    // Valid values still work.
    assert.equal(h.expectOk(await h.find(server.srv, C, { limit: '0' })).results.length, 0);
    assert.equal(h.expectOk(await h.find(server.srv, C, { skip: '0' })).results.length, 1);
  });

  test('where that is not JSON is 107', async () => {
    const C = h.uniqueClass('ErrWhere');
    await h.createObject(server.srv, C, { a: 1 });
    for (const where of ['{bad', '{"a":1', 'not json at all']) {
      h.expectError(await h.find(server.srv, C, { where }), 400, 107);
    }
  });

  test('an unknown route under the mount is a 404', async () => {
    const res = await req('GET', '/definitelyNotARoute');
    assert.equal(res.status, 404, h.describeRes(res));
  });

  test('error bodies are JSON objects with a numeric code and a message', async () => {
    const C = h.uniqueClass('ErrShape');
    const res = await req('GET', `/classes/${C}/abcdefghij`);
    assert.match(res.headers.get('content-type') || '', /application\/json/);
    assert.deepEqual(Object.keys(res.json).sort(), ['code', 'error']);
  });
});
