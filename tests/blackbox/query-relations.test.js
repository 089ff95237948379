'use strict';
// Query language, part 8: Relation fields. relation.query() ($relatedTo)
// after relation.add / remove, with constraints, ordering and count; the
// REST form; finding the owners of a relation by equality on the relation key.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let Post;
let Fan;
let posts;
let fans;
const names = list => list.map(o => o.get('name')).sort();

describe('relation queries', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    Post = h.uniqueClass('QlPost');
    Fan = h.uniqueClass('QlFan');
    fans = {};
    for (const [name, age] of [['u1', 15], ['u2', 25], ['u3', 35], ['u4', 45], ['u5', 55]]) {
      fans[name] = await new Parse.Object(Fan).save({ name, age });
    }
    posts = {};
    posts.p1 = new Parse.Object(Post);
    posts.p1.set('name', 'p1');
    posts.p1.relation('likes').add([fans.u1, fans.u2, fans.u3]);
    posts.p1.relation('fans').add(fans.u4);
    await posts.p1.save();
    // Adding one already there again, and removing one.
    posts.p1.relation('likes').add(fans.u1);
    posts.p1.relation('likes').remove(fans.u2);
    await posts.p1.save();
    posts.p2 = new Parse.Object(Post);
    posts.p2.set('name', 'p2');
    posts.p2.relation('likes').add([fans.u3, fans.u5]);
    await posts.p2.save();
    posts.p3 = await new Parse.Object(Post).save({ name: 'p3' });
  });

  test('relation.query() returns the related objects after add and remove, once each', async () => {
    const list = await posts.p1.relation('likes').query().find();
    assert.deepEqual(names(list), ['u1', 'u3']);
    assert.equal(list.length, 2);
    assert.deepEqual(names(await posts.p2.relation('likes').query().find()), ['u3', 'u5']);
  });

  test('each relation key is separate', async () => {
    assert.deepEqual(names(await posts.p1.relation('fans').query().find()), ['u4']);
    assert.deepEqual(names(await posts.p2.relation('fans').query().find()), []);
  });

  test('an object whose relation was never set has no related objects', async () => {
    const p3 = Parse.Object.extend(Post).createWithoutData(posts.p3.id);
    assert.deepEqual(names(await p3.relation('likes').query().find()), []);
  });

  test('constraints, ordering, limit and count apply within the relation', async () => {
    const rel = () => posts.p2.relation('likes').query();
    assert.deepEqual(names(await rel().greaterThan('age', 40).find()), ['u5']);
    assert.deepEqual((await rel().descending('age').find()).map(o => o.get('name')), ['u5', 'u3']);
    assert.deepEqual((await rel().ascending('age').limit(1).find()).map(o => o.get('name')), ['u3']);
    assert.equal(await rel().count(), 2);
    assert.equal(await posts.p1.relation('likes').query().lessThan('age', 20).count(), 1);
  });

  test('the $relatedTo REST form', async () => {
    const where = { $relatedTo: { object: { __type: 'Pointer', className: Post, objectId: posts.p1.id }, key: 'likes' } };
    const res = h.expectOk(await h.find(server.srv, Fan, { where, order: 'name' }));
    assert.deepEqual(res.results.map(o => o.name), ['u1', 'u3']);
    const combined = h.expectOk(await h.find(server.srv, Fan, { where: { ...where, age: { $gt: 20 } } }));
    assert.deepEqual(combined.results.map(o => o.name), ['u3']);
  });

  test('a removed object is no longer related; adding it back relates it again', async () => {
    const p = Parse.Object.extend(Post).createWithoutData(posts.p2.id);
    p.relation('likes').remove(fans.u5);
    await p.save();
    assert.deepEqual(names(await posts.p2.relation('likes').query().find()), ['u3']);
    p.relation('likes').add(fans.u5);
    await p.save();
    assert.deepEqual(names(await posts.p2.relation('likes').query().find()), ['u3', 'u5']);
  });

  test('equality on the relation key finds the objects owning that member', async () => {
    assert.deepEqual(names(await new Parse.Query(Post).equalTo('likes', fans.u3).find()), ['p1', 'p2']);
    assert.deepEqual(names(await new Parse.Query(Post).equalTo('likes', fans.u1).find()), ['p1']);
    assert.deepEqual(names(await new Parse.Query(Post).equalTo('likes', fans.u2).find()), []);
    assert.deepEqual(names(await new Parse.Query(Post).equalTo('fans', fans.u4).find()), ['p1']);
  });

  test('the relation field comes back as a Relation, not as its members', async () => {
    const res = h.expectOk(await h.find(server.srv, Post, { where: { name: 'p1' } }));
    assert.deepEqual(res.results[0].likes, { __type: 'Relation', className: Fan });
  });
});
