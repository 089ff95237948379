'use strict';
// Query language, part 5: sub-queries and dotted keys. matchesQuery
// ($inQuery), doesNotMatchQuery ($notInQuery), matchesKeyInQuery ($select),
// doesNotMatchKeyInQuery ($dontSelect), nested sub-queries, sub-queries inside
// $or; constraints on keys inside Object fields ('address.city').
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let Player;
let Team;
let League;
let teams;
const names = list => list.map(o => o.get('name')).sort();

describe('relational queries', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    Player = h.uniqueClass('QrPlayer');
    Team = h.uniqueClass('QrTeam');
    League = h.uniqueClass('QrLeague');
    const l1 = await new Parse.Object(League).save({ name: 'L1', tier: 1 });
    const l2 = await new Parse.Object(League).save({ name: 'L2', tier: 2 });
    teams = {};
    teams.T1 = await new Parse.Object(Team).save({ name: 'T1', city: 'Paris', winPct: 0.7, league: l1 });
    teams.T2 = await new Parse.Object(Team).save({ name: 'T2', city: 'Lyon', winPct: 0.3, league: l1 });
    teams.T3 = await new Parse.Object(Team).save({ name: 'T3', city: 'Boston', winPct: 0.6, league: l2 });
    teams.T4 = await new Parse.Object(Team).save({ name: 'T4', city: 'Nice', winPct: 0.5, league: l2 });
    const players = [
      { name: 'p1', hometown: 'Paris', team: 'T1', address: { city: 'Paris', zip: 75001, geo: { country: 'FR' } } },
      { name: 'p2', hometown: 'Lyon', team: 'T2', address: { city: 'Lyon', zip: 69001, geo: { country: 'FR' } } },
      { name: 'p3', hometown: 'Boston', team: 'T3', address: { city: 'Boston', zip: 2101, geo: { country: 'US' } } },
      { name: 'p4', hometown: 'Paris', address: { city: 'paris' } },
      { name: 'p5', team: 'T1' },
      { name: 'p6', hometown: 'Nice', team: 'T4', address: { zip: 6000 } },
    ];
    for (const p of players) {
      const o = new Parse.Object(Player);
      for (const [k, v] of Object.entries(p)) o.set(k, k === 'team' ? teams[v] : v);
      await o.save();
    }
  });

  const players = () => new Parse.Query(Player);
  const winning = () => new Parse.Query(Team).greaterThan('winPct', 0.5);

  describe('matchesQuery / doesNotMatchQuery', () => {
    test('matchesQuery keeps objects whose pointer matches the sub-query', async () => {
      assert.deepEqual(names(await players().matchesQuery('team', winning()).find()), ['p1', 'p3', 'p5']);
      // A sub-query with no results matches nothing (parse-server on PostgreSQL
      // turns it into an empty $in, which matches the objects without the key).
      assert.deepEqual(names(await players().matchesQuery('team', new Parse.Query(Team).equalTo('city', 'Nowhere')).find()), h.pick([], ['p4']));
      assert.deepEqual(names(await players().matchesQuery('team', new Parse.Query(Team)).find()), ['p1', 'p2', 'p3', 'p5', 'p6']);
    });

    test('sub-queries nest (players of teams in tier-2 leagues)', async () => {
      const leagues = new Parse.Query(League).equalTo('tier', 2);
      const tier2Teams = new Parse.Query(Team).matchesQuery('league', leagues);
      assert.deepEqual(names(await players().matchesQuery('team', tier2Teams).find()), ['p3', 'p6']);
      const winningTier1 = new Parse.Query(Team).greaterThan('winPct', 0.5).matchesQuery('league', new Parse.Query(League).equalTo('tier', 1));
      assert.deepEqual(names(await players().matchesQuery('team', winningTier1).find()), ['p1', 'p5']);
    });

    test('doesNotMatchQuery among objects that have the pointer', async () => {
      assert.deepEqual(names(await players().doesNotMatchQuery('team', winning()).exists('team').find()), ['p2', 'p6']);
    });

    test('combined with other constraints and inside $or', async () => {
      assert.deepEqual(names(await players().matchesQuery('team', winning()).equalTo('hometown', 'Paris').find()), ['p1']);
      const losing = players().matchesQuery('team', new Parse.Query(Team).lessThan('winPct', 0.4));
      const nice = players().equalTo('hometown', 'Nice');
      assert.deepEqual(names(await Parse.Query.or(losing, nice).find()), ['p2', 'p6']);
      assert.equal(await players().matchesQuery('team', winning()).count(), 3);
    });

    test('over REST with $inQuery / $notInQuery', async () => {
      const where = { team: { $inQuery: { className: Team, where: { city: { $in: ['Lyon', 'Nice'] } } } } };
      const res = h.expectOk(await h.find(server.srv, Player, { where, order: 'name' }));
      assert.deepEqual(res.results.map(o => o.name), ['p2', 'p6']);
      const not = { team: { $notInQuery: { className: Team, where: { city: 'Paris' } }, $exists: true } };
      const res2 = h.expectOk(await h.find(server.srv, Player, { where: not, order: 'name' }));
      assert.deepEqual(res2.results.map(o => o.name), ['p2', 'p3', 'p6']);
    });
  });

  describe('matchesKeyInQuery / doesNotMatchKeyInQuery', () => {
    test('matchesKeyInQuery compares a field with a key of the sub-query results', async () => {
      // Cities of winning teams: Paris, Boston.
      assert.deepEqual(names(await players().matchesKeyInQuery('hometown', 'city', winning()).find()), ['p1', 'p3', 'p4']);
      assert.deepEqual(names(await players().matchesKeyInQuery('hometown', 'city', new Parse.Query(Team).equalTo('winPct', 0.5)).find()), ['p6']);
      // (parse-server on PostgreSQL: the empty $in matches objects without the field)
      assert.deepEqual(names(await players().matchesKeyInQuery('hometown', 'city', new Parse.Query(Team).greaterThan('winPct', 0.9)).find()), h.pick([], ['p5']));
    });

    test('doesNotMatchKeyInQuery among objects that have the field', async () => {
      assert.deepEqual(names(await players().doesNotMatchKeyInQuery('hometown', 'city', winning()).exists('hometown').find()), ['p2', 'p6']);
    });

    test('the REST form ($select / $dontSelect) as in the guide', async () => {
      const select = { hometown: { $select: { query: { className: Team, where: { winPct: { $gt: 0.5 } } }, key: 'city' } } };
      const res = h.expectOk(await h.find(server.srv, Player, { where: select, order: 'name' }));
      assert.deepEqual(res.results.map(o => o.name), ['p1', 'p3', 'p4']);
      const dont = { hometown: { $dontSelect: { query: { className: Team, where: { winPct: { $lt: 0.55 } } }, key: 'city' }, $exists: true } };
      const res2 = h.expectOk(await h.find(server.srv, Player, { where: dont, order: 'name' }));
      assert.deepEqual(res2.results.map(o => o.name), ['p1', 'p3', 'p4']);
    });
  });

  describe('dotted keys into Object fields', () => {
    test('equality and inequality on a nested key', async () => {
      assert.deepEqual(names(await players().equalTo('address.city', 'Paris').find()), ['p1']);
      assert.deepEqual(names(await players().notEqualTo('address.city', 'Paris').find()), ['p2', 'p3', 'p4', 'p5', 'p6']);
      assert.deepEqual(names(await players().equalTo('address.geo.country', 'FR').find()), ['p1', 'p2']);
    });

    test('comparisons on a nested number are numeric', async () => {
      assert.deepEqual(names(await players().greaterThan('address.zip', 10000).find()), ['p1', 'p2']);
      assert.deepEqual(names(await players().lessThan('address.zip', 10000).find()), ['p3', 'p6']);
      assert.deepEqual(names(await players().greaterThanOrEqualTo('address.zip', 6000).lessThanOrEqualTo('address.zip', 69001).find()), ['p2', 'p6']);
    });

    test('ordering by a nested key', async () => {
      const res = await players().exists('address').ascending('address.zip').find();
      assert.deepEqual(res.map(o => o.get('name')).slice(0, 4), ['p3', 'p6', 'p2', 'p1']);
      const desc = await players().greaterThan('address.zip', 0).descending('address.zip').find();
      assert.deepEqual(desc.map(o => o.get('name')), ['p1', 'p2', 'p6', 'p3']);
    });

    test('over REST', async () => {
      const res = h.expectOk(await h.find(server.srv, Player, { where: { 'address.city': 'Lyon', 'address.zip': 69001 } }));
      assert.deepEqual(res.results.map(o => o.name), ['p2']);
    });
  });

  describe('where parse-server on PostgreSQL answers otherwise', () => {
    // Objects without the pointer / field: parsec treats $notInQuery and
    // $dontSelect like MongoDB's $nin (they match); parse-server on
    // PostgreSQL leaves them out.
    test('doesNotMatchQuery and objects without the pointer', async () => {
      assert.deepEqual(names(await players().doesNotMatchQuery('team', winning()).find()), h.pick(['p2', 'p4', 'p6'], ['p2', 'p6']));
    });

    test('doesNotMatchKeyInQuery and objects without the field', async () => {
      assert.deepEqual(names(await players().doesNotMatchKeyInQuery('hometown', 'city', winning()).find()), h.pick(['p2', 'p5', 'p6'], ['p2', 'p6']));
    });

    // parse-server on PostgreSQL answers nothing for $exists and $in on a
    // dotted key (it compares the JSON text); parsec answers the objects.
    test('exists and containedIn on a nested key', async () => {
      assert.deepEqual(names(await players().exists('address.city').find()), h.pick(['p1', 'p2', 'p3', 'p4'], []));
      assert.deepEqual(names(await players().containedIn('address.city', ['Lyon', 'Boston']).find()), h.pick(['p2', 'p3'], []));
    });
  });
});
