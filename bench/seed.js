#!/usr/bin/env node
// seed.js - fills a Parse-compatible server with the data bench/run.sh reads.
//
// Environment (run.sh sets all of them):
//   BASE_URL     e.g. http://127.0.0.1:1337/parse
//   APP_ID, MASTER_KEY
//   SEED_ITEMS   number of BenchItem objects (default 3000)
//   SEED_OWNERS  number of BenchOwner objects they point to (default 50)
//   SEED_CHUNK   objects per POST /batch (default 50, parse-server's limit)
//   OUT_DIR      where items.ids and owners.ids are written
//   SEED_INDEXES 1 = also give BenchItem two indexes through the schemas
//                API (PUT /schemas/BenchItem), the same way on every
//                server: bench_category_score {category, score} and
//                bench_name {name}. Default 0: no index beyond objectId.
//
// What it makes (deterministic, so two servers hold the same data):
//   BenchOwner  { name: "owner-NNN", rank: i }
//   BenchItem   { name: "item-NNNNN", score: (i*7919+13) % 1000,
//                 category: "c" + (i % 10), owner: Pointer<BenchOwner> }
//   BenchCreate one object, made with the master key, so that the class
//               exists before the create workload posts to it with a
//               non-master key (parse-server may refuse client class creation).
//   _User       "bench-user" (signed up the first time), logged in: its
//               session token goes to OUT_DIR/session.token for the
//               getsession workload.
// Before seeding it empties BenchItem and BenchOwner (DELETE /purge/<class>,
// or batch deletes where the server has no purge route) so reruns against
// the same database measure the same data.
'use strict';

const fs = require('fs');
const path = require('path');

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:1337/parse').replace(/\/+$/, '');
const APP_ID = process.env.APP_ID || 'app';
const MASTER_KEY = process.env.MASTER_KEY || 'master';
const ITEMS = parseInt(process.env.SEED_ITEMS || '3000', 10);
const OWNERS = parseInt(process.env.SEED_OWNERS || '50', 10);
const CHUNK = parseInt(process.env.SEED_CHUNK || '50', 10);
const OUT_DIR = process.env.OUT_DIR || '.';
const SEED_INDEXES = process.env.SEED_INDEXES === '1';
const BENCH_INDEXES = {
  bench_category_score: { category: 1, score: 1 },
  bench_name: { name: 1 },
};
const MOUNT = new URL(BASE_URL).pathname.replace(/\/+$/, '');

const headers = {
  'X-Parse-Application-Id': APP_ID,
  'X-Parse-Master-Key': MASTER_KEY,
  'Content-Type': 'application/json',
};

async function call(method, p, body) {
  const res = await fetch(BASE_URL + p, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch (_) { json = undefined; }
  return { status: res.status, json, text };
}

function fail(what, r) {
  console.error(`seed: ${what} failed: HTTP ${r.status}: ${r.text.slice(0, 500)}`);
  process.exit(1);
}

async function emptyClass(cls) {
  const r = await call('DELETE', `/purge/${cls}`);
  if (r.status >= 200 && r.status < 300) return;
  // No purge route: delete what is there in batches.
  for (;;) {
    const q = await call('GET', `/classes/${cls}?keys=objectId&limit=1000`);
    if (q.status === 404 || (q.json && q.json.code === 119)) return;
    if (q.status !== 200) fail(`listing ${cls}`, q);
    const ids = q.json.results.map((o) => o.objectId);
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const requests = ids.slice(i, i + CHUNK).map((id) => ({
        method: 'DELETE', path: `${MOUNT}/classes/${cls}/${id}`,
      }));
      const b = await call('POST', '/batch', { requests });
      if (b.status !== 200) fail(`deleting ${cls}`, b);
    }
  }
}

// Creates objects: the first alone (so the schema exists before the batches
// run their requests, possibly in parallel), the rest via POST /batch.
async function createAll(cls, bodies) {
  const ids = [];
  const first = await call('POST', `/classes/${cls}`, bodies[0]);
  if (first.status !== 201 || !first.json || !first.json.objectId) fail(`POST /classes/${cls}`, first);
  ids.push(first.json.objectId);
  for (let i = 1; i < bodies.length; i += CHUNK) {
    const requests = bodies.slice(i, i + CHUNK).map((body) => ({
      method: 'POST', path: `${MOUNT}/classes/${cls}`, body,
    }));
    const r = await call('POST', '/batch', { requests });
    if (r.status !== 200 || !Array.isArray(r.json)) fail(`POST /batch (${cls})`, r);
    for (const entry of r.json) {
      if (!entry.success || !entry.success.objectId) {
        console.error(`seed: batch entry failed: ${JSON.stringify(entry)}`);
        process.exit(1);
      }
      ids.push(entry.success.objectId);
    }
  }
  if (ids.length !== bodies.length) {
    console.error(`seed: made ${ids.length} ${cls}, wanted ${bodies.length}`);
    process.exit(1);
  }
  return ids;
}

