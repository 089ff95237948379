'use strict';
// Query language, part 7: shaping results. include several levels deep
// ('author.city.country'), include through arrays of pointers, include('*'),
// select / exclude with dotted paths (into Object fields and into included
// objects), and what include does with a pointer to a deleted object.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let Post;
let Person;
let City;
let Country;
let people;

describe('include, select and exclude', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    Post = h.uniqueClass('QiPost');
    Person = h.uniqueClass('QiPerson');
    City = h.uniqueClass('QiCity');
    Country = h.uniqueClass('QiCountry');
    const france = await new Parse.Object(Country).save({ name: 'France', code: 'FR' });
    const paris = await new Parse.Object(City).save({ name: 'Paris', country: france, pop: 2 });
    const lyon = await new Parse.Object(City).save({ name: 'Lyon', country: france, pop: 1 });
    people = {};
    people.alice = await new Parse.Object(Person).save({ name: 'alice', city: paris, secret: 's-alice' });
    people.bob = await new Parse.Object(Person).save({ name: 'bob', secret: 's-bob' });
    people.carol = await new Parse.Object(Person).save({ name: 'carol', city: lyon, secret: 's-carol' });
    const gone = await new Parse.Object(Person).save({ name: 'gone' });
    await new Parse.Object(Post).save({
      title: 'first', body: 'long text', author: people.alice, editors: [people.bob, people.carol],
      meta: { a: 1, b: { c: 2, d: 3 } },
    });
    await new Parse.Object(Post).save({ title: 'second', body: 'more', author: people.bob, editors: [], meta: { a: 10, reviewer: people.carol } });
    await new Parse.Object(Post).save({ title: 'third', body: 'none' });
    await new Parse.Object(Post).save({ title: 'orphan', author: gone });
    await gone.destroy();
  });

  const post = async (title, build = q => q) => {
    const list = await build(new Parse.Query(Post).equalTo('title', title)).find();
    assert.equal(list.length, 1, `one post titled ${title}`);
    return list[0];
  };

  test('without include, pointers are not fetched', async () => {
    const p = await post('first');
    assert.equal(p.get('author').id, people.alice.id);
    assert.equal(p.get('author').get('name'), undefined);
  });

  test('include one level leaves the next level a pointer', async () => {
    const p = await post('first', q => q.include('author'));
    assert.equal(p.get('author').get('name'), 'alice');
    assert.equal(p.get('author').get('secret'), 's-alice');
    assert.equal(p.get('author').get('city').get('name'), undefined);
  });

  test('include three levels deep (author.city.country)', async () => {
    const p = await post('first', q => q.include('author.city.country'));
    const author = p.get('author');
    assert.equal(author.get('name'), 'alice');
    assert.equal(author.get('city').get('name'), 'Paris');
    assert.equal(author.get('city').get('country').get('name'), 'France');
    // An author without a city, and a post without an author, are fine.
    const second = await post('second', q => q.include('author.city.country'));
    assert.equal(second.get('author').get('name'), 'bob');
    assert.equal(second.get('author').get('city'), undefined);
    const third = await post('third', q => q.include('author.city.country'));
    assert.equal(third.get('author'), undefined);
  });

  test('include over an array of pointers, and through it', async () => {
    const p = await post('first', q => q.include('editors'));
    assert.deepEqual(p.get('editors').map(e => e.get('name')).sort(), ['bob', 'carol']);
    const deep = await post('first', q => q.include('editors.city'));
    const cities = Object.fromEntries(deep.get('editors').map(e => [e.get('name'), e.get('city') && e.get('city').get('name')]));
    assert.deepEqual(cities, { bob: undefined, carol: 'Lyon' });
    const empty = await post('second', q => q.include('editors'));
    assert.deepEqual(empty.get('editors'), []);
  });

  test('include over REST shows __type Object with className', async () => {
    const res = h.expectOk(await h.find(server.srv, Post, { where: { title: 'first' }, include: 'author.city,editors' }));
    const [p] = res.results;
    assert.equal(p.author.__type, 'Object');
    assert.equal(p.author.className, Person);
    assert.equal(p.author.objectId, people.alice.id);
    assert.equal(p.author.city.__type, 'Object');
    assert.equal(p.author.city.className, City);
    assert.equal(p.author.city.name, 'Paris');
    assert.deepEqual(p.author.city.country.__type, 'Pointer');
    assert.deepEqual(p.editors.map(e => e.__type), ['Object', 'Object']);
  });

  test('include of a pointer inside an Object field (meta.reviewer)', async () => {
    const res = h.expectOk(await h.find(server.srv, Post, { where: { title: 'second' }, include: 'meta.reviewer' }));
    const { meta } = res.results[0];
    assert.equal(meta.a, 10);
    assert.equal(meta.reviewer.__type, 'Object');
    assert.equal(meta.reviewer.className, Person);
    assert.equal(meta.reviewer.objectId, people.carol.id);
    assert.equal(meta.reviewer.name, 'carol');
    const plain = h.expectOk(await h.find(server.srv, Post, { where: { title: 'second' } }));
    assert.deepEqual(plain.results[0].meta.reviewer, { __type: 'Pointer', className: Person, objectId: people.carol.id });
  });

  test("include('*') fetches every pointer of the object", async () => {
    const p = await post('first', q => q.include('*'));
    assert.equal(p.get('author').get('name'), 'alice');
    assert.equal(p.get('author').get('city').get('name'), undefined, 'one level only');
  });

  test('a pointer to a deleted object stays a pointer (or goes away) under include', async () => {
    const res = h.expectOk(await h.find(server.srv, Post, { where: { title: 'orphan' }, include: 'author' }));
    assert.equal(res.results.length, 1);
    const author = res.results[0].author;
    if (author !== undefined) {
      assert.equal(author.__type, 'Pointer');
      assert.equal(author.className, Person);
    }
  });

  // parse-server keeps the whole top-level field named by the first segment
  // (it does not cut inside an Object field).
  test('select with a dotted path into an Object field keeps that field', async () => {
    const p = await post('first', q => q.select('title', 'meta.b.c'));
    assert.equal(p.get('title'), 'first');
    assert.equal(p.get('body'), undefined);
    assert.equal(p.get('author'), undefined);
    assert.deepEqual(p.get('meta'), { a: 1, b: { c: 2, d: 3 } });
    const only = await post('second', q => q.select('meta.a'));
    assert.equal(only.get('title'), undefined);
    assert.equal(only.get('meta').a, 10);
    assert.equal(only.get('meta').reviewer.id, people.carol.id);
  });

  test('select into included objects (author.name with include author)', async () => {
    const p = await post('first', q => q.include('author').select('title', 'author.name'));
    assert.equal(p.get('title'), 'first');
    assert.equal(p.get('body'), undefined);
    assert.equal(p.get('author').get('name'), 'alice');
    assert.equal(p.get('author').get('secret'), undefined);
    assert.equal(p.get('author').get('city'), undefined);
  });

  test('select of a nested include path includes it (author.city.name)', async () => {
    const res = h.expectOk(await h.find(server.srv, Post, { where: { title: 'first' }, keys: 'author.city.name', include: 'author.city' }));
    const [p] = res.results;
    assert.equal(p.title, undefined);
    assert.equal(p.author.name, undefined);
    assert.equal(p.author.city.name, 'Paris');
    assert.equal(p.author.city.pop, undefined);
  });

  test('exclude a top-level key and a key of an included object', async () => {
    const p = await post('first', q => q.exclude('body'));
    assert.equal(p.get('title'), 'first');
    assert.equal(p.get('body'), undefined);
    assert.deepEqual(p.get('meta'), { a: 1, b: { c: 2, d: 3 } });
    const res = h.expectOk(await h.find(server.srv, Post, { where: { title: 'first' }, excludeKeys: 'body,meta', include: 'author' }));
    assert.equal(res.results[0].body, undefined);
    assert.equal(res.results[0].meta, undefined);
    assert.equal(res.results[0].author.name, 'alice');
    const nested = h.expectOk(await h.find(server.srv, Post, { where: { title: 'first' }, excludeKeys: 'author.secret', include: 'author' }));
    assert.equal(nested.results[0].author.name, 'alice');
    assert.equal(nested.results[0].author.secret, undefined);
  });
});
