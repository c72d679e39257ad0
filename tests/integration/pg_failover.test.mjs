// kith on a PostgreSQL server that goes away and comes back (run as
// integration_pg_failover when PostgreSQL is installed). The suite starts a
// cluster of its own (scripts/pg-cluster.sh), never the shared one, and
// stops it under load: calls then fail at once with a clean error in each
// protocol's envelope (APIv4: HTTP 503), /healthz answers 503, no call leaves
// half its writes behind, and once the cluster is back kith serves again by
// itself: no restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const clusterScript = path.resolve(here, '../../scripts/pg-cluster.sh');
const clusterParent = mkdtempSync(path.join(tmpdir(), 'kith-failover-'));
chmodSync(clusterParent, 0o755);  // the cluster's owner (postgres, when run as root) reaches its directory
const clusterDir = path.join(clusterParent, 'pg');
const cluster = (cmd) => execFileSync('bash', [clusterScript, cmd, clusterDir], { encoding: 'utf8' }).trim();

// The harness reads its PostgreSQL server from the environment when loaded.
process.env.KITH_TEST_PG_URL = cluster('start');
process.on('exit', () => { try { cluster('stop'); } catch { /* already gone */ } });
const { startKith, encodeParams } = await import('./harness.mjs');

const API4 = '/civicrm/ajax/api4';
let kith;

before(async () => { kith = await startKith({ threads: 4 }); });
let clusterDown = false;
after(async () => {
  if (clusterDown) cluster('up');  // the harness drops the server's database
  await kith?.stop();
  cluster('stop');
});

async function v4(entityAction, params) {
  const r = await kith.raw(`${API4}/${entityAction}`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`,
      'X-Civi-Key': kith.siteKey,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: encodeParams({ params: JSON.stringify(params) }),
  });
  let body = null;
  try { body = JSON.parse(r.text); } catch { /* checked by the caller */ }
  return { status: r.status, body, text: r.text };
}

// A contact with its primary email in one call: both rows or neither.
let serial = 0;
function createContact() {
  const n = ++serial;
  return v4('Contact/create', {
    values: { contact_type: 'Individual', first_name: `failover${n}`, last_name: 'Load', 'email_primary.email': `failover${n}@example.org` },
  });
}

async function waitFor(what, predicate, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a database outage under load: clean errors, nothing half-written, recovery without restart', async () => {
  assert.equal((await kith.healthz()).status, 200);

  // Four writers create contacts without pause until told to stop.
  const outcomes = [];
  let stop = false;
  const writers = Array.from({ length: 4 }, async () => {
    while (!stop) {
      const started = Date.now();
      let r;
      try { r = await createContact(); } catch (err) { r = { status: 0, text: String(err) }; }
      outcomes.push({ ...r, ms: Date.now() - started });
    }
  });
  await waitFor('writes before the outage', () => outcomes.filter((o) => o.status === 200).length >= 20, 20_000);

  cluster('down');
  clusterDown = true;
  const downAt = outcomes.length;
  await waitFor('/healthz reporting the outage', async () => (await kith.healthz()).status === 503, 5_000);
  const health = await kith.healthz();
  assert.equal(health.status, 503);
  assert.equal(JSON.parse(health.text).status, 'database unavailable');

  // While the database is away every protocol answers with its own error, at once.
  await waitFor('failed writes during the outage', () => outcomes.length - downAt >= 20, 10_000);
  const v4Down = await createContact();
  assert.equal(v4Down.status, 503, v4Down.text);
  assert.equal(v4Down.body.error_code, 0, v4Down.text);
  assert.match(v4Down.body.error_message, /unavailable/i);
  const v3Down = (await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey, api_key: kith.users.admin.apiKey })).json();
  assert.equal(v3Down.is_error, 1, JSON.stringify(v3Down));
  assert.match(v3Down.error_message, /unavailable/i);
  const v2Down = (await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, api_key: kith.users.admin.apiKey, json: 1 })).json();
  assert.equal(v2Down.is_error, 1, JSON.stringify(v2Down));
  const during = outcomes.slice(downAt + 4);  // after the calls already in flight
  for (const o of during) {
    assert.equal(o.status, 503, o.text);
    assert.ok(o.ms < 4_000, `a failed call took ${o.ms} ms`);
  }

  cluster('up');
  clusterDown = false;
  await waitFor('/healthz back to 200', async () => (await kith.healthz()).status === 200, 10_000);
  const upAt = outcomes.length;
  await waitFor('writes after the outage', () => outcomes.slice(upAt).filter((o) => o.status === 200).length >= 20, 10_000);
  stop = true;
  await Promise.all(writers);
  // After the first calls on the reopened pool, every call succeeds.
  const settled = outcomes.slice(upAt + 8);
  assert.ok(settled.length > 0);
  for (const o of settled) assert.equal(o.status, 200, o.text);

  // Every acknowledged contact is there, and no contact lacks its email.
  const acknowledged = outcomes.filter((o) => o.status === 200).map((o) => o.body.values[0].id);
  const rows = await v4('Contact/get', {
    select: ['id', 'first_name', 'email_primary.email'],
    where: [['last_name', '=', 'Load']],
    limit: 0,
  });
  assert.equal(rows.status, 200, rows.text);
  const stored = new Map(rows.body.values.map((c) => [c.id, c]));
  for (const id of acknowledged) assert.ok(stored.has(id), `acknowledged contact ${id} is missing`);
  for (const c of stored.values()) {
    assert.equal(c['email_primary.email'], `${c.first_name}@example.org`, `contact ${c.id} was half written`);
  }
  const emails = await v4('Email/get', { select: ['id'], where: [['email', 'LIKE', 'failover%@example.org']], limit: 0 });
  assert.equal(emails.body.values.length, stored.size, 'an email without its contact');
});
