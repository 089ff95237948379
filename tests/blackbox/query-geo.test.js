'use strict';
// Query language, part 9: GeoPoint and Polygon queries. near (sorted by
// distance when no order is given), withinKilometers / withinMiles /
// withinRadians (sorted and unsorted), withinGeoBox, withinPolygon,
// polygonContains; combined with other constraints, limit and count.
// Distances from Paris: London ~344 km (~214 mi, 0.054 rad), Berlin ~878 km
// (0.138 rad), Madrid ~1053 km (0.165 rad), New York ~5840 km, Sydney ~16960 km.
const { describe, test, before } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

let Parse;
let C;
let Area;
let paris;
const ordered = list => list.map(o => o.get('name'));
const names = list => ordered(list).sort();

const CITIES = [
  ['nyc', 40.7128, -74.006, 5],
  ['berlin', 52.52, 13.405, 3],
  ['sydney', -33.8688, 151.2093, 6],
  ['paris', 48.8566, 2.3522, 1],
  ['madrid', 40.4168, -3.7038, 4],
  ['london', 51.5074, -0.1278, 2],
];

describe('geo queries', () => {
  before(async () => {
    Parse = h.parseSdk(server.srv);
    C = h.uniqueClass('QgPlace');
    Area = h.uniqueClass('QgArea');
    for (const [name, lat, lng, rank] of CITIES) {
      await new Parse.Object(C).save({ name, rank, loc: new Parse.GeoPoint(lat, lng) });
    }
    await new Parse.Object(C).save({ name: 'nowhere', rank: 7 });
    paris = new Parse.GeoPoint(48.8566, 2.3522);
    // Polygon coordinates are [latitude, longitude] pairs.
    await new Parse.Object(Area).save({ name: 'square', area: new Parse.Polygon([[0, 0], [0, 10], [10, 10], [10, 0]]) });
    await new Parse.Object(Area).save({ name: 'triangle', area: new Parse.Polygon([[0, 0], [20, 0], [0, 20]]) });
  });

  const q = () => new Parse.Query(C);

  test('near sorts by distance and leaves out objects without a location', async () => {
    assert.deepEqual(ordered(await q().near('loc', paris).find()), ['paris', 'london', 'berlin', 'madrid', 'nyc', 'sydney']);
    const fromNyc = new Parse.GeoPoint(40.7128, -74.006);
    assert.deepEqual(ordered(await q().near('loc', fromNyc).find()), ['nyc', 'london', 'madrid', 'paris', 'berlin', 'sydney']);
  });

  test('near with limit, skip and other constraints', async () => {
    assert.deepEqual(ordered(await q().near('loc', paris).limit(2).find()), ['paris', 'london']);
    assert.deepEqual(ordered(await q().near('loc', paris).skip(2).limit(2).find()), ['berlin', 'madrid']);
    assert.deepEqual(ordered(await q().near('loc', paris).greaterThan('rank', 2).find()), ['berlin', 'madrid', 'nyc', 'sydney']);
  });

  test('withinKilometers (sorted by distance)', async () => {
    assert.deepEqual(ordered(await q().withinKilometers('loc', paris, 340).find()), ['paris']);
    assert.deepEqual(ordered(await q().withinKilometers('loc', paris, 350).find()), ['paris', 'london']);
    assert.deepEqual(ordered(await q().withinKilometers('loc', paris, 1000).find()), ['paris', 'london', 'berlin']);
    assert.deepEqual(ordered(await q().withinKilometers('loc', paris, 1100).find()), ['paris', 'london', 'berlin', 'madrid']);
  });

  test('withinMiles', async () => {
    assert.deepEqual(ordered(await q().withinMiles('loc', paris, 212).find()), ['paris']);
    assert.deepEqual(ordered(await q().withinMiles('loc', paris, 220).find()), ['paris', 'london']);
    assert.deepEqual(ordered(await q().withinMiles('loc', paris, 4000).find()), ['paris', 'london', 'berlin', 'madrid', 'nyc']);
  });

  test('withinRadians', async () => {
    assert.deepEqual(ordered(await q().withinRadians('loc', paris, 0.05).find()), ['paris']);
    assert.deepEqual(ordered(await q().withinRadians('loc', paris, 0.1).find()), ['paris', 'london']);
    assert.deepEqual(ordered(await q().withinRadians('loc', paris, 0.2).find()), ['paris', 'london', 'berlin', 'madrid']);
  });

  test('unsorted within (centerSphere) filters only, so an order applies', async () => {
    const res = await q().withinKilometers('loc', paris, 1000, false).ascending('name').find();
    assert.deepEqual(ordered(res), ['berlin', 'london', 'paris']);
    const desc = await q().withinMiles('loc', paris, 700, false).descending('rank').find();
    assert.deepEqual(ordered(desc), ['madrid', 'berlin', 'london', 'paris']);
    assert.equal(await q().withinKilometers('loc', paris, 1000, false).count(), 3);
  });

  test('withinGeoBox', async () => {
    const box = await q().withinGeoBox('loc', new Parse.GeoPoint(40, -5), new Parse.GeoPoint(52, 5)).find();
    assert.deepEqual(names(box), ['london', 'madrid', 'paris']);
    const east = await q().withinGeoBox('loc', new Parse.GeoPoint(45, 0), new Parse.GeoPoint(55, 20)).find();
    assert.deepEqual(names(east), ['berlin', 'paris'], 'London lies west of longitude 0');
  });

  test('withinPolygon (GeoPoints, open path)', async () => {
    const poly = [new Parse.GeoPoint(35, -10), new Parse.GeoPoint(60, -10), new Parse.GeoPoint(60, 5), new Parse.GeoPoint(35, 5)];
    assert.deepEqual(names(await q().withinPolygon('loc', poly).find()), ['london', 'madrid', 'paris']);
    const triangle = [new Parse.GeoPoint(45, -5), new Parse.GeoPoint(55, -5), new Parse.GeoPoint(50, 20)];
    assert.deepEqual(names(await q().withinPolygon('loc', triangle).find()), ['london', 'paris'], 'Berlin lies north of the east edge');
  });

  test('polygonContains finds the polygons containing a point', async () => {
    const areas = pt => new Parse.Query(Area).polygonContains('area', pt).find();
    assert.deepEqual(names(await areas(new Parse.GeoPoint(5, 5))), ['square', 'triangle']);
    assert.deepEqual(names(await areas(new Parse.GeoPoint(12, 2))), ['triangle']);
    assert.deepEqual(names(await areas(new Parse.GeoPoint(2, 12))), ['triangle']);
    assert.deepEqual(names(await areas(new Parse.GeoPoint(11, 11))), []);
    assert.deepEqual(names(await areas(new Parse.GeoPoint(-1, 5))), []);
  });

  test('distances wrap around the antimeridian and the poles', async () => {
    const W = h.uniqueClass('QgWrap');
    const G = (lat, lng) => new Parse.GeoPoint(lat, lng);
    for (const [name, loc] of [['east', G(0, 179.5)], ['west', G(0, -179.5)], ['far', G(0, 170)], ['pole', G(89, 0)], ['pole2', G(89, 180)], ['zero', G(0, 0)]]) {
      await new Parse.Object(W).save({ name, loc });
    }
    const near = await new Parse.Query(W).near('loc', G(0, 179.9)).limit(3).find();
    assert.deepEqual(ordered(near).slice(0, 2).sort(), ['east', 'west']);
    assert.equal(ordered(near)[2], 'far');
    assert.deepEqual(names(await new Parse.Query(W).withinKilometers('loc', G(0, 180), 200).find()), ['east', 'west']);
    assert.deepEqual(ordered(await new Parse.Query(W).near('loc', G(89.5, 90)).limit(2).find()).sort(), ['pole', 'pole2']);
  });

  test('the REST forms of the guide ($nearSphere, $within $box, $geoWithin $polygon)', async () => {
    const G = (latitude, longitude) => ({ __type: 'GeoPoint', latitude, longitude });
    const near = h.expectOk(await h.find(server.srv, C, { where: { loc: { $nearSphere: G(48.8566, 2.3522) } }, limit: '3' }));
    assert.deepEqual(near.results.map(o => o.name), ['paris', 'london', 'berlin']);
    const box = h.expectOk(await h.find(server.srv, C, { where: { loc: { $within: { $box: [G(40, -5), G(52, 5)] } } }, order: 'name' }));
    assert.deepEqual(box.results.map(o => o.name), ['london', 'madrid', 'paris']);
    const poly = h.expectOk(await h.find(server.srv, C, {
      where: { loc: { $geoWithin: { $polygon: [G(35, -10), G(60, -10), G(60, 10)] } } },
      order: 'name',
    }));
    assert.deepEqual(poly.results.map(o => o.name), ['london'], 'Paris and Madrid lie south of the diagonal');
  });

  describe('where parse-server on PostgreSQL answers otherwise', () => {
    // The guide: "if an explicit order parameter is supplied, it will take
    // precedence over the distance ordering". parsec does so; parse-server on
    // PostgreSQL keeps the distance order.
    test('an explicit order takes precedence over the distance', async () => {
      const res = ordered(await q().near('loc', paris).descending('rank').find());
      assert.deepEqual(res, h.pick(['sydney', 'nyc', 'madrid', 'berlin', 'london', 'paris'], ['paris', 'london', 'berlin', 'madrid', 'nyc', 'sydney']));
    });

    // The guide's $maxDistanceInMiles / InKilometers / InRadians: parsec
    // applies them; parse-server on PostgreSQL ignores them (only the SDK's
    // $maxDistance works there).
    test('$maxDistanceInKilometers / InMiles / InRadians over REST', async () => {
      const G = { __type: 'GeoPoint', latitude: 48.8566, longitude: 2.3522 };
      const all = ['paris', 'london', 'berlin', 'madrid', 'nyc', 'sydney'];
      const run = async extra => h.expectOk(await h.find(server.srv, C, { where: { loc: { $nearSphere: G, ...extra } } })).results.map(o => o.name);
      assert.deepEqual(await run({ $maxDistanceInKilometers: 1000 }), h.pick(['paris', 'london', 'berlin'], all));
      assert.deepEqual(await run({ $maxDistanceInMiles: 220 }), h.pick(['paris', 'london'], all));
      assert.deepEqual(await run({ $maxDistanceInRadians: 0.1 }), h.pick(['paris', 'london'], all));
      assert.deepEqual(await run({ $maxDistance: 0.1 }), ['paris', 'london']);
    });
  });
});
