'use strict';
// Query language, part 4: full-text search ($text / fullText) — whole words,
// not substrings; case-insensitive; English stemming by default; relevance
// score through sortByTextScore() (order=$score, keys=$score); the options
// parse-server on PostgreSQL refuses.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let C;
const names = list => list.map(o => o.get('name')).sort();

const ROWS = [
  { name: 't1', body: 'I love coffee and more coffee', kind: 'a' },
  { name: 't2', body: 'Coffeehouse culture', kind: 'a' },
  { name: 't3', body: 'tea is fine, coffee too', kind: 'b' },
  { name: 't4', body: 'running runners ran', kind: 'b' },
  { name: 't5', body: 'the cat sat on the mat', kind: 'a' },
  { name: 't6', body: 'COFFEE!!!', kind: 'b' },
  { name: 't7', title: 'coffee in the title only', kind: 'a' },
  { name: 't8', body: 'un café noir', kind: 'a' },
];

describe('full-text search', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    C = h.uniqueClass('QtText');
    for (const row of ROWS) await new Parse.Object(C).save(row);
  });

  const query = () => new Parse.Query(C);

  test('matches whole words case-insensitively, not substrings, only in the named field', async () => {
    assert.deepEqual(names(await query().fullText('body', 'coffee').find()), ['t1', 't3', 't6']);
    assert.deepEqual(names(await query().fullText('body', 'Coffee').find()), ['t1', 't3', 't6']);
    assert.deepEqual(names(await query().fullText('body', 'cat').find()), ['t5']);
    assert.deepEqual(names(await query().fullText('body', 'offe').find()), []);
    assert.deepEqual(names(await query().fullText('title', 'coffee').find()), ['t7']);
  });

  test('words are stemmed (English by default)', async () => {
    assert.deepEqual(names(await query().fullText('body', 'run').find()), ['t4']);
    assert.deepEqual(names(await query().fullText('body', 'running').find()), ['t4']);
    assert.deepEqual(names(await query().fullText('body', 'cats').find()), ['t5']);
    assert.deepEqual(names(await query().fullText('body', 'loved').find()), ['t1']);
    assert.deepEqual(names(await query().fullText('body', 'coffee', { language: 'english' }).find()), ['t1', 't3', 't6']);
  });

  test('$language chooses the stemmer', async () => {
    const L = h.uniqueClass('QtLang');
    await new Parse.Object(L).save({ name: 'es', body: 'los perros corriendo' });
    await new Parse.Object(L).save({ name: 'fr', body: 'les chevaux mangeaient' });
    assert.deepEqual(names(await new Parse.Query(L).fullText('body', 'perro', { language: 'spanish' }).find()), ['es']);
    assert.deepEqual(names(await new Parse.Query(L).fullText('body', 'correr', { language: 'spanish' }).find()), ['es'], 'corriendo and correr share a Spanish stem');
    assert.deepEqual(names(await new Parse.Query(L).fullText('body', 'correr').find()), [], 'but not an English one');
    assert.deepEqual(names(await new Parse.Query(L).fullText('body', 'chevaux', { language: 'french' }).find()), ['fr']);
  });

  test('diacritics are significant', async () => {
    assert.deepEqual(names(await query().fullText('body', 'café').find()), ['t8']);
    assert.deepEqual(names(await query().fullText('body', 'cafe').find()), []);
  });

  test('combines with other constraints, count and limit', async () => {
    assert.deepEqual(names(await query().fullText('body', 'coffee').equalTo('kind', 'b').find()), ['t3', 't6']);
    assert.equal(await query().fullText('body', 'coffee').count(), 3);
    assert.equal((await query().fullText('body', 'coffee').limit(1).find()).length, 1);
  });

  test('sortByTextScore orders by relevance and returns the score', async () => {
    // sortByTextScore() selects only $score: ask for the name as well.
    const res = await query().fullText('body', 'coffee').sortByTextScore().select('name').find();
    assert.equal(res.length, 3);
    assert.equal(res[0].get('name'), 't1', 'two occurrences rank above one');
    const scores = res.map(o => o.get('score'));
    for (const s of scores) assert.ok(typeof s === 'number' && s > 0, `score ${s}`);
    for (let i = 1; i < scores.length; i++) assert.ok(scores[i - 1] >= scores[i], `scores not decreasing: ${scores}`);
    assert.ok(scores[0] > scores[1], `t1 scores higher than the others: ${scores}`);
  });

  test('order=$score and keys=$score over REST', async () => {
    const res = h.expectOk(await h.find(server.srv, C, {
      where: { body: { $text: { $search: { $term: 'coffee' } } } },
      order: '$score',
      keys: '$score,name',
    })).results;
    assert.deepEqual(res.map(o => o.name).sort(), ['t1', 't3', 't6']);
    assert.equal(res[0].name, 't1');
    for (const o of res) {
      assert.equal(typeof o.score, 'number');
      assert.equal(o.body, undefined, 'keys limits the fields');
    }
    // Without $score in keys, no score field.
    const plain = h.expectOk(await h.find(server.srv, C, { where: { body: { $text: { $search: { $term: 'coffee' } } } } })).results;
    assert.equal(plain.length, 3);
    for (const o of plain) assert.equal(o.score, undefined);
  });

  test('a term made only of stop words matches nothing', async () => {
    const res = await h.find(server.srv, C, { where: { body: { $text: { $search: { $term: 'the' } } } } });
    assert.deepEqual(h.expectOk(res).results, []);
  });

  test('$caseSensitive and $diacriticSensitive: false are refused (107)', async () => {
    const cs = await h.find(server.srv, C, { where: { body: { $text: { $search: { $term: 'coffee', $caseSensitive: true } } } } });
    h.expectError(cs, 400, 107);
    const ds = await h.find(server.srv, C, { where: { body: { $text: { $search: { $term: 'coffee', $diacriticSensitive: false } } } } });
    h.expectError(ds, 400, 107);
  });

  test('a $text without $search or $term is refused', async () => {
    h.expectError(await h.find(server.srv, C, { where: { body: { $text: {} } } }), 400, 107);
    h.expectError(await h.find(server.srv, C, { where: { body: { $text: { $search: {} } } } }), 400, 107);
    h.expectError(await h.find(server.srv, C, { where: { body: { $text: { $search: { $term: 5 } } } } }), 400, 107);
  });
});
