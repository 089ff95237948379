'use strict';
// Queries (first part): constraints, ordering, limit / skip, keys, include,
// count, unknown classes, the POST _method GET form and Parse.Query.
// The data is chosen so that the easy wrong answers differ from the right
// ones: ties in ordering, missing fields, false vs missing, boundaries.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

// Rows are inserted in this order (so insertion order differs from the sort
// orders asked for below).
const ROWS = [
  { name: 'delta', score: 20, tags: ['red', 'blue'], flag: true, rank: 4 },
  { name: 'alpha', score: 10, tags: ['green'], flag: false, rank: 1 },
  { name: 'echo', score: 20, tags: [], flag: true, rank: 5 },
  { name: 'charlie', score: 5, tags: ['red'], rank: 3 },
  { name: 'bravo', tags: ['blue', 'green'], flag: false, rank: 2 },
  { name: 'foxtrot', score: 20.5, rank: 6 },
];

let C;
let ids; // name -> objectId
let Owner;
let owners; // 'o1' | 'o2' -> objectId

function names(res) {
  return h.expectOk(res).results.map(o => o.name);
}

async function q(params) {
  return h.find(server.srv, C, params);
}

async function whereNames(where, extra = {}) {
  return names(await q({ where, order: 'name', ...extra }));
}

