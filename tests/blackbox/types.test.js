'use strict';
// Every Parse data type round-trips through create and read.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const server = h.useServer();

// Create with `value` under `field`, read it back by GET and by a query.
async function roundTrip(className, field, value, extra = {}) {
  const created = await h.createObject(server.srv, className, { [field]: value, ...extra });
  const got = await h.getObject(server.srv, className, created.objectId);
  const res = await h.find(server.srv, className, { where: { objectId: created.objectId } });
  const list = h.expectOk(res);
  assert.equal(list.results.length, 1);
  return { got: got[field], queried: list.results[0][field], id: created.objectId, full: got };
}

describe('scalar values', () => {
  const cases = [
    ['ascii string', 'hello world'],
    ['empty string', ''],
    ['unicode string', 'héllo wörld – 日本語 – עברית – 😀🎉 – \u00e9\u0301'],
    ['string with JSON specials', 'quote " backslash \\ slash / newline \n tab \t cr \r ctrl \u0001'],
    ['long string', 'x'.repeat(20000)],
    ['integer', 42],
    ['zero', 0],
    ['negative integer', -17],
    ['float', 3.25],
    ['small float', 0.1],
    ['large float', 1.5e300],
    ['2^53 - 1', 9007199254740991],
    ['true', true],
    ['false', false],
  ];
  for (const [name, value] of cases) {
    test(`${name} round-trips`, async () => {
      const C = h.uniqueClass('TyScalar');
      const { got, queried } = await roundTrip(C, 'v', value);
      assert.deepEqual(got, value);
      assert.deepEqual(queried, value);
      assert.equal(typeof got, typeof value);
    });
  }

  test('more float precision cases round-trip exactly', async () => {
    const C = h.uniqueClass('TyFloat');
    const value = { a: 0.30000000000000004, b: 123456789.12345679, c: 1e-300, d: -2.5e-5, e: 4503599627370497.5 - 0.5 };
    const created = await h.createObject(server.srv, C, value);
    const got = await h.getObject(server.srv, C, created.objectId);
    for (const k of Object.keys(value)) assert.equal(got[k], value[k], `field ${k}`);
  });

  test('integers beyond 64 bits are stored as (double) numbers, as JavaScript reads them', async () => {
    const C = h.uniqueClass('TyBigInt');
    for (const literal of ['9223372036854775808', '12345678901234567890', '-9223372036854775809', '1e21']) {
      const res = await h.request(server.srv, 'POST', `/classes/${C}`, { raw: `{"v":${literal}}` });
      const created = h.expectOk(res, 201);
      const got = await h.getObject(server.srv, C, created.objectId);
      assert.equal(got.v, JSON.parse(literal), `literal ${literal}`);
    }
  });

  test('a Date without milliseconds or with an offset is normalised to UTC with milliseconds', async () => {
    const C = h.uniqueClass('TyDateNorm');
    const created = await h.createObject(server.srv, C, {
      a: { __type: 'Date', iso: '2020-01-01T00:00:00Z' },
      b: { __type: 'Date', iso: '2020-01-01T05:30:00.000+05:30' },
    });
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.deepEqual(got.a, { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' });
    assert.deepEqual(got.b, { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' });
  });

  test('JSON escapes (surrogate pairs, \\u00e9) decode to the characters', async () => {
    const C = h.uniqueClass('TyEscape');
    const res = await h.request(server.srv, 'POST', `/classes/${C}`, { raw: '{"s":"\\ud83d\\ude00 \\u00e9 \\u2028"}' });
    const created = h.expectOk(res, 201);
    assert.equal((await h.getObject(server.srv, C, created.objectId)).s, '\ud83d\ude00 \u00e9 \u2028');
  });

  // A null field reads back as absent on parsec as on parse-server with
  // PostgreSQL: typed columns hold NULL for both, and the SDKs treat a
  // missing field and a null one alike.
  test('a null field reads back as absent, never as another value', async () => {
    const C = h.uniqueClass('TyNull');
    const { full } = await roundTrip(C, 'v', null, { other: 1 });
    assert.equal(full.other, 1);
    assert.ok(full.v === null || full.v === undefined, `v is ${JSON.stringify(full.v)}`);
    if (h.IS_PARSEC) assert.ok(!Object.prototype.hasOwnProperty.call(full, 'v'));
  });

  test('setting a field to null by PUT clears it', async () => {
    const C = h.uniqueClass('TyNullPut');
    const created = await h.createObject(server.srv, C, { v: 'x', w: 2 });
    h.expectOk(await h.request(server.srv, 'PUT', `/classes/${C}/${created.objectId}`, { body: { v: null } }));
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.ok(got.v === null || got.v === undefined, `v should be null or absent, got ${JSON.stringify(got.v)}`);
    assert.equal(got.w, 2);
  });
});

describe('structured values', () => {
  test('mixed array round-trips in order', async () => {
    const C = h.uniqueClass('TyArray');
    const value = [1, 'two', { three: 3 }, [4, [5]], null, true, false, 2.5, ''];
    const { got, queried } = await roundTrip(C, 'arr', value);
    assert.deepEqual(got, value);
    assert.deepEqual(queried, value);
  });

  test('empty array and empty object round-trip', async () => {
    const C = h.uniqueClass('TyEmpty');
    const created = await h.createObject(server.srv, C, { arr: [], obj: {} });
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.deepEqual(got.arr, []);
    assert.deepEqual(got.obj, {});
  });

  test('nested object round-trips', async () => {
    const C = h.uniqueClass('TyObject');
    const value = { a: { b: { c: [1, 2, { d: 'deep' }] } }, x: 'y', n: null, t: true, num: -1.5, s: 'ü' };
    const { got, queried } = await roundTrip(C, 'obj', value);
    assert.deepEqual(got, value);
    assert.deepEqual(queried, value);
  });
});

describe('special types', () => {
  test('Date round-trips with milliseconds', async () => {
    const C = h.uniqueClass('TyDate');
    const value = { __type: 'Date', iso: '2020-01-02T03:04:05.678Z' };
    const { got, queried } = await roundTrip(C, 'when', value);
    assert.deepEqual(got, value);
    assert.deepEqual(queried, value);
  });

  test('Dates before 1970 and far in the future round-trip', async () => {
    const C = h.uniqueClass('TyDate2');
    const early = { __type: 'Date', iso: '1901-12-13T20:45:52.001Z' };
    const late = { __type: 'Date', iso: '2999-12-31T23:59:59.999Z' };
    const created = await h.createObject(server.srv, C, { early, late });
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.deepEqual(got.early, early);
    assert.deepEqual(got.late, late);
  });

  test('Pointer round-trips', async () => {
    const C = h.uniqueClass('TyPtr');
    const value = { __type: 'Pointer', className: 'SomeOtherClass', objectId: 'abcdefghij' };
    const { got, queried } = await roundTrip(C, 'ptr', value);
    assert.deepEqual(got, value);
    assert.deepEqual(queried, value);
  });

  test('GeoPoint round-trips', async () => {
    const C = h.uniqueClass('TyGeo');
    const value = { __type: 'GeoPoint', latitude: 40.5, longitude: -73.25 };
    const { got, queried } = await roundTrip(C, 'loc', value);
    assert.deepEqual(got, value);
    assert.deepEqual(queried, value);
  });

  test('File keeps its type and name and has a url', async () => {
    const C = h.uniqueClass('TyFile');
    const value = { __type: 'File', name: 'd41d8cd9-hello.txt', url: `${server.srv.url}/files/app/d41d8cd9-hello.txt` };
    const { got, queried } = await roundTrip(C, 'f', value);
    for (const v of [got, queried]) {
      assert.equal(v.__type, 'File');
      assert.equal(v.name, value.name);
      assert.equal(typeof v.url, 'string');
      assert.ok(v.url.endsWith(value.name), `url ${v.url} should end with the file name`);
    }
  });

  test('Bytes round-trips', async () => {
    const C = h.uniqueClass('TyBytes');
    const value = { __type: 'Bytes', base64: Buffer.from([0, 1, 2, 3, 254, 255]).toString('base64') };
    const { got, queried } = await roundTrip(C, 'b', value);
    assert.deepEqual(got, value);
    assert.deepEqual(queried, value);
  });

  test('Polygon round-trips (a closing point may be added)', async () => {
    const C = h.uniqueClass('TyPoly');
    const coordinates = [[0, 0], [0, 1.5], [1, 1], [1, 0]];
    const { got, queried } = await roundTrip(C, 'poly', { __type: 'Polygon', coordinates });
    for (const v of [got, queried]) {
      assert.equal(v.__type, 'Polygon');
      const closed = [...coordinates, coordinates[0]];
      assert.ok(
        JSON.stringify(v.coordinates) === JSON.stringify(coordinates) || JSON.stringify(v.coordinates) === JSON.stringify(closed),
        `unexpected coordinates ${JSON.stringify(v.coordinates)}`,
      );
    }
  });

  test('AddRelation creates a Relation field shown as {__type: Relation, className}', async () => {
    const C = h.uniqueClass('TyRel');
    const Target = h.uniqueClass('TyRelTarget');
    const t = await h.createObject(server.srv, Target, { n: 1 });
    const created = await h.createObject(server.srv, C, {
      members: { __op: 'AddRelation', objects: [{ __type: 'Pointer', className: Target, objectId: t.objectId }] },
    });
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.deepEqual(got.members, { __type: 'Relation', className: Target });
  });

  test('all types together in one object, twice (second object uses the stored schema)', async () => {
    const C = h.uniqueClass('TyAll');
    const value = {
      s: 'str',
      n: 1.25,
      b: false,
      a: [1, 'a'],
      o: { k: 'v' },
      d: { __type: 'Date', iso: '2011-08-21T18:02:52.249Z' },
      p: { __type: 'Pointer', className: 'Whatever', objectId: 'zyxwvutsrq' },
      g: { __type: 'GeoPoint', latitude: -33.5, longitude: 151.25 },
      by: { __type: 'Bytes', base64: 'aGVsbG8=' },
    };
    for (let i = 0; i < 2; i++) {
      const created = await h.createObject(server.srv, C, value);
      const got = await h.getObject(server.srv, C, created.objectId);
      for (const k of Object.keys(value)) assert.deepEqual(got[k], value[k], `field ${k}`);
    }
  });

  test('a Date can be updated by PUT', async () => {
    const C = h.uniqueClass('TyDatePut');
    const created = await h.createObject(server.srv, C, { when: { __type: 'Date', iso: '2020-01-01T00:00:00.000Z' } });
    const next = { __type: 'Date', iso: '2021-06-15T12:30:45.123Z' };
    h.expectOk(await h.request(server.srv, 'PUT', `/classes/${C}/${created.objectId}`, { body: { when: next } }));
    assert.deepEqual((await h.getObject(server.srv, C, created.objectId)).when, next);
  });
});

describe('built-in fields', () => {
  test('createdAt and updatedAt are ISO-8601 UTC with milliseconds; updatedAt moves on update', async () => {
    const C = h.uniqueClass('TyStamps');
    const created = await h.createObject(server.srv, C, { n: 1 });
    assert.match(created.createdAt, h.ISO_MS);
    await h.sleep(20);
    const put = h.expectOk(await h.request(server.srv, 'PUT', `/classes/${C}/${created.objectId}`, { body: { n: 2 } }));
    assert.match(put.updatedAt, h.ISO_MS);
    assert.ok(Date.parse(put.updatedAt) > Date.parse(created.createdAt), 'updatedAt after the update is later than createdAt');
    const got = await h.getObject(server.srv, C, created.objectId);
    assert.equal(got.createdAt, created.createdAt);
    assert.equal(got.updatedAt, put.updatedAt);
  });
});

describe('types through the Parse JS SDK', () => {
  test('Date, GeoPoint, Polygon and a pointer come back as SDK types', async () => {
    const Parse = h.parseSdk(server.srv);
    const C = h.uniqueClass('TySdk');
    const Other = h.uniqueClass('TySdkOther');
    const other = await new Parse.Object(Other, { k: 1 }).save();
    const when = new Date('2019-05-06T07:08:09.010Z');
    const o = new Parse.Object(C, {
      when,
      where: new Parse.GeoPoint(12.5, -45.25),
      area: new Parse.Polygon([[0, 0], [0, 1], [1, 1]]),
      other,
      nums: [1, 2.5, -3],
      map: { nested: { deeper: 'yes' } },
      text: 'naïve café',
      flag: false,
    });
    await o.save();
    const got = await new Parse.Query(C).get(o.id);
    assert.ok(got.get('when') instanceof Date);
    assert.equal(got.get('when').toISOString(), when.toISOString());
    assert.ok(got.get('where') instanceof Parse.GeoPoint);
    assert.equal(got.get('where').latitude, 12.5);
    assert.equal(got.get('where').longitude, -45.25);
    assert.ok(got.get('area') instanceof Parse.Polygon);
    assert.equal(got.get('other').className, Other);
    assert.equal(got.get('other').id, other.id);
    assert.deepEqual(got.get('nums'), [1, 2.5, -3]);
    assert.deepEqual(got.get('map'), { nested: { deeper: 'yes' } });
    assert.equal(got.get('text'), 'naïve café');
    assert.equal(got.get('flag'), false);
  });
});
