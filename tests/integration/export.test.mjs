// `kith export`: every matching record as CSV (a header row kith import
// takes back) or NDJSON, page by page; and the round trip export -> import
// into an empty data directory -> export, which gives the same file but
// the ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { adminApi4, kithForSuite, runKith, startKith } from './harness.mjs';

const kith = kithForSuite();

const run = runKith;
const api4 = (entity, action, params) => adminApi4(kith, entity, action, params);

const SOURCE_WHERE = JSON.stringify([['source', '=', 'export-rt']]);

// Contacts of every kind with their primary blocks, flags, lists and text
// that CSV has to quote.
async function seed() {
  const records = [
    { contact_type: 'Individual', first_name: 'Ada', last_name: 'Exportson', nick_name: 'A, "the first"',
      external_identifier: 'exp-1', do_not_email: true, job_title: 'Line one\nline two',
      preferred_communication_method: ['1', '2'], birth_date: '1815-12-10', gender_id: 1,
      'email_primary.email': 'ada@export.example', 'email_primary.on_hold': 1,
      'phone_primary.phone': '555-0101', 'phone_primary.phone_type_id': 2,
      'address_primary.street_address': '1 Engine Way', 'address_primary.city': 'London',
      'address_primary.postal_code': '01234', 'address_primary.country_id': 1226 },
    { contact_type: 'Organization', organization_name: 'Export Widgets Ltd', legal_name: 'Export Widgets Limited',
      'email_primary.email': 'office@widgets.example' },
    { contact_type: 'Household', household_name: 'The Exportsons' },
    { contact_type: 'Individual', first_name: 'Émile', last_name: 'Exportson', prefix_id: 3 },
  ];
  for (const values of records) {
    await api4('Contact', 'create', { values: { ...values, source: 'export-rt' } });
  }
  // In the trash: not exported.
  const trashed = await api4('Contact', 'create', { values: { first_name: 'Gone', last_name: 'Exportson', source: 'export-rt' } });
  await api4('Contact', 'delete', { where: [['id', '=', trashed.values[0].id]] });
}

function withoutIds(csv) {
  return csv.split('\n').map((line, i) => (i === 0 ? line : line.replace(/^\d+,/, 'ID,'))).join('\n');
}

test('export -> import into an empty data directory -> export: the same file but the ids', async () => {
  await seed();
  const first = path.join(kith.dir, 'export-1.csv');
  let r = await run(['export', '--data', kith.dataDir, '--where', SOURCE_WHERE, '--output', first]);
  assert.equal(r.code, 0, r.stderr);
  const a = await readFile(first, 'utf8');
  const lines = a.trim().split('\n');
  const header = lines[0].split(',');
  assert.equal(header[0], 'id');
  for (const column of ['contact_type', 'first_name', 'organization_name', 'external_identifier',
    'email_primary.email', 'phone_primary.phone', 'address_primary.city', 'address_primary.country_id']) {
    assert.ok(header.includes(column), column);
  }
  for (const computed of ['display_name', 'sort_name', 'hash', 'created_date', 'employer_id']) {
    assert.ok(!header.includes(computed), computed);
  }
  assert.equal(a.match(/Exportson|Export Widgets|The Exportsons/g).length >= 4, true);
  assert.doesNotMatch(a, /Gone/);
  assert.match(a, /"A, ""the first"""/);
  assert.match(a, /"Line one\nline two"/);

  const empty = await startKith();
  try {
    // A contact of its own first: the imported ones get other ids.
    r = await run(['api', 'Contact', 'create', 'first_name=Before', '--data', empty.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(['import', '--data', empty.dataDir, first]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Imported 4 Contact records: 4 created/);
    const second = path.join(kith.dir, 'export-2.csv');
    r = await run(['export', '--data', empty.dataDir, '--where', SOURCE_WHERE, '--output', second]);
    assert.equal(r.code, 0, r.stderr);
    const b = await readFile(second, 'utf8');
    assert.equal(withoutIds(b), withoutIds(a));
    assert.notEqual(b, a);  // the ids differ
  } finally {
    await empty.stop();
  }
});

test('--select, --format ndjson, --page and standard output', async () => {
  const where = JSON.stringify([['last_name', '=', 'Exportson']]);
  let r = await run(['export', '--data', kith.dataDir, '--where', where, '--select', 'first_name,email_primary.email']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'first_name,email_primary.email\nAda,ada@export.example\nÉmile,\n');

  const paged = await run(['export', '--data', kith.dataDir, '--where', where, '--select', 'first_name,email_primary.email', '--page', '1']);
  assert.equal(paged.stdout, r.stdout);

  r = await run(['export', '--data', kith.dataDir, '--where', where, '--select', 'id,first_name,do_not_email', '--format', 'ndjson']);
  assert.equal(r.code, 0, r.stderr);
  const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map(({ id, ...rest }) => rest), [
    { first_name: 'Ada', do_not_email: true }, { first_name: 'Émile', do_not_email: false }]);
  assert.ok(records[0].id < records[1].id);

  // Every contact but those in the trash, in id order, one page or many.
  const all = await run(['export', '--data', kith.dataDir, '--select', 'id']);
  const allPaged = await run(['export', '--data', kith.dataDir, '--select', 'id', '--page', '2']);
  assert.equal(allPaged.stdout, all.stdout);
  const ids = all.stdout.trim().split('\n').slice(1).map(Number);
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  assert.ok(ids.length >= 7);

  // Another entity.
  r = await run(['export', '--data', kith.dataDir, '--entity', 'Email', '--select', 'email',
    '--where', JSON.stringify([['email', 'LIKE', '%export.example']])]);
  assert.equal(r.stdout, 'email\nada@export.example\n');
});

test('bad options are refused with a non-zero exit', async () => {
  let r = await run(['export', '--data', kith.dataDir, '--where', '{"a":1}']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--where takes an APIv4 where/);
  r = await run(['export', '--data', kith.dataDir, '--where', '[[']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--where is not valid JSON/);
  r = await run(['export', '--data', kith.dataDir, '--select', 'shoe_size']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Contact has no field shoe_size/);
  r = await run(['export', '--data', kith.dataDir, '--entity', 'Nothing']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot export Nothing/);
  r = await run(['export', '--data', kith.dataDir, '--format', 'xml']);
  assert.notEqual(r.code, 0);
  r = await run(['export', '--data', kith.dataDir, '--output', path.join(kith.dir, 'no-such-dir', 'x.csv')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot write/);
  r = await run(['export', '--data', path.join(kith.dir, 'no-such-data')]);
  assert.equal(r.code, 1);
});