// A where clause on purpose: parse-server on PostgreSQL answers an
// unconstrained count from the planner's estimate (pg_class.reltuples),
// which is 0 right after a bulk insert.
async function count(cls, field) {
  const where = encodeURIComponent(JSON.stringify({ [field]: { $exists: true } }));
  const r = await call('GET', `/classes/${cls}?count=1&limit=0&where=${where}`);
  if (r.status !== 200) fail(`counting ${cls}`, r);
  return r.json.count;
}

// Adds whichever of BENCH_INDEXES BenchItem lacks (a rerun on the same
// database finds them there: purging keeps the schema).
async function ensureIndexes() {
  const g = await call('GET', '/schemas/BenchItem');
  if (g.status !== 200) fail('GET /schemas/BenchItem', g);
  const have = (g.json && g.json.indexes) || {};
  const add = {};
  for (const [name, keys] of Object.entries(BENCH_INDEXES)) {
    if (!have[name]) add[name] = keys;
  }
  if (Object.keys(add).length === 0) return;
  const r = await call('PUT', '/schemas/BenchItem', { indexes: add });
  if (r.status !== 200) fail('PUT /schemas/BenchItem (indexes)', r);
}

// Logs the bench user in (signing it up when it does not exist yet) and
// returns a session token.
async function sessionToken() {
  const creds = { username: 'bench-user', password: 'bench-password' };
  let r = await call('POST', '/login', creds);
  if (r.status !== 200) {
    // (a sign-up with the master key answers no session on parse-server)
    const s = await call('POST', '/users', creds);
    if (s.status !== 201) fail('signing up bench-user', s);
    r = await call('POST', '/login', creds);
    if (r.status !== 200) fail('logging in bench-user', r);
  }
  if (!r.json || typeof r.json.sessionToken !== 'string') fail('logging in bench-user', r);
  return r.json.sessionToken;
}

async function main() {
  const t0 = Date.now();
  await emptyClass('BenchItem');
  await emptyClass('BenchOwner');

  const owners = [];
  for (let i = 0; i < OWNERS; i++) {
    owners.push({ name: `owner-${String(i).padStart(3, '0')}`, rank: i });
  }
  const ownerIds = await createAll('BenchOwner', owners);

  const items = [];
  for (let i = 0; i < ITEMS; i++) {
    items.push({
      name: `item-${String(i).padStart(5, '0')}`,
      score: (i * 7919 + 13) % 1000,
      category: `c${i % 10}`,
      owner: { __type: 'Pointer', className: 'BenchOwner', objectId: ownerIds[i % OWNERS] },
    });
  }
  const itemIds = await createAll('BenchItem', items);
  if (SEED_INDEXES) await ensureIndexes();

  const c = await call('POST', '/classes/BenchCreate', { name: 'seed', score: 0, category: 'c0' });
  if (c.status !== 201) fail('POST /classes/BenchCreate', c);

  const nItems = await count('BenchItem', 'score');
  const nOwners = await count('BenchOwner', 'rank');
  if (nItems !== ITEMS || nOwners !== OWNERS) {
    console.error(`seed: server counts ${nItems} BenchItem / ${nOwners} BenchOwner, ` +
      `expected ${ITEMS} / ${OWNERS}`);
    process.exit(1);
  }

  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(path.join(OUT_DIR, 'items.ids'), itemIds.join('\n') + '\n');
  fs.writeFileSync(path.join(OUT_DIR, 'owners.ids'), ownerIds.join('\n') + '\n');
  fs.writeFileSync(path.join(OUT_DIR, 'session.token'), (await sessionToken()) + '\n');
  console.log(`seed: ${ITEMS} BenchItem + ${OWNERS} BenchOwner` +
    `${SEED_INDEXES ? ' + indexes ' + Object.keys(BENCH_INDEXES).join(', ') : ''} in ` +
    `${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

main().catch((e) => { console.error(`seed: ${e.stack || e}`); process.exit(1); });
