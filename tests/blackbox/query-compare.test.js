'use strict';
// Query language, part 1: equality and comparisons through Parse.Query on
// numbers, strings, Dates, booleans and pointers; $in / $nin on scalars,
// pointers and Dates; $exists against null and missing fields; ordering with
// ties, several keys and missing values; count.
// The data makes the easy wrong answers differ from the right ones: textual
// vs numeric order, Dates written with time-zone offsets (compared as
// instants), false / 0 / '' vs missing, null vs missing vs present.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let C; // the class under test
let Owner;
let owners; // label -> Parse.Object
// parse-server on PostgreSQL answers 500 to $ne / $in / $nin with Date
// values ("invalid input syntax for type timestamp") and to $in with null;
// parsec must answer them.
async function psMay500(fn) {
  if (h.IS_PARSEC) return fn();
  try {
    return await fn();
  } catch (err) {
    if (err && err.code === 1) return undefined; // Parse.Error INTERNAL_SERVER_ERROR
    throw err;
  }
}
const names = list => list.map(o => o.get('name'));
const sorted = list => names(list).sort();

// when: instants, written with offsets; their UTC values are in the comments.
const ROWS = [
  // 2021-06-01T08:00:00.000Z
  { name: 'r1', num: 10, str: 'apple', when: '2021-06-01T10:00:00+02:00', flag: true, owner: 'o1', zero: 0, empty: '' },
  // 2021-06-01T08:30:00.000Z
  { name: 'r2', num: 9, str: 'Zebra', when: '2021-06-01T07:30:00-01:00', flag: false, owner: 'o2', zero: 1, empty: 'x' },
  // 2021-06-01T08:00:00.000Z (the same instant as r1, written in UTC)
  { name: 'r3', num: 100, str: 'apple pie', when: '2021-06-01T08:00:00.000Z', flag: true, owner: 'o1' },
  // 2021-06-01T07:59:00.000Z (the day before in its own zone)
  { name: 'r4', num: -5, str: '10', when: '2021-05-31T23:59:00-08:00', flag: false },
  // 2021-06-01T00:00:00.000Z
  { name: 'r5', num: 9.5, str: '9', when: '2021-06-01T05:30:00+05:30', nul: 1 },
  { name: 'r6', nul: null },
];

