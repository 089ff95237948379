'use strict';
// Query language, part 2: constraints on Array fields (strings, numbers,
// pointers): containedIn / notContainedIn against arrays, containsAll,
// containsAllStartingWith, containedBy, equalTo against one element,
// exists on empty arrays.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let C;
let Item;
let items; // label -> Parse.Object
const names = list => list.map(o => o.get('name'));

// parse-server on PostgreSQL answers 500 to some array queries (equality with
// one element of an array field); parsec must answer them.
async function psMay500(fn) {
  if (h.IS_PARSEC) return fn();
  try {
    return await fn();
  } catch (err) {
    if (err && err.code === 1) return undefined;
    throw err;
  }
}

describe('array fields', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    C = h.uniqueClass('QaArr');
    Item = h.uniqueClass('QaItem');
    items = {};
    for (const label of ['p1', 'p2', 'p3', 'p4']) items[label] = await new Parse.Object(Item).save({ label });
    const rows = [
      { name: 'a1', tags: ['red', 'blue'], nums: [1, 2, 3], refs: ['p1', 'p2'] },
      { name: 'a2', tags: ['blue'], nums: [2], refs: ['p2'] },
      { name: 'a3', tags: [], nums: [], refs: [] },
      { name: 'a4', tags: ['red', 'green', 'blue'], nums: [3, 4, 5], refs: ['p3'] },
      { name: 'a5' },
      { name: 'a6', tags: ['Red', 'redder'], nums: [10, 20] },
    ];
    for (const row of rows) {
      const o = new Parse.Object(C);
      o.set('name', row.name);
      if (row.tags) o.set('tags', row.tags);
      if (row.nums) o.set('nums', row.nums);
      if (row.refs) o.set('refs', row.refs.map(l => items[l]));
      await o.save();
    }
  });

  const query = () => new Parse.Query(C).ascending('name');

  test('containedIn on an array field matches arrays sharing at least one element', async () => {
    assert.deepEqual(names(await query().containedIn('tags', ['red', 'purple']).find()), ['a1', 'a4']);
    assert.deepEqual(names(await query().containedIn('tags', ['green', 'Red']).find()), ['a4', 'a6']);
    assert.deepEqual(names(await query().containedIn('nums', [5, 20]).find()), ['a4', 'a6']);
    assert.deepEqual(names(await query().containedIn('nums', [7]).find()), []);
  });

  test('notContainedIn on an array field excludes arrays sharing any element', async () => {
    assert.deepEqual(names(await query().notContainedIn('tags', ['red']).exists('tags').find()), ['a2', 'a3', 'a6']);
    assert.deepEqual(names(await query().notContainedIn('nums', [2, 10]).exists('nums').find()), ['a3', 'a4']);
  });

  test('containsAll needs every value, in any order', async () => {
    assert.deepEqual(names(await query().containsAll('tags', ['blue', 'red']).find()), ['a1', 'a4']);
    assert.deepEqual(names(await query().containsAll('tags', ['red', 'green', 'blue']).find()), ['a4']);
    assert.deepEqual(names(await query().containsAll('tags', ['red', 'Red']).find()), []);
    assert.deepEqual(names(await query().containsAll('nums', [3, 1]).find()), ['a1']);
    assert.deepEqual(names(await query().containsAll('nums', [2]).find()), ['a1', 'a2']);
  });

  test('containsAll with an empty list matches nothing', async () => {
    const res = h.expectOk(await h.find(server.srv, C, { where: { tags: { $all: [] } } }));
    assert.deepEqual(res.results, []);
  });

  test('containsAllStartingWith needs a prefix match for every value', async () => {
    assert.deepEqual(names(await query().containsAllStartingWith('tags', ['re', 'bl']).find()), ['a1', 'a4']);
    assert.deepEqual(names(await query().containsAllStartingWith('tags', ['gr']).find()), ['a4']);
    assert.deepEqual(names(await query().containsAllStartingWith('tags', ['redd']).find()), ['a6']);
    assert.deepEqual(names(await query().containsAllStartingWith('tags', ['R', 'r']).find()), ['a6']);
  });

  test('containedBy: every element is in the list (an empty array qualifies, a missing one does not)', async () => {
    assert.deepEqual(names(await query().containedBy('tags', ['red', 'blue']).find()), ['a1', 'a2', 'a3']);
    assert.deepEqual(names(await query().containedBy('tags', ['blue', 'green']).find()), ['a2', 'a3']);
    assert.deepEqual(names(await query().containedBy('nums', [1, 2, 3, 4, 5]).find()), ['a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(names(await query().containedBy('nums', [2, 10]).find()), ['a2', 'a3']);
  });

  test('equalTo with a scalar matches arrays holding that element', async () => {
    await psMay500(async () => {
      assert.deepEqual(names(await query().equalTo('tags', 'blue').find()), ['a1', 'a2', 'a4']);
    });
    await psMay500(async () => {
      assert.deepEqual(names(await query().equalTo('tags', 'Red').find()), ['a6']);
    });
    await psMay500(async () => {
      assert.deepEqual(names(await query().equalTo('tags', 'purple').find()), []);
    });
    await psMay500(async () => {
      assert.deepEqual(names(await query().equalTo('nums', 2).find()), ['a1', 'a2']);
    });
  });

  test('notEqualTo with a scalar excludes arrays holding that element', async () => {
    assert.deepEqual(names(await query().notEqualTo('tags', 'red').exists('tags').find()), ['a2', 'a3', 'a6']);
    assert.deepEqual(names(await query().notEqualTo('nums', 3).exists('nums').find()), ['a2', 'a3', 'a6']);
  });

  test('exists: an empty array exists, a missing one does not', async () => {
    assert.deepEqual(names(await query().exists('tags').find()), ['a1', 'a2', 'a3', 'a4', 'a6']);
    assert.deepEqual(names(await query().doesNotExist('tags').find()), ['a5']);
    assert.deepEqual(names(await query().doesNotExist('refs').find()), ['a5', 'a6']);
  });

  describe('arrays of pointers', () => {
    test('containedIn, containsAll and notContainedIn compare pointers', async () => {
      assert.deepEqual(names(await query().containedIn('refs', [items.p2]).find()), ['a1', 'a2']);
      assert.deepEqual(names(await query().containedIn('refs', [items.p3, items.p4]).find()), ['a4']);
      assert.deepEqual(names(await query().containsAll('refs', [items.p2, items.p1]).find()), ['a1']);
      assert.deepEqual(names(await query().containsAll('refs', [items.p2, items.p3]).find()), []);
      assert.deepEqual(names(await query().notContainedIn('refs', [items.p2]).exists('refs').find()), ['a3', 'a4']);
    });

    test('an array of pointers comes back as pointers, or as objects when included', async () => {
      const plain = await query().equalTo('name', 'a1').find();
      const refs = plain[0].get('refs');
      assert.equal(refs.length, 2);
      assert.deepEqual(refs.map(r => r.id).sort(), [items.p1.id, items.p2.id].sort());
      assert.equal(refs[0].get('label'), undefined, 'not fetched without include');
      const inc = await query().equalTo('name', 'a1').include('refs').find();
      assert.deepEqual(inc[0].get('refs').map(r => r.get('label')).sort(), ['p1', 'p2']);
    });
  });

  describe('where parse-server on PostgreSQL answers otherwise', () => {
    // Whole-array equality: parsec matches the exact array (order matters, as
    // in MongoDB); parse-server on PostgreSQL refuses it (119).
    test('equalTo with a whole array', async () => {
      const res = await h.find(server.srv, C, { where: { tags: ['red', 'blue'] }, order: 'name' });
      if (h.IS_PARSEC) {
        assert.deepEqual(h.expectOk(res).results.map(o => o.name), ['a1']);
        const reversed = h.expectOk(await h.find(server.srv, C, { where: { tags: ['blue', 'red'] } }));
        assert.deepEqual(reversed.results, []);
      } else {
        h.expectError(res, 400, 119);
      }
    });

    // notContainedIn on objects without the field: parsec matches them (as
    // MongoDB's $nin does); parse-server on PostgreSQL does not.
    test('notContainedIn and objects without the field', async () => {
      const got = names(await query().notContainedIn('tags', ['red']).find());
      assert.deepEqual(got, h.pick(['a2', 'a3', 'a5', 'a6'], ['a2', 'a3', 'a6']));
    });

    // The same for $ne against an element (on a plain field parse-server
    // does match the objects without it).
    test('notEqualTo an element and objects without the field', async () => {
      const got = names(await query().notEqualTo('tags', 'red').find());
      assert.deepEqual(got, h.pick(['a2', 'a3', 'a5', 'a6'], ['a2', 'a3', 'a6']));
    });
  });
});