describe('queries', () => {
  before(async () => {
    C = h.uniqueClass('Qry');
    Owner = h.uniqueClass('QryOwner');
    owners = {};
    owners.o1 = (await h.createObject(server.srv, Owner, { label: 'one' })).objectId;
    owners.o2 = (await h.createObject(server.srv, Owner, { label: 'two' })).objectId;
    ids = {};
    for (const row of ROWS) {
      const body = { ...row };
      // delta and charlie belong to o1, alpha to o2, the rest to nobody.
      if (row.name === 'delta' || row.name === 'charlie') body.owner = { __type: 'Pointer', className: Owner, objectId: owners.o1 };
      if (row.name === 'alpha') body.owner = { __type: 'Pointer', className: Owner, objectId: owners.o2 };
      ids[row.name] = (await h.createObject(server.srv, C, body)).objectId;
    }
  });

  describe('where constraints', () => {
    test('no constraint returns everything', async () => {
      assert.deepEqual(await whereNames({}), ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']);
    });

    test('equality on a number matches only equal values (20, not 20.5)', async () => {
      assert.deepEqual(await whereNames({ score: 20 }), ['delta', 'echo']);
    });

    test('equality on a string', async () => {
      assert.deepEqual(await whereNames({ name: 'charlie' }), ['charlie']);
      assert.deepEqual(await whereNames({ name: 'Charlie' }), [], 'string equality is case-sensitive');
    });

    test('equality with false does not match a missing field', async () => {
      assert.deepEqual(await whereNames({ flag: false }), ['alpha', 'bravo']);
      assert.deepEqual(await whereNames({ flag: true }), ['delta', 'echo']);
    });

    test('$lt / $lte / $gt / $gte respect the boundary', async () => {
      assert.deepEqual(await whereNames({ score: { $lt: 20 } }), ['alpha', 'charlie']);
      assert.deepEqual(await whereNames({ score: { $lte: 20 } }), ['alpha', 'charlie', 'delta', 'echo']);
      assert.deepEqual(await whereNames({ score: { $gt: 20 } }), ['foxtrot']);
      assert.deepEqual(await whereNames({ score: { $gte: 20 } }), ['delta', 'echo', 'foxtrot']);
      assert.deepEqual(await whereNames({ score: { $gt: 5, $lt: 20.5 } }), ['alpha', 'delta', 'echo']);
    });

    test('$lt / $gt on strings compare lexicographically', async () => {
      assert.deepEqual(await whereNames({ name: { $lt: 'charlie' } }), ['alpha', 'bravo']);
      assert.deepEqual(await whereNames({ name: { $gte: 'echo' } }), ['echo', 'foxtrot']);
    });

    test('$ne matches objects missing the field too', async () => {
      assert.deepEqual(await whereNames({ score: { $ne: 20 } }), ['alpha', 'bravo', 'charlie', 'foxtrot']);
      assert.deepEqual(await whereNames({ flag: { $ne: true } }), ['alpha', 'bravo', 'charlie', 'foxtrot']);
    });

    test('$in and $nin', async () => {
      assert.deepEqual(await whereNames({ score: { $in: [5, 20] } }), ['charlie', 'delta', 'echo']);
      assert.deepEqual(await whereNames({ name: { $in: ['bravo', 'nobody'] } }), ['bravo']);
      // parse-server on PostgreSQL answers the objects missing the field here.
      if (h.IS_PARSEC) assert.deepEqual(await whereNames({ score: { $in: [] } }), []);
      // (Whether $nin matches objects missing the field differs between
      // parse-server's database adapters, so the data here all has the field.)
      assert.deepEqual(await whereNames({ score: { $nin: [5, 20], $exists: true } }), ['alpha', 'foxtrot']);
      assert.deepEqual(await whereNames({ name: { $nin: ['alpha', 'bravo', 'charlie'] } }), ['delta', 'echo', 'foxtrot']);
    });

    test('$exists true / false', async () => {
      assert.deepEqual(await whereNames({ score: { $exists: true } }), ['alpha', 'charlie', 'delta', 'echo', 'foxtrot']);
      assert.deepEqual(await whereNames({ score: { $exists: false } }), ['bravo']);
      assert.deepEqual(await whereNames({ flag: { $exists: false } }), ['charlie', 'foxtrot']);
      assert.deepEqual(await whereNames({ owner: { $exists: true } }), ['alpha', 'charlie', 'delta']);
    });

    test('equality with null matches objects missing the field', async () => {
      assert.deepEqual(await whereNames({ score: null }), ['bravo']);
    });

    test('several constraints are combined with AND', async () => {
      assert.deepEqual(await whereNames({ score: { $gte: 10 }, flag: true }), ['delta', 'echo']);
      assert.deepEqual(await whereNames({ score: 20, name: 'echo' }), ['echo']);
    });

    test('pointer equality', async () => {
      const ptr = id => ({ __type: 'Pointer', className: Owner, objectId: id });
      assert.deepEqual(await whereNames({ owner: ptr(owners.o1) }), ['charlie', 'delta']);
      assert.deepEqual(await whereNames({ owner: ptr(owners.o2) }), ['alpha']);
      assert.deepEqual(await whereNames({ owner: ptr('zzzzzzzzzz') }), []);
      assert.deepEqual(await whereNames({ owner: { $in: [ptr(owners.o1), ptr(owners.o2)] } }), ['alpha', 'charlie', 'delta']);
    });

    test('equality against an array element', async () => {
      const res = await q({ where: { tags: 'red' }, order: 'name' });
      if (!h.IS_PARSEC && res.status === 500) return; // parse-server on PostgreSQL fails here
      assert.deepEqual(names(res), ['charlie', 'delta']);
      assert.deepEqual(await whereNames({ tags: 'green' }), ['alpha', 'bravo']);
      assert.deepEqual(await whereNames({ tags: 'purple' }), []);
    });

    test('$in against an array field matches arrays sharing an element', async () => {
      assert.deepEqual(await whereNames({ tags: { $in: ['blue', 'nothing'] } }), ['bravo', 'delta']);
    });

    test('querying by objectId', async () => {
      assert.deepEqual(await whereNames({ objectId: ids.echo }), ['echo']);
      assert.deepEqual(await whereNames({ objectId: { $in: [ids.alpha, ids.bravo] } }), ['alpha', 'bravo']);
    });

    test('a constraint on a field the class does not have matches nothing (or only missing)', async () => {
      assert.deepEqual(await whereNames({ nosuchfield: 1 }), []);
      assert.deepEqual(await whereNames({ nosuchfield: { $exists: true } }), []);
    });

    test('querying on createdAt with a Date', async () => {
      const all = h.expectOk(await q({ order: 'createdAt' })).results;
      const pivot = all[2].createdAt;
      const res = h.expectOk(await q({ where: { createdAt: { $gte: { __type: 'Date', iso: pivot } } }, order: 'createdAt' })).results;
      assert.ok(res.length >= 1 && res.length <= 4, `unexpected count ${res.length}`);
      for (const o of res) assert.ok(o.createdAt >= pivot);
    });
  });

  describe('ordering', () => {
    test('ascending by one key', async () => {
      assert.deepEqual(names(await q({ order: 'rank' })), ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']);
    });

    test('descending with -', async () => {
      assert.deepEqual(names(await q({ order: '-rank' })), ['foxtrot', 'echo', 'delta', 'charlie', 'bravo', 'alpha']);
    });

    test('ties are broken by the second key (both directions)', async () => {
      const where = { score: { $exists: true } };
      assert.deepEqual(names(await q({ where, order: '-score,name' })), ['foxtrot', 'delta', 'echo', 'alpha', 'charlie']);
      assert.deepEqual(names(await q({ where, order: '-score,-name' })), ['foxtrot', 'echo', 'delta', 'alpha', 'charlie']);
      assert.deepEqual(names(await q({ where, order: 'score,-name' })), ['charlie', 'alpha', 'echo', 'delta', 'foxtrot']);
    });

    test('order by a boolean then a string', async () => {
      const where = { flag: { $exists: true } };
      assert.deepEqual(names(await q({ where, order: 'flag,-name' })), ['bravo', 'alpha', 'echo', 'delta']);
    });
  });

  describe('limit, skip and count', () => {
    let Big;
    before(async () => {
      Big = h.uniqueClass('QryBig');
      await h.createMany(server.srv, Big, Array.from({ length: 130 }, (_, i) => ({ i, even: i % 2 === 0 })));
    });

    test('the default limit is 100', async () => {
      const res = h.expectOk(await h.find(server.srv, Big, {}));
      assert.equal(res.results.length, 100);
    });

    test('an explicit limit above the default returns everything', async () => {
      assert.equal(h.expectOk(await h.find(server.srv, Big, { limit: '1000' })).results.length, 130);
      assert.equal(h.expectOk(await h.find(server.srv, Big, { limit: '130' })).results.length, 130);
      assert.equal(h.expectOk(await h.find(server.srv, Big, { limit: '129' })).results.length, 129);
    });

    test('skip and limit page through an ordered result', async () => {
      const page = h.expectOk(await h.find(server.srv, Big, { order: 'i', skip: '5', limit: '3' })).results;
      assert.deepEqual(page.map(o => o.i), [5, 6, 7]);
      const last = h.expectOk(await h.find(server.srv, Big, { order: '-i', skip: '128', limit: '10' })).results;
      assert.deepEqual(last.map(o => o.i), [1, 0]);
      const past = h.expectOk(await h.find(server.srv, Big, { skip: '500' })).results;
      assert.deepEqual(past, []);
      const defaultLimit = h.expectOk(await h.find(server.srv, Big, { order: 'i', skip: '100' })).results;
      assert.deepEqual(defaultLimit.map(o => o.i), Array.from({ length: 30 }, (_, k) => 100 + k));
    });

    test('count=1 with limit=0 gives the count and no results', async () => {
      assert.deepEqual(h.expectOk(await h.find(server.srv, Big, { count: '1', limit: '0' })), { results: [], count: 130 });
      assert.deepEqual(h.expectOk(await h.find(server.srv, Big, { count: '1', limit: '0', where: { even: true } })), { results: [], count: 65 });
    });

    test('count=1 without limit counts everything but returns at most the limit', async () => {
      const res = h.expectOk(await h.find(server.srv, Big, { count: '1' }));
      assert.equal(res.count, 130);
      assert.equal(res.results.length, 100);
      const limited = h.expectOk(await h.find(server.srv, Big, { count: '1', limit: '7', where: { i: { $lt: 20 } } }));
      assert.equal(limited.count, 20);
      assert.equal(limited.results.length, 7);
    });

    test('count ignores skip', async () => {
      const res = h.expectOk(await h.find(server.srv, Big, { count: '1', skip: '120', order: 'i' }));
      assert.equal(res.count, 130);
      assert.deepEqual(res.results.map(o => o.i), [120, 121, 122, 123, 124, 125, 126, 127, 128, 129]);
    });

    test('Parse.Query.each and findAll visit every object exactly once (order by objectId, $gt paging)', async () => {
      const Parse = h.parseSdk(server.srv);
      const seen = [];
      await new Parse.Query(Big).each(o => {
        seen.push(o.get('i'));
      }, { batchSize: 40 });
      assert.equal(seen.length, 130);
      assert.equal(new Set(seen).size, 130);
      const all = await new Parse.Query(Big).equalTo('even', true).findAll({ batchSize: 25 });
      assert.equal(all.length, 65);
      const withCount = await new Parse.Query(Big).lessThan('i', 10).withCount().limit(3).find();
      assert.equal(withCount.count, 10);
      assert.equal(withCount.results.length, 3);
    });

    test('without count=1 there is no count field', async () => {
      const res = h.expectOk(await h.find(server.srv, Big, { limit: '1' }));
      assert.equal(res.count, undefined);
    });
  });

  describe('numbers and dates compare by value', () => {
    let N;
    before(async () => {
      N = h.uniqueClass('QryNum');
      const rows = [
        ['n100', 100, '2021-03-01T00:00:00.000Z'],
        ['n9', 9, '1999-12-31T23:59:59.999Z'],
        ['nminus10', -10, '2021-02-28T12:00:00.000Z'],
        ['n10', 10, '2000-01-01T00:00:00.000Z'],
        ['n9_5', 9.5, '1969-07-20T20:17:40.000Z'],
        ['nminus1', -1, '2021-03-01T00:00:00.001Z'],
      ];
      for (const [name, v, iso] of rows) {
        await h.createObject(server.srv, N, { name, v, when: { __type: 'Date', iso } });
        await h.sleep(3); // distinct createdAt values
      }
      // 19.5 + 0.5 by Increment: a float that equals an integer.
      const inc = await h.createObject(server.srv, N, { name: 'inc20', v: 19.5, when: { __type: 'Date', iso: '2010-05-05T05:05:05.005Z' } });
      h.expectOk(await h.request(server.srv, 'PUT', `/classes/${N}/${inc.objectId}`, { body: { v: { __op: 'Increment', amount: 0.5 } } }));
    });

    test('ordering numbers is numeric, not textual', async () => {
      const asc = h.expectOk(await h.find(server.srv, N, { order: 'v' })).results.map(o => o.v);
      assert.deepEqual(asc, [-10, -1, 9, 9.5, 10, 20, 100]);
      const desc = h.expectOk(await h.find(server.srv, N, { order: '-v' })).results.map(o => o.v);
      assert.deepEqual(desc, [100, 20, 10, 9.5, 9, -1, -10]);
    });

    test('comparisons on numbers are numeric; a float equal to an integer matches it', async () => {
      const names = async where => h.expectOk(await h.find(server.srv, N, { where, order: 'v' })).results.map(o => o.name);
      assert.deepEqual(await names({ v: { $lt: 10 } }), ['nminus10', 'nminus1', 'n9', 'n9_5']);
      assert.deepEqual(await names({ v: { $gt: 9.5, $lte: 100 } }), ['n10', 'inc20', 'n100']);
      assert.deepEqual(await names({ v: { $lt: -5 } }), ['nminus10']);
      assert.deepEqual(await names({ v: 20 }), ['inc20']);
      assert.deepEqual(await names({ v: { $in: [20, 9.5] } }), ['n9_5', 'inc20']);
    });

    test('ordering and comparing Dates is chronological', async () => {
      const byDate = h.expectOk(await h.find(server.srv, N, { order: 'when' })).results.map(o => o.name);
      assert.deepEqual(byDate, ['n9_5', 'n9', 'n10', 'inc20', 'nminus10', 'n100', 'nminus1']);
      const date = iso => ({ __type: 'Date', iso });
      const after = h.expectOk(await h.find(server.srv, N, { where: { when: { $gt: date('2021-03-01T00:00:00.000Z') } } })).results.map(o => o.name);
      assert.deepEqual(after, ['nminus1']);
      const range = h.expectOk(await h.find(server.srv, N, { where: { when: { $gte: date('1999-12-31T23:59:59.999Z'), $lt: date('2010-05-05T05:05:05.005Z') } }, order: '-when' })).results.map(o => o.name);
      assert.deepEqual(range, ['n10', 'n9']);
      const exact = h.expectOk(await h.find(server.srv, N, { where: { when: date('1969-07-20T20:17:40.000Z') } })).results.map(o => o.name);
      assert.deepEqual(exact, ['n9_5']);
    });

    test('ordering by createdAt and -createdAt follows creation order', async () => {
      const asc = h.expectOk(await h.find(server.srv, N, { order: 'createdAt' })).results;
      const desc = h.expectOk(await h.find(server.srv, N, { order: '-createdAt' })).results;
      assert.equal(asc.length, 7);
      for (let i = 1; i < asc.length; i++) assert.ok(asc[i - 1].createdAt <= asc[i].createdAt);
      for (let i = 1; i < desc.length; i++) assert.ok(desc[i - 1].createdAt >= desc[i].createdAt);
      assert.equal(asc[0].name, 'n100');
      assert.equal(desc[0].name, 'inc20');
    });

    test('limit=0 without count answers no results', async () => {
      assert.deepEqual(h.expectOk(await h.find(server.srv, N, { limit: '0' })), { results: [] });
    });
  });

  describe('keys and include', () => {
    test('keys limits the fields of every result', async () => {
      const res = h.expectOk(await q({ keys: 'name,score', order: 'name', limit: '2' })).results;
      assert.equal(res.length, 2);
      for (const o of res) {
        assert.ok(o.objectId && o.createdAt && o.updatedAt, 'built-in fields are always there');
        assert.equal(o.tags, undefined);
        assert.equal(o.rank, undefined);
        assert.equal(typeof o.name, 'string');
      }
      assert.equal(res[0].score, 10);
      assert.equal(res[1].score, undefined, 'bravo has no score');
    });

    test('include expands pointers in results; others stay pointers', async () => {
      const res = h.expectOk(await q({ include: 'owner', where: { owner: { $exists: true } }, order: 'name' })).results;
      assert.deepEqual(res.map(o => o.name), ['alpha', 'charlie', 'delta']);
      assert.equal(res[0].owner.__type, 'Object');
      assert.equal(res[0].owner.className, Owner);
      assert.equal(res[0].owner.label, 'two');
      assert.equal(res[1].owner.label, 'one');
      assert.equal(res[2].owner.objectId, owners.o1);
      const plain = h.expectOk(await q({ where: { name: 'alpha' } })).results[0];
      assert.deepEqual(plain.owner, { __type: 'Pointer', className: Owner, objectId: owners.o2 });
    });
  });

  describe('special cases', () => {
    test('a class that does not exist gives empty results and count 0', async () => {
      const X = h.uniqueClass('QryNone');
      assert.deepEqual(h.expectOk(await h.find(server.srv, X, {})), { results: [] });
      assert.deepEqual(h.expectOk(await h.find(server.srv, X, { count: '1', limit: '0' })), { results: [], count: 0 });
      assert.deepEqual(h.expectOk(await h.find(server.srv, X, { where: { a: 1 }, order: '-b' })), { results: [] });
    });

    test('the same query by POST with _method GET', async () => {
      const res = await h.request(server.srv, 'POST', `/classes/${C}`, {
        body: { _method: 'GET', where: { score: { $gte: 10 } }, order: '-score,name', limit: 3, count: 1 },
      });
      const body = h.expectOk(res);
      assert.deepEqual(body.results.map(o => o.name), ['foxtrot', 'delta', 'echo']);
      assert.equal(body.count, 4);
      const text = h.expectOk(await h.request(server.srv, 'POST', `/classes/${C}`, {
        raw: JSON.stringify({ _method: 'GET', _ApplicationId: h.APP_ID, _JavaScriptKey: h.JS_KEY, where: JSON.stringify({ name: 'bravo' }), keys: 'name' }),
        contentType: 'text/plain',
        auth: 'none',
      }));
      assert.equal(text.results.length, 1);
      assert.equal(text.results[0].name, 'bravo');
      assert.equal(text.results[0].tags, undefined);
    });

    test('query results carry objectId, createdAt, updatedAt and all fields', async () => {
      const [alpha] = h.expectOk(await q({ where: { name: 'alpha' } })).results;
      assert.equal(alpha.objectId, ids.alpha);
      assert.match(alpha.createdAt, h.ISO_MS);
      assert.match(alpha.updatedAt, h.ISO_MS);
      assert.equal(alpha.score, 10);
      assert.deepEqual(alpha.tags, ['green']);
      assert.equal(alpha.flag, false);
    });
  });

  describe('Parse.Query through the SDK', () => {
    test('constraints, ordering, limit, skip, select, include, count, first', async () => {
      const Parse = h.parseSdk(server.srv);
      const names = list => list.map(o => o.get('name'));

      assert.deepEqual(names(await new Parse.Query(C).equalTo('score', 20).ascending('name').find()), ['delta', 'echo']);
      assert.deepEqual(names(await new Parse.Query(C).lessThan('score', 20).ascending('name').find()), ['alpha', 'charlie']);
      assert.deepEqual(names(await new Parse.Query(C).lessThanOrEqualTo('score', 10).greaterThan('score', 5).find()), ['alpha']);
      assert.deepEqual(names(await new Parse.Query(C).greaterThanOrEqualTo('score', 20).descending('score').addAscending('name').find()), ['foxtrot', 'delta', 'echo']);
      assert.deepEqual(names(await new Parse.Query(C).notEqualTo('flag', true).ascending('name').find()), ['alpha', 'bravo', 'charlie', 'foxtrot']);
      assert.deepEqual(names(await new Parse.Query(C).containedIn('name', ['echo', 'alpha', 'zulu']).ascending('name').find()), ['alpha', 'echo']);
      assert.deepEqual(names(await new Parse.Query(C).notContainedIn('name', ['alpha', 'bravo', 'charlie', 'delta']).ascending('name').find()), ['echo', 'foxtrot']);
      assert.deepEqual(names(await new Parse.Query(C).exists('flag').ascending('name').find()), ['alpha', 'bravo', 'delta', 'echo']);
      assert.deepEqual(names(await new Parse.Query(C).doesNotExist('score').find()), ['bravo']);
      assert.deepEqual(names(await new Parse.Query(C).ascending('rank').skip(2).limit(2).find()), ['charlie', 'delta']);

      const owner = Parse.Object.extend(Owner).createWithoutData(owners.o1);
      const owned = await new Parse.Query(C).equalTo('owner', owner).include('owner').ascending('name').find();
      assert.deepEqual(names(owned), ['charlie', 'delta']);
      assert.equal(owned[0].get('owner').get('label'), 'one');

      const selected = await new Parse.Query(C).select('name').equalTo('name', 'echo').find();
      assert.equal(selected.length, 1);
      assert.equal(selected[0].get('name'), 'echo');
      assert.equal(selected[0].get('score'), undefined);

      assert.equal(await new Parse.Query(C).greaterThan('score', 5).count(), 4);
      assert.equal((await new Parse.Query(C).descending('rank').first()).get('name'), 'foxtrot');
      assert.equal((await new Parse.Query(C).get(ids.bravo)).get('name'), 'bravo');
      assert.equal(await new Parse.Query(h.uniqueClass('QrySdkNone')).count(), 0);
    });
  });
});
