'use strict';
// Query language, part 11: malformed queries over plain HTTP (status and
// code), per /work/shared/reference/ERRORS.md where parsec deliberately
// differs from parse-server (unknown operator, $in with a non-array, $lt with
// an object: 102; bad limit / skip: 117 / 118; never a 500 for bad input);
// a catastrophic-backtracking regex answers quickly; hint, explain and the
// read preferences are accepted.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let C;

function where(w, extra = {}, auth = 'rest') {
  return h.find(server.srv, C, { where: w, ...extra }, auth);
}

function raw(qs, auth = 'rest', timeoutMs = 60000) {
  return h.request(server.srv, 'GET', `/classes/${C}?${qs}`, { auth, timeoutMs });
}

const G = (latitude, longitude) => ({ __type: 'GeoPoint', latitude, longitude });

describe('query errors', () => {
  before(async () => {
    C = h.uniqueClass('QeErr');
    await h.createObject(server.srv, C, {
      a: 1, s: 'aaaa', arr: [1, 2], loc: G(1, 1),
      p: { __type: 'Pointer', className: 'QeOther', objectId: 'abcdefghij' },
    });
    await h.createObject(server.srv, C, { a: 2, s: `${'a'.repeat(5000)}b` });
    await h.createObject(server.srv, C, { a: 3, s: `${'a'.repeat(40)}b` });
  });

  describe('where ERRORS.md has parsec answer 102', () => {
    test('an unknown operator is 102 (parse-server: 119)', async () => {
      h.expectDivergent(await where({ a: { $foo: 1 } }), { parsec: { status: 400, code: 102 }, parseServer: { status: 400, code: 119 } });
      // Next to a known operator, parse-server on PostgreSQL ignores it.
      h.expectDivergent(await where({ a: { $gt: 0, $bogus: 1 } }), { parsec: { status: 400, code: 102 }, parseServer: res => h.expectOk(res) });
    });

    test('$in / $nin with a non-array is 102 (parse-server: 107)', async () => {
      for (const w of [{ a: { $in: 5 } }, { a: { $in: 'x' } }, { a: { $nin: { x: 1 } } }]) {
        h.expectDivergent(await where(w), { parsec: { status: 400, code: 102 }, parseServer: { status: 400, code: 107 } });
      }
    });

    test('$lt / $gte with an object or an array is 102 (parse-server: 500)', async () => {
      for (const w of [{ a: { $lt: { x: 1 } } }, { a: { $gte: [1] } }]) {
        h.expectDivergent(await where(w), { parsec: { status: 400, code: 102 }, parseServer: { status: 500, code: 1 } });
      }
    });

    test('$all / $containedBy with a non-array is 102', async () => {
      h.expectDivergent(await where({ arr: { $all: 1 } }), { parsec: { status: 400, code: 102 }, parseServer: { status: 400, code: 119 } });
      h.expectDivergent(await where({ arr: { $containedBy: 1 } }), { parsec: { status: 400, code: 102 }, parseServer: { status: 400, code: 107 } });
    });
  });

  describe('malformed constraints', () => {
    test('malformed $inQuery / $notInQuery / $select / $dontSelect are 102', async () => {
      h.expectError(await where({ p: { $inQuery: { where: {} } } }), 400, 102);
      h.expectError(await where({ p: { $inQuery: 5 } }), 400, 102);
      h.expectError(await where({ p: { $notInQuery: 'x' } }), 400, 102);
      h.expectError(await where({ s: { $select: { query: { className: C, where: {} } } } }), 400, 102);
      h.expectError(await where({ s: { $dontSelect: { query: 5, key: 's' } } }), 400, 102);
    });

    test('an invalid regular expression is a 4xx (102), never a 500', async () => {
      for (const re of ['(', 'a[', '*a', 'a{2,1}']) {
        const res = await where({ s: { $regex: re } });
        h.expectClientError(res, { codes: [102], psStatus: [400, 500] });
      }
      h.expectError(await where({ s: { $regex: 5 } }), 400, 102);
    });

    test('an unsupported $options letter is 102', async () => {
      h.expectError(await where({ s: { $regex: 'a', $options: 'q' } }), 400, 102);
      h.expectError(await where({ s: { $regex: 'a', $options: 'ig' } }), 400, 102);
    });

    test('$or / $and / $nor that are not arrays, or are empty, are 102', async () => {
      h.expectError(await where({ $or: { a: 1 } }), 400, 102);
      h.expectError(await where({ $and: 5 }), 400, 102);
      h.expectError(await where({ $nor: [] }), 400, 102);
      h.expectClientError(await where({ $or: [] }), { codes: [102] });
    });

    test('a malformed $relatedTo is a 4xx (102), never a 500', async () => {
      h.expectClientError(await where({ $relatedTo: { key: 'x' } }), { codes: [102] });
    });

    test('an invalid key or order field is 105', async () => {
      h.expectError(await where({ $bad: 1 }), 400, 105);
      h.expectError(await raw(`order=${encodeURIComponent('$bad')}`), 400, 105);
    });

    test('malformed geo constraints are 4xx, never 500', async () => {
      h.expectError(await where({ loc: { $geoWithin: { $polygon: [G(0, 0), G(1, 1)] } } }), 400, 107);
      h.expectClientError(await where({ loc: { $within: { $box: [G(0, 0)] } } }), { codes: [107] });
      h.expectDivergent(await where({ loc: { $geoIntersects: {} } }), { parsec: { status: 400, code: 107 }, parseServer: { status: 400, code: 119 } });
      // The guide: a latitude outside [-90, 90] is an error (parse-server on
      // PostgreSQL answers results).
      const outside = await where({ loc: { $nearSphere: G(100, 0) } });
      if (h.IS_PARSEC) h.expectError(outside, 400, 107);
    });

    test('$text errors are 107', async () => {
      h.expectError(await where({ s: { $text: { $search: { $term: 'x', $caseSensitive: true } } } }), 400, 107);
    });
  });

  describe('parameters', () => {
    test('where that is not valid JSON is 107', async () => {
      h.expectError(await raw(`where=${encodeURIComponent('{bad')}`), 400, 107);
      h.expectError(await raw(`where=${encodeURIComponent('{"a":')}`), 400, 107);
    });

    test('negative or non-numeric limit / skip are 117 / 118 (parse-server: 500)', async () => {
      const ps = { status: 500, code: 1 };
      h.expectDivergent(await raw('limit=-1'), { parsec: { status: 400, code: 117 }, parseServer: ps });
      h.expectDivergent(await raw('limit=abc'), { parsec: { status: 400, code: 117 }, parseServer: ps });
      h.expectDivergent(await raw('skip=-1'), { parsec: { status: 400, code: 118 }, parseServer: ps });
      h.expectDivergent(await raw('skip=abc'), { parsec: { status: 400, code: 118 }, parseServer: ps });
    });

    test('hint and the read preferences are accepted and change nothing', async () => {
      const base = h.expectOk(await raw('order=a&keys=a')).results.map(o => o.a);
      assert.deepEqual(base, [1, 2, 3]);
      for (const qs of ['hint=_id_', 'readPreference=SECONDARY', 'readPreference=PRIMARY&includeReadPreference=NEAREST&subqueryReadPreference=SECONDARY_PREFERRED']) {
        const res = h.expectOk(await raw(`${qs}&order=a&keys=a`));
        assert.deepEqual(res.results.map(o => o.a), [1, 2, 3], qs);
      }
      const body = h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, {
        body: { _method: 'GET', where: { a: { $gt: 1 } }, hint: '_id_', readPreference: 'NEAREST', order: 'a', keys: 'a' },
      }));
      assert.deepEqual(body.results.map(o => o.a), [2, 3]);
    });

    test('explain with the master key answers 200 with results', async () => {
      const res = h.expectOk(await raw(`explain=true&where=${encodeURIComponent(JSON.stringify({ a: 1 }))}`, 'master'));
      assert.ok(Array.isArray(res.results), `results: ${JSON.stringify(res)}`);
      assert.ok(res.results.length >= 1);
    });

    test('explain without the master key is refused (102), as parse-server does', async () => {
      h.expectError(await raw('explain=true'), 400, 102);
    });
  });

  describe('a catastrophic-backtracking regex', () => {
    test('^(a+)+$ against long "aaa...ab" strings answers quickly: the right result or a 4xx', async () => {
      for (const re of ['^(a+)+$', '^(a|a)*$', '^(a|aa)+$']) {
        const started = Date.now();
        const res = await raw(`where=${encodeURIComponent(JSON.stringify({ s: { $regex: re } }))}&keys=a`, 'rest', 20000);
        const ms = Date.now() - started;
        assert.ok(ms < 5000, `${re} took ${ms} ms`);
        if (res.status === 200) {
          assert.deepEqual(res.json.results.map(o => o.a), [1], `${re}: only "aaaa" matches`);
        } else {
          h.expectClientError(res, {});
          if (h.IS_PARSEC) h.expectError(res, 400, 154);
        }
      }
      await h.expectAlive(server.srv);
      // The server still answers ordinary regex queries.
      const ok = h.expectOk(await where({ s: { $regex: '^a{4}$' } }, { keys: 'a' }));
      assert.deepEqual(ok.results.map(o => o.a), [1]);
    });
  });

  describe('aggregate', () => {
    test('aggregate without the master key is 403', async () => {
      const pipeline = encodeURIComponent(JSON.stringify([{ $match: { a: 1 } }]));
      const res = await h.request(server.srv, 'GET', `/aggregate/${C}?pipeline=${pipeline}`, { auth: 'rest' });
      assert.equal(res.status, 403, h.describeRes(res));
      assert.equal(typeof (res.json && res.json.error), 'string');
      const post = await h.request(server.srv, 'POST', `/aggregate/${C}`, { auth: 'js', body: { _method: 'GET', pipeline: [{ $match: {} }] } });
      assert.equal(post.status, 403, h.describeRes(post));
    });
  });
});
