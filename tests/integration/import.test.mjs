// `kith import`: records from a CSV file (header row: APIv4 field names)
// created through APIv4's create, all in one transaction, into the data
// directory of a running server; then read back over APIv4 REST. A bad row
// writes nothing and names its line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { KITH_BIN, kithForSuite } from './harness.mjs';

const execFileP = promisify(execFile);

const kith = kithForSuite();

// Runs `kith import` on `csv` (written to a file); resolves {code, stdout, stderr}.
async function runImport(csv, extra = []) {
  const file = path.join(kith.dir, `import-${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, csv);
  try {
    const { stdout, stderr } = await execFileP(
      KITH_BIN, ['import', '--data', kith.dataDir, ...extra, file], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

async function api4(entity, action, params) {
  const r = await kith.raw(`/civicrm/ajax/api4/${entity}/${action}`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `params=${encodeURIComponent(JSON.stringify(params))}`,
  });
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  return r.json();
}

async function contactsNamed(lastName) {
  const body = await api4('Contact', 'get', {
    select: ['id', 'first_name', 'last_name', 'display_name', 'sort_name', 'contact_type',
             'organization_name', 'email_greeting_display', 'email_primary.email',
             'email_primary.location_type_id', 'email_primary.is_primary', 'phone_primary.phone'],
    where: [['last_name', '=', lastName]],
    orderBy: { id: 'ASC' },
  });
  return body.values;
}

test('imports contacts with their primary email and phone, quoted fields included', async () => {
  const csv = [
    'contact_type,first_name,last_name,email_primary.email,phone_primary.phone',
    'Individual,Ada,Importson,ADA@Example.org,555-0101',
    '"Individual","Grace ""Amazing""",Importson,grace@example.org,',
    'Individual,"Hopper, Jr",Importson,,',
    '',
  ].join('\r\n');
  const r = await runImport(csv);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Imported 3 Contact records/);

  const rows = await contactsNamed('Importson');
  assert.equal(rows.length, 3);
  assert.equal(rows[0].display_name, 'Ada Importson');
  assert.equal(rows[0].sort_name, 'Importson, Ada');
  assert.equal(rows[0].email_greeting_display, 'Dear Ada');
  // The rules of a create apply: the email is trimmed and lower-cased, made
  // primary, with the default location type.
  assert.equal(rows[0]['email_primary.email'], 'ada@example.org');
  assert.equal(rows[0]['email_primary.is_primary'], true);
  assert.equal(rows[0]['email_primary.location_type_id'], 1);
  assert.equal(rows[0]['phone_primary.phone'], '555-0101');
  assert.equal(rows[1].first_name, 'Grace "Amazing"');
  assert.equal(rows[1]['email_primary.email'], 'grace@example.org');
  assert.equal(rows[1]['phone_primary.phone'], null);
  // An empty cell leaves the field out: no email for the third.
  assert.equal(rows[2].first_name, 'Hopper, Jr');
  assert.equal(rows[2]['email_primary.email'], null);
});

test('other entities by --entity: an Organization by its name', async () => {
  const r = await runImport('organization_name,contact_type\nImport Widgets Ltd,Organization\n',
    ['--entity', 'Contact']);
  assert.equal(r.code, 0, r.stderr);
  const body = await api4('Contact', 'get', {
    select: ['display_name', 'contact_type'],
    where: [['organization_name', '=', 'Import Widgets Ltd']],
  });
  assert.equal(body.values.length, 1);
  assert.equal(body.values[0].contact_type, 'Organization');
  assert.equal(body.values[0].display_name, 'Import Widgets Ltd');
});

test('a bad row writes nothing and its line is named', async () => {
  const csv = [
    'first_name,last_name,email_primary.email',
    'Kept,Rollbackson,kept@example.org',
    'Broken,Rollbackson,not-an-email',
  ].join('\n');
  const r = await runImport(csv);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 3: .*email/);
  assert.equal((await contactsNamed('Rollbackson')).length, 0);
});

test('an unknown field, a short row and bad CSV are refused before anything is written', async () => {
  let r = await runImport('first_name,last_name,shoe_size\nA,Refusedson,42\n');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 2: .*shoe_size/);

  r = await runImport('first_name,last_name\nA,Refusedson\nB\n');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 3: 1 fields, the header has 2/);

  r = await runImport('first_name,last_name\n"A,Refusedson\n');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 2: a quoted field is not closed/);

  r = await runImport('');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /empty/);

  r = await runImport('first_name\nA\n', ['--entity', 'NoSuchThing']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot import NoSuchThing/);

  assert.equal((await contactsNamed('Refusedson')).length, 0);
});

// Whole contact rows and their emails, phones and addresses, for the
// contacts whose source is `source`, in id order, with what differs by
// nature between two creates (ids, hash, dates, the source itself) left out.
async function storedBySource(source) {
  const contacts = (await api4('Contact', 'get', {
    select: ['*'], where: [['source', '=', source]], orderBy: { id: 'ASC' },
  })).values;
  const ids = contacts.map((c) => c.id);
  const related = {};
  for (const entity of ['Email', 'Phone', 'Address']) {
    const rows = (await api4(entity, 'get', {
      select: ['*'], where: [['contact_id', 'IN', ids]], orderBy: { id: 'ASC' },
    })).values;
    related[entity] = rows.map(({ id, contact_id: contactId, ...rest }) => ({
      contact: ids.indexOf(contactId), ...rest,
    }));
  }
  const rows = contacts.map(({ id, hash, created_date: c, modified_date: m, source: s, ...rest }) => rest);
  return { rows, ...related };
}

test('a row the database refuses, written while later rows go on, writes nothing and names its line', async () => {
  // The clash is found by the store's writer thread after the rows behind it
  // were read (the import pipelines its inserts).
  const lines = ['first_name,last_name,external_identifier'];
  for (let i = 1; i <= 1500; i++) lines.push(`Queued${i},Clashson,clash-${i}`);
  lines.push('Again,Clashson,clash-700');
  for (let i = 1; i <= 200; i++) lines.push(`After${i},Clashson,after-${i}`);
  const r = await runImport(lines.join('\n'));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 1502: .*already exists/);
  assert.equal((await contactsNamed('Clashson')).length, 0);
});

test('an import stores exactly what one APIv4 create per row stores', async () => {
  const header = ['contact_type', 'first_name', 'last_name', 'organization_name', 'household_name',
                  'email_primary.email', 'phone_primary.phone', 'source'];
  const records = [
    ['Individual', 'Ada', 'Samerow', '', '', ' ADA@Example.org ', '555-0101'],
    ['Individual', '', '', '', '', 'nameless@example.org', ''],  // names from the email
    ['', 'Guessed', 'Samerow', '', '', 'guessed@example.org', ''],  // type guessed
    ['Organization', '', '', 'Samerow Widgets', '', 'office@widgets.example', '555-0199'],
    ['Household', '', '', '', 'The Samerows', '', ''],
    ['Individual', 'Only', '', '', '', '', '555-0102'],
  ];
  const csv = [header.join(',')]
    .concat(records.map((r) => [...r, 'same-import'].map((c) => `"${c}"`).join(',')))
    .join('\n');
  const r = await runImport(csv);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Imported 6 Contact records/);
  for (const record of records) {
    const values = { source: 'same-api' };
    record.forEach((cell, i) => { if (cell !== '') values[header[i]] = cell; });
    await api4('Contact', 'create', { values });
  }
  const imported = await storedBySource('same-import');
  const created = await storedBySource('same-api');
  assert.equal(imported.rows.length, 6);
  assert.equal(imported.rows[1].display_name, 'nameless@example.org');
  assert.equal(imported.Email.length, 4);
  assert.deepEqual(imported, created);
});

test('a bad row after many good ones writes nothing and names its line', async () => {
  const lines = ['first_name,last_name,email_primary.email,source'];
  for (let i = 1; i <= 300; i++) lines.push(`Many${i},Lateson,many${i}@example.org,late-bad`);
  lines.push('Broken,Lateson,broken-at-the-end,late-bad');
  const r = await runImport(lines.join('\n'));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 302: .*email/);
  assert.equal((await contactsNamed('Lateson')).length, 0);
});