describe('comparisons and equality', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    C = h.uniqueClass('QcCmp');
    Owner = h.uniqueClass('QcOwner');
    owners = {};
    for (const label of ['o1', 'o2', 'o3']) owners[label] = await new Parse.Object(Owner).save({ label });
    // Created over REST so that the Dates keep the offsets they were written with.
    for (const row of ROWS) {
      const body = { ...row };
      if (row.when) body.when = { __type: 'Date', iso: row.when };
      if (row.owner) body.owner = { __type: 'Pointer', className: Owner, objectId: owners[row.owner].id };
      await h.createObject(server.srv, C, body);
    }
  });

  const query = () => new Parse.Query(C).ascending('name');

  describe('equalTo / notEqualTo', () => {
    test('numbers', async () => {
      assert.deepEqual(names(await query().equalTo('num', 10).find()), ['r1']);
      assert.deepEqual(names(await query().equalTo('num', 9.5).find()), ['r5']);
      // $ne also matches the objects without the field.
      assert.deepEqual(names(await query().notEqualTo('num', 10).find()), ['r2', 'r3', 'r4', 'r5', 'r6']);
    });

    test('strings are compared exactly and case-sensitively', async () => {
      assert.deepEqual(names(await query().equalTo('str', 'apple').find()), ['r1']);
      assert.deepEqual(names(await query().equalTo('str', 'Apple').find()), []);
      assert.deepEqual(names(await query().equalTo('str', 'zebra').find()), []);
      assert.deepEqual(names(await query().equalTo('str', '10').find()), ['r4']);
      assert.deepEqual(names(await query().notEqualTo('str', 'apple').find()), ['r2', 'r3', 'r4', 'r5', 'r6']);
    });

    test('an empty string and 0 are values, not missing', async () => {
      assert.deepEqual(names(await query().equalTo('empty', '').find()), ['r1']);
      assert.deepEqual(names(await query().equalTo('zero', 0).find()), ['r1']);
      assert.deepEqual(names(await query().notEqualTo('zero', 0).find()), ['r2', 'r3', 'r4', 'r5', 'r6']);
    });

    test('Dates compare as instants, whatever offset they were written with', async () => {
      assert.deepEqual(names(await query().equalTo('when', new Date('2021-06-01T08:00:00Z')).find()), ['r1', 'r3']);
      assert.deepEqual(names(await query().equalTo('when', new Date('2021-06-01T10:00:00+02:00')).find()), ['r1', 'r3']);
      await psMay500(async () => {
        assert.deepEqual(names(await query().notEqualTo('when', new Date('2021-06-01T08:00:00Z')).find()), ['r2', 'r4', 'r5', 'r6']);
      });
      // Over REST, a Date in the query may carry an offset too.
      const res = h.expectOk(await h.find(server.srv, C, {
        where: { when: { __type: 'Date', iso: '2021-06-01T03:00:00-05:00' } },
        order: 'name',
      }));
      assert.deepEqual(res.results.map(o => o.name), ['r1', 'r3']);
    });

    test('Dates are answered in UTC with milliseconds', async () => {
      const res = h.expectOk(await h.find(server.srv, C, { order: 'name', keys: 'name,when' }));
      const byName = Object.fromEntries(res.results.map(o => [o.name, o.when]));
      assert.deepEqual(byName.r1, { __type: 'Date', iso: '2021-06-01T08:00:00.000Z' });
      assert.deepEqual(byName.r2, { __type: 'Date', iso: '2021-06-01T08:30:00.000Z' });
      assert.deepEqual(byName.r4, { __type: 'Date', iso: '2021-06-01T07:59:00.000Z' });
      assert.deepEqual(byName.r5, { __type: 'Date', iso: '2021-06-01T00:00:00.000Z' });
      assert.equal(byName.r6, undefined);
    });

    test('booleans: false is not missing', async () => {
      assert.deepEqual(names(await query().equalTo('flag', true).find()), ['r1', 'r3']);
      assert.deepEqual(names(await query().equalTo('flag', false).find()), ['r2', 'r4']);
      assert.deepEqual(names(await query().notEqualTo('flag', true).find()), ['r2', 'r4', 'r5', 'r6']);
      assert.deepEqual(names(await query().notEqualTo('flag', false).find()), ['r1', 'r3', 'r5', 'r6']);
    });

    test('pointers', async () => {
      assert.deepEqual(names(await query().equalTo('owner', owners.o1).find()), ['r1', 'r3']);
      assert.deepEqual(names(await query().equalTo('owner', owners.o3).find()), []);
      assert.deepEqual(names(await query().notEqualTo('owner', owners.o1).find()), ['r2', 'r4', 'r5', 'r6']);
      // A pointer given by objectId only (createWithoutData) matches the same.
      const bare = Parse.Object.extend(Owner).createWithoutData(owners.o2.id);
      assert.deepEqual(names(await query().equalTo('owner', bare).find()), ['r2']);
    });

    test('equalTo null matches null and missing; notEqualTo null matches the rest', async () => {
      assert.deepEqual(names(await query().equalTo('nul', null).find()), ['r1', 'r2', 'r3', 'r4', 'r6']);
      assert.deepEqual(names(await query().notEqualTo('nul', null).find()), ['r5']);
      assert.deepEqual(names(await query().equalTo('owner', null).find()), ['r4', 'r5', 'r6']);
    });

    test('objectId equality and inequality', async () => {
      const all = await query().find();
      const r2 = all.find(o => o.get('name') === 'r2');
      assert.deepEqual(names(await query().equalTo('objectId', r2.id).find()), ['r2']);
      assert.deepEqual(names(await query().notEqualTo('objectId', r2.id).find()), ['r1', 'r3', 'r4', 'r5', 'r6']);
    });
  });

  describe('lessThan / greaterThan', () => {
    test('numbers compare numerically (100 > 9.5 > 9 > -5)', async () => {
      assert.deepEqual(names(await query().lessThan('num', 10).find()), ['r2', 'r4', 'r5']);
      assert.deepEqual(names(await query().lessThanOrEqualTo('num', 10).find()), ['r1', 'r2', 'r4', 'r5']);
      assert.deepEqual(names(await query().greaterThan('num', 9.5).find()), ['r1', 'r3']);
      assert.deepEqual(names(await query().greaterThanOrEqualTo('num', 9.5).find()), ['r1', 'r3', 'r5']);
      assert.deepEqual(names(await query().greaterThan('num', -5).lessThan('num', 10).find()), ['r2', 'r5']);
      assert.deepEqual(names(await query().lessThan('num', -100).find()), []);
    });

    test('strings compare by code point (digits < upper case < lower case; prefix first)', async () => {
      assert.deepEqual(names(await query().lessThan('str', 'apple').find()), ['r2', 'r4', 'r5']);
      assert.deepEqual(names(await query().lessThanOrEqualTo('str', 'apple').find()), ['r1', 'r2', 'r4', 'r5']);
      assert.deepEqual(names(await query().greaterThan('str', 'apple').find()), ['r3']);
      assert.deepEqual(names(await query().greaterThan('str', 'Z').find()), ['r1', 'r2', 'r3']);
      // '10' < '9' as strings.
      assert.deepEqual(names(await query().lessThan('str', '9').find()), ['r4']);
      assert.deepEqual(names(await query().greaterThanOrEqualTo('str', '9').lessThan('str', 'a').find()), ['r2', 'r5']);
    });

    test('Dates compare as instants across time zones', async () => {
      const d = iso => new Date(iso);
      assert.deepEqual(names(await query().greaterThan('when', d('2021-06-01T08:00:00Z')).find()), ['r2']);
      assert.deepEqual(names(await query().greaterThanOrEqualTo('when', d('2021-06-01T08:00:00Z')).find()), ['r1', 'r2', 'r3']);
      assert.deepEqual(names(await query().lessThan('when', d('2021-06-01T10:00:00+02:00')).find()), ['r4', 'r5']);
      assert.deepEqual(names(await query().lessThanOrEqualTo('when', d('2021-06-01T07:59:00Z')).find()), ['r4', 'r5']);
      // Over REST with offsets in the bounds: (07:59:30Z, 08:15Z)
      const res = h.expectOk(await h.find(server.srv, C, {
        where: {
          when: {
            $gt: { __type: 'Date', iso: '2021-05-31T21:59:30-10:00' },
            $lt: { __type: 'Date', iso: '2021-06-01T13:45:00+05:30' },
          },
        },
        order: 'name',
      }));
      assert.deepEqual(res.results.map(o => o.name), ['r1', 'r3']);
    });

    test('createdAt and updatedAt compare as Dates', async () => {
      const all = await new Parse.Query(C).ascending('createdAt').find();
      assert.equal(all.length, ROWS.length);
      const pivot = all[2].createdAt;
      const after = await new Parse.Query(C).greaterThan('createdAt', pivot).find();
      for (const o of after) assert.ok(o.createdAt > pivot);
      const atOrBefore = await new Parse.Query(C).lessThanOrEqualTo('createdAt', pivot).find();
      assert.equal(after.length + atOrBefore.length, ROWS.length);
      assert.ok(atOrBefore.length >= 3);
      assert.deepEqual(names(await new Parse.Query(C).lessThan('updatedAt', new Date('2000-01-01T00:00:00Z')).find()), []);
      assert.equal((await new Parse.Query(C).greaterThan('updatedAt', new Date('2000-01-01T00:00:00Z')).find()).length, ROWS.length);
    });
  });

  describe('containedIn / notContainedIn on scalars', () => {
    test('numbers and strings', async () => {
      assert.deepEqual(names(await query().containedIn('num', [9, 100, 7]).find()), ['r2', 'r3']);
      assert.deepEqual(names(await query().containedIn('str', ['Zebra', 'apple', 'APPLE']).find()), ['r1', 'r2']);
      assert.deepEqual(names(await query().notContainedIn('num', [9, 100]).exists('num').find()), ['r1', 'r4', 'r5']);
      assert.deepEqual(names(await query().notContainedIn('str', ['apple', '9']).exists('str').find()), ['r2', 'r3', 'r4']);
    });

    test('pointers', async () => {
      assert.deepEqual(names(await query().containedIn('owner', [owners.o2, owners.o3]).find()), ['r2']);
      assert.deepEqual(names(await query().containedIn('owner', [owners.o1, owners.o2]).find()), ['r1', 'r2', 'r3']);
      assert.deepEqual(names(await query().notContainedIn('owner', [owners.o1]).exists('owner').find()), ['r2']);
    });

    test('Dates (as instants)', async () => {
      const list = [new Date('2021-06-01T08:00:00Z'), new Date('2021-06-01T05:30:00+05:30')];
      await psMay500(async () => {
        assert.deepEqual(names(await query().containedIn('when', list).find()), ['r1', 'r3', 'r5']);
      });
      await psMay500(async () => {
        assert.deepEqual(names(await query().notContainedIn('when', list).exists('when').find()), ['r2', 'r4']);
      });
    });

    test('containedIn with null also matches null and missing values', async () => {
      await psMay500(async () => {
        assert.deepEqual(names(await query().containedIn('nul', [null, 7]).find()), ['r1', 'r2', 'r3', 'r4', 'r6']);
        assert.deepEqual(names(await query().containedIn('num', [null, 9]).find()), ['r2', 'r6']);
      });
    });

    test('objectIds', async () => {
      const all = await query().find();
      const ids = all.filter(o => ['r1', 'r4'].includes(o.get('name'))).map(o => o.id);
      assert.deepEqual(names(await query().containedIn('objectId', ids).find()), ['r1', 'r4']);
      assert.deepEqual(names(await query().notContainedIn('objectId', ids).find()), ['r2', 'r3', 'r5', 'r6']);
    });
  });

  describe('exists / doesNotExist', () => {
    test('a field set to null does not exist; false, 0 and "" do', async () => {
      assert.deepEqual(names(await query().exists('nul').find()), ['r5']);
      assert.deepEqual(names(await query().doesNotExist('nul').find()), ['r1', 'r2', 'r3', 'r4', 'r6']);
      assert.deepEqual(names(await query().exists('flag').find()), ['r1', 'r2', 'r3', 'r4']);
      assert.deepEqual(names(await query().doesNotExist('flag').find()), ['r5', 'r6']);
      assert.deepEqual(names(await query().exists('zero').find()), ['r1', 'r2']);
      assert.deepEqual(names(await query().exists('empty').find()), ['r1', 'r2']);
      assert.deepEqual(names(await query().exists('owner').find()), ['r1', 'r2', 'r3']);
      assert.deepEqual(names(await query().doesNotExist('when').find()), ['r6']);
    });

    test('a field unset later no longer exists', async () => {
      const U = h.uniqueClass('QcUnset');
      const a = await new Parse.Object(U).save({ name: 'a', v: 1 });
      await new Parse.Object(U).save({ name: 'b', v: 2 });
      a.unset('v');
      await a.save();
      assert.deepEqual(names(await new Parse.Query(U).exists('v').find()), ['b']);
      assert.deepEqual(names(await new Parse.Query(U).doesNotExist('v').find()), ['a']);
    });
  });

  describe('ordering', () => {
    test('ascending puts missing values last, descending first', async () => {
      assert.deepEqual(names(await new Parse.Query(C).ascending('num').find()), ['r4', 'r2', 'r5', 'r1', 'r3', 'r6']);
      assert.deepEqual(names(await new Parse.Query(C).descending('num').find()), ['r6', 'r3', 'r1', 'r5', 'r2', 'r4']);
    });

    test('strings order by code point', async () => {
      assert.deepEqual(names(await new Parse.Query(C).exists('str').ascending('str').find()), ['r4', 'r5', 'r2', 'r1', 'r3']);
    });

    test('Dates order chronologically, not by their written form; ties broken by a second key', async () => {
      const asc = await new Parse.Query(C).exists('when').ascending('when').addDescending('name').find();
      assert.deepEqual(names(asc), ['r5', 'r4', 'r3', 'r1', 'r2']);
      const desc = await new Parse.Query(C).exists('when').descending('when').addAscending('name').find();
      assert.deepEqual(names(desc), ['r2', 'r1', 'r3', 'r4', 'r5']);
    });

    test('several keys: boolean, then pointer-less tie broken by number descending', async () => {
      const res = await new Parse.Query(C).exists('flag').ascending('flag').addDescending('num').find();
      assert.deepEqual(names(res), ['r2', 'r4', 'r3', 'r1']);
      const viaString = h.expectOk(await h.find(server.srv, C, { where: { flag: { $exists: true } }, order: '-flag,num' }));
      assert.deepEqual(viaString.results.map(o => o.name), ['r1', 'r3', 'r4', 'r2']);
    });

    test('ordering by a pointer orders by the objectId it points to', async () => {
      const byOwner = await new Parse.Query(C).exists('owner').ascending('owner').addAscending('name').find();
      const expected = ROWS.filter(r => r.owner)
        .map(r => ({ name: r.name, id: owners[r.owner].id }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.name < b.name ? -1 : 1))
        .map(r => r.name);
      assert.deepEqual(names(byOwner), expected);
    });

    test('many ties keep a complete order with a unique second key', async () => {
      const T = h.uniqueClass('QcTies');
      const rows = [];
      for (let i = 0; i < 12; i++) rows.push({ g: i % 3, i });
      await h.createMany(server.srv, T, rows);
      const res = h.expectOk(await h.find(server.srv, T, { order: '-g,i' })).results.map(o => `${o.g}:${o.i}`);
      assert.deepEqual(res, ['2:2', '2:5', '2:8', '2:11', '1:1', '1:4', '1:7', '1:10', '0:0', '0:3', '0:6', '0:9']);
      const page = h.expectOk(await h.find(server.srv, T, { order: 'g,-i', skip: '3', limit: '3' })).results.map(o => `${o.g}:${o.i}`);
      assert.deepEqual(page, ['0:0', '1:10', '1:7']);
    });
  });

  describe('count', () => {
    test('count alone and together with results', async () => {
      assert.equal(await new Parse.Query(C).count(), 6);
      assert.equal(await new Parse.Query(C).lessThan('num', 10).count(), 3);
      assert.equal(await new Parse.Query(C).doesNotExist('flag').count(), 2);
      assert.equal(await new Parse.Query(C).equalTo('str', 'none').count(), 0);
      const both = await new Parse.Query(C).exists('num').ascending('num').limit(2).withCount().find();
      assert.equal(both.count, 5);
      assert.deepEqual(names(both.results), ['r4', 'r2']);
      const skipped = await new Parse.Query(C).exists('num').ascending('num').skip(4).withCount().find();
      assert.equal(skipped.count, 5, 'skip does not change the count');
      assert.deepEqual(names(skipped.results), ['r3']);
    });

    test('count over REST with limit=0 and with a limit', async () => {
      assert.deepEqual(h.expectOk(await h.find(server.srv, C, { where: { flag: true }, count: '1', limit: '0' })), { results: [], count: 2 });
      const res = h.expectOk(await h.find(server.srv, C, { where: { num: { $gte: 9 } }, count: '1', limit: '1', order: '-num' }));
      assert.equal(res.count, 4);
      assert.deepEqual(res.results.map(o => o.name), ['r3']);
    });
  });
});
