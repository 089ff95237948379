'use strict';
// CORS.  parse-server 9.x (allowCrossDomain middleware) sends on every response
// under the mount, including errors and OPTIONS preflights:
//   Access-Control-Allow-Origin: *
//   Access-Control-Allow-Methods: GET,PUT,POST,DELETE,OPTIONS
//   Access-Control-Allow-Headers: X-Parse-Master-Key, X-Parse-REST-API-Key,
//     X-Parse-Javascript-Key, X-Parse-Application-Id, X-Parse-Client-Version,
//     X-Parse-Session-Token, X-Requested-With, X-Parse-Revocable-Session,
//     X-Parse-Request-Id, Content-Type, Pragma, Cache-Control
//   Access-Control-Expose-Headers: X-Parse-Job-Status-Id, X-Parse-Push-Status-Id
// and answers OPTIONS with 200 (body "OK") without checking any key.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

const ALLOWED_HEADERS = [
  'X-Parse-Master-Key',
  'X-Parse-REST-API-Key',
  'X-Parse-Javascript-Key',
  'X-Parse-Application-Id',
  'X-Parse-Client-Version',
  'X-Parse-Session-Token',
  'X-Requested-With',
  'X-Parse-Revocable-Session',
  'X-Parse-Request-Id',
  'Content-Type',
  'Pragma',
  'Cache-Control',
];
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS'];

function list(value) {
  return (value || '')
    .split(',')
    .map(s => s.trim().toLowerCase())
    .filter(Boolean);
}

function expectCorsHeaders(res, where) {
  assert.equal(res.headers.get('access-control-allow-origin'), '*', `${where}: Access-Control-Allow-Origin`);
}

function expectPreflightHeaders(res, where) {
  expectCorsHeaders(res, where);
  const methods = list(res.headers.get('access-control-allow-methods'));
  for (const m of METHODS) assert.ok(methods.includes(m.toLowerCase()), `${where}: Allow-Methods ${res.headers.get('access-control-allow-methods')} lacks ${m}`);
  const headers = list(res.headers.get('access-control-allow-headers'));
  for (const hd of ALLOWED_HEADERS) assert.ok(headers.includes(hd.toLowerCase()), `${where}: Allow-Headers ${res.headers.get('access-control-allow-headers')} lacks ${hd}`);
  const exposed = list(res.headers.get('access-control-expose-headers'));
  for (const hd of ['X-Parse-Job-Status-Id', 'X-Parse-Push-Status-Id']) assert.ok(exposed.includes(hd.toLowerCase()), `${where}: Expose-Headers lacks ${hd}`);
}

async function preflight(path, headers = {}) {
  const res = await fetch(`${server.srv.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://example.test',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'x-parse-application-id, x-parse-javascript-key, content-type',
      ...headers,
    },
    signal: AbortSignal.timeout(10000),
  });
  await res.arrayBuffer();
  return res;
}

describe('preflight', () => {
  for (const path of ['/classes/Anything', '/classes/Anything/abcdefghij', '/batch', '/health', '/users', '/functions/hello']) {
    test(`OPTIONS ${path} answers 200 with the CORS headers and needs no key`, async () => {
      const res = await preflight(path);
      assert.equal(res.status, 200);
      expectPreflightHeaders(res, `OPTIONS ${path}`);
    });
  }

  test('OPTIONS without an Origin header is still 200 with the headers', async () => {
    const res = await fetch(`${server.srv.url}/classes/X`, { method: 'OPTIONS', signal: AbortSignal.timeout(10000) });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    expectPreflightHeaders(res, 'bare OPTIONS');
  });

  test('Allow-Methods and Allow-Headers match parse-server exactly (up to spacing)', async () => {
    const res = await preflight('/classes/Exact');
    assert.deepEqual(list(res.headers.get('access-control-allow-methods')), METHODS.map(m => m.toLowerCase()));
    assert.deepEqual(list(res.headers.get('access-control-allow-headers')), ALLOWED_HEADERS.map(x => x.toLowerCase()));
  });
});

describe('normal responses', () => {
  test('successes carry Access-Control-Allow-Origin', async () => {
    const C = h.uniqueClass('Cors');
    const created = await h.request(server.srv, 'POST', `/classes/${C}`, { body: { a: 1 }, headers: { Origin: 'http://example.test' } });
    assert.equal(created.status, 201);
    expectPreflightHeaders(created, 'POST 201');
    const id = created.json.objectId;
    for (const [method, path, body] of [
      ['GET', `/classes/${C}/${id}`],
      ['GET', `/classes/${C}`],
      ['PUT', `/classes/${C}/${id}`, { a: 2 }],
      ['DELETE', `/classes/${C}/${id}`],
    ]) {
      const res = await h.request(server.srv, method, path, { body, headers: { Origin: 'http://example.test' } });
      assert.equal(res.status, 200, h.describeRes(res));
      expectCorsHeaders(res, `${method} ${path}`);
    }
  });

  test('errors carry Access-Control-Allow-Origin too (403, 404, 400)', async () => {
    const C = h.uniqueClass('CorsErr');
    await h.createObject(server.srv, C, { n: 1 });
    const forbidden = await h.request(server.srv, 'GET', `/classes/${C}`, { auth: 'none', headers: { Origin: 'http://example.test' } });
    assert.equal(forbidden.status, 403);
    expectCorsHeaders(forbidden, '403');
    const missing = await h.request(server.srv, 'GET', `/classes/${C}/zzzzzzzzzz`);
    assert.equal(missing.status, 404);
    expectCorsHeaders(missing, '404');
    const bad = await h.request(server.srv, 'POST', `/classes/${C}`, { body: { n: 'string' } });
    assert.equal(bad.status, 400);
    expectCorsHeaders(bad, '400');
  });

  test('health carries Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${server.srv.url}/health`, { signal: AbortSignal.timeout(10000) });
    await res.arrayBuffer();
    expectCorsHeaders(res, 'health');
  });
});
