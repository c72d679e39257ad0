// kith migrate-store (run as integration_pg_migrate_store, with
// KITH_TEST_PG_URL): data written through the API on SQLite is copied into
// an empty PostgreSQL database, the data directory switched over, and the
// same server binary then serves the same answers from PostgreSQL: contacts
// with their emails, groups and members, custom fields with their values,
// users with their api keys, sessions. A database that has tables is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// The servers here start on SQLite: the harness must not see the PostgreSQL URL.
const PG = process.env.KITH_TEST_PG_URL;
process.env.KITH_TEST_PG_URL = '';
const { startKith, encodeParams, kithCli, serveDataDir } = await import('./harness.mjs');

const API4 = '/civicrm/ajax/api4';
const psql = (url, sql) => execFileSync('psql', [url, '-qtA', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
const withDatabase = (db) => { const u = new URL(PG); u.pathname = `/${db}`; return u.toString(); };
const databases = [];
function freshDatabase() {
  const db = `kith_migrate_${process.pid}_${databases.length}`;
  psql(PG, `DROP DATABASE IF EXISTS ${db}`);
  psql(PG, `CREATE DATABASE ${db}`);
  databases.push(db);
  return db;
}

let kith;
after(async () => {
  await kith?.stop();
  for (const db of databases) psql(PG, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
});

async function v4(server, entityAction, params, apiKey = server.users.admin.apiKey) {
  const r = await server.raw(`${API4}/${entityAction}`, {
    method: 'POST',
    headers: { 'X-Civi-Auth': `Bearer ${apiKey}`, 'X-Civi-Key': server.siteKey, 'content-type': 'application/x-www-form-urlencoded' },
    body: encodeParams({ params: JSON.stringify(params) }),
  });
  assert.equal(r.status, 200, `${entityAction}: ${r.text}`);
  return JSON.parse(r.text).values;
}

// Everything the test compares before and after the move.
async function answers(server) {
  return {
    contacts: await v4(server, 'Contact/get', {
      select: ['id', 'display_name', 'contact_type', 'email_primary.email', 'Move_Info.Shoe_Size', 'Move_Info.Nickname', 'employer_id'],
      orderBy: { id: 'ASC' }, limit: 0,
    }),
    emails: await v4(server, 'Email/get', { select: ['id', 'contact_id', 'email', 'is_primary'], orderBy: { id: 'ASC' }, limit: 0 }),
    groups: await v4(server, 'Group/get', { select: ['id', 'title', 'name'], orderBy: { id: 'ASC' }, limit: 0 }),
    members: await v4(server, 'GroupContact/get', { select: ['id', 'group_id', 'contact_id', 'status'], orderBy: { id: 'ASC' }, limit: 0 }),
    fields: await v4(server, 'CustomField/get', { select: ['id', 'name', 'custom_group_id', 'data_type'], orderBy: { id: 'ASC' }, limit: 0 }),
  };
}

// `kith serve` over an existing data directory (the harness makes new ones).
async function serve(dataDir, base) {
  const server = await serveDataDir(dataDir);
  const { baseUrl } = server;
  return {
    ...base,
    baseUrl,
    async raw(path, init) {
      const res = await fetch(baseUrl + path, init);
      return { status: res.status, text: await res.text() };
    },
    async call(params) {
      const res = await fetch(`${baseUrl}/civicrm/extern/rest.php?${encodeParams(params)}`);
      return JSON.parse(await res.text());
    },
    async stop() {
      await server.stop();
    },
  };
}

test('a SQLite data directory moves to PostgreSQL with every answer kept', { skip: !PG && 'needs KITH_TEST_PG_URL' }, async () => {
  kith = await startKith();
  const group = (await v4(kith, 'CustomGroup/create', { values: { title: 'Move Info', extends: 'Contact' } }))[0];
  await v4(kith, 'CustomField/create', { values: { custom_group_id: group.id, label: 'Shoe Size', data_type: 'Int', html_type: 'Text' } });
  await v4(kith, 'CustomField/create', { values: { custom_group_id: group.id, label: 'Nickname', data_type: 'String', html_type: 'Text' } });
  const org = (await v4(kith, 'Contact/create', { values: { contact_type: 'Organization', organization_name: 'Moving Co' } }))[0];
  const mailing = (await v4(kith, 'Group/create', { values: { title: 'Movers' } }))[0];
  for (let i = 1; i <= 25; i++) {
    const c = (await v4(kith, 'Contact/create', {
      values: {
        contact_type: 'Individual', first_name: `Mover${i}`, last_name: 'Smith', employer_id: org.id,
        'email_primary.email': `mover${i}@example.org`, 'Move_Info.Shoe_Size': 30 + i, 'Move_Info.Nickname': `m${i}`,
      },
    }))[0];
    if (i % 2 === 0) await v4(kith, 'GroupContact/create', { values: { group_id: mailing.id, contact_id: c.id } });
  }
  // A deleted contact leaves a gap in the ids, which must stay one.
  const gone = (await v4(kith, 'Contact/create', { values: { contact_type: 'Individual', first_name: 'Gone' } }))[0];
  const last = (await v4(kith, 'Contact/create', { values: { contact_type: 'Individual', first_name: 'Last' } }))[0];
  await v4(kith, 'Contact/delete', { where: [['id', '=', gone.id]], useTrash: false });
  const login = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'editor', pass: kith.users.editor.password, json: 1 });
  const session = login.json().PHPSESSID;
  assert.ok(session);
  const before = await answers(kith);
  const { dataDir, siteKey, users } = kith;
  // The server stops; its data directory stays (after() removes it).
  const exited = new Promise((resolve) => kith.child.once('exit', resolve));
  kith.child.kill('SIGTERM');
  await exited;

  // A database that has tables is refused, and kith.toml stays as it was.
  const busy = freshDatabase();
  psql(withDatabase(busy), 'CREATE TABLE something (id INT)');
  const toml = await readFile(`${dataDir}/kith.toml`, 'utf8');
  await assert.rejects(kithCli(['migrate-store', '--data', dataDir, '--to', withDatabase(busy)]), /already has tables/);
  assert.equal(await readFile(`${dataDir}/kith.toml`, 'utf8'), toml);

  const target = freshDatabase();
  const out = await kithCli(['migrate-store', '--data', dataDir, '--to', withDatabase(target)]);
  assert.match(out, /counts checked/);
  const copied = Number(/Contact: (\d+) rows/.exec(out)?.[1]);
  assert.ok(copied >= 30, out);  // 3 users' contacts, the organization, 25 movers, Last
  assert.match(await readFile(`${dataDir}/kith.toml`, 'utf8'), new RegExp(`database = "${withDatabase(target)}"`));

  const moved = await serve(dataDir, { siteKey, users });
  try {
    assert.deepEqual(await answers(moved), before);
    // The api key and the session opened on SQLite still work.
    const viewerSees = await v4(moved, 'Contact/get', { select: ['id'], where: [['last_name', '=', 'Smith']], limit: 0 }, users.viewer.apiKey);
    assert.equal(viewerSees.length, 25);
    const bySession = await moved.call({ q: 'civicrm/contact/search_count', key: siteKey, PHPSESSID: session, json: 1 });
    assert.equal(bySession.is_error, 0, JSON.stringify(bySession));
    // New rows take ids past the copied ones, and custom values are writable.
    const fresh = (await v4(moved, 'Contact/create', { values: { contact_type: 'Individual', first_name: 'After', 'Move_Info.Shoe_Size': 44 } }))[0];
    assert.ok(fresh.id > last.id, `new id ${fresh.id} after ${last.id}`);
    const read = await v4(moved, 'Contact/get', { select: ['Move_Info.Shoe_Size'], where: [['id', '=', fresh.id]] });
    assert.equal(read[0]['Move_Info.Shoe_Size'], 44);
    // The data is in PostgreSQL: the database holds the movers.
    assert.equal(psql(withDatabase(target), "SELECT COUNT(*) FROM civicrm_contact WHERE last_name = 'Smith'"), '25');
    assert.equal(Number(psql(withDatabase(target), 'SELECT COUNT(*) FROM civicrm_contact')), copied + 1);
    assert.equal(psql(withDatabase(target), `SELECT COUNT(*) FROM civicrm_contact WHERE id = ${gone.id}`), '0');
  } finally {
    await moved.stop();
  }
});
