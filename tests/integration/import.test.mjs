// `kith import`: records from a CSV file (header row: APIv4 field names)
// created through APIv4's create into the data directory of a running
// server; then read back over APIv4 REST. With --all-or-nothing a bad row
// writes nothing and names its line; in batches (the default) it is
// rejected and the others are imported. Column maps, matching, groups and
// tags, reject files, progress and the summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { adminApi4, kithForSuite, runKith } from './harness.mjs';

const kith = kithForSuite();

// Runs `kith import` on `csv` (written to a file); resolves {code, stdout, stderr}.
async function runImport(csv, extra = []) {
  const file = path.join(kith.dir, `import-${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, csv);
  return runKith(['import', '--data', kith.dataDir, ...extra, file]);
}

const api4 = (entity, action, params) => adminApi4(kith, entity, action, params);

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

test('--all-or-nothing: a bad row writes nothing and its line is named', async () => {
  const csv = [
    'first_name,last_name,email_primary.email',
    'Kept,Rollbackson,kept@example.org',
    'Broken,Rollbackson,not-an-email',
  ].join('\n');
  const r = await runImport(csv, ['--all-or-nothing']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 3: .*email/);
  assert.equal((await contactsNamed('Rollbackson')).length, 0);
});

test('an unknown field, a short row and bad CSV are refused before anything is written', async () => {
  let r = await runImport('first_name,last_name,shoe_size\nA,Refusedson,42\n');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 2: .*shoe_size/);

  r = await runImport('first_name,last_name\nA,Refusedson\nB\n', ['--all-or-nothing']);
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
  const r = await runImport(lines.join('\n'), ['--all-or-nothing']);
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

test('mapped, ignored, custom, suffixed and unknown columns: each row stored as its own APIv4 create stores it, or rejected with its reason', async () => {
  // The import resolves each header column once (WriteKeys) for every row.
  const group = (await api4('CustomGroup', 'create', {
    values: { name: 'ImportKeys', title: 'Import Keys', extends: 'Contact' },
  })).values[0];
  await api4('CustomField', 'create', {
    values: { custom_group_id: group.id, name: 'shoe_size', label: 'Shoe size', data_type: 'Int', html_type: 'Text' },
  });
  const header = ['contact_type', 'first_name', 'last_name', 'E-mail', 'Phone', 'gender_id:label',
                  'preferred_mail_format', 'ImportKeys.shoe_size', 'Ignored', 'bogus'];
  const renamed = { 'E-mail': 'email_primary.email', Phone: 'phone_primary.phone' };
  const records = [
    ['Individual', 'Ada', 'Keyson', 'ADA@example.org', '555-0101', 'Female', 'HTML', '38', 'x', ''],
    ['', 'Bo', 'Keyson', '', '', '', '', '41', '', ''],
    ['Individual', 'Cy', 'Keyson', '', '', 'Nope', '', '', '', ''],
    ['Individual', 'Di', 'Keyson', 'di@example.org', '', '', '', 'big', '', ''],
    ['Individual', 'Ed', 'Keyson', '', '', '', '', '', '', 'x'],
    ['Individual', 'Flo', 'Keyson', 'flo@example.org', '555-0102', 'Male', 'Text', '44', 'y', ''],
  ];
  const csv = [[...header, 'source'].join(',')]
    .concat(records.map((r) => [...r, 'keys-import'].join(',')))
    .join('\n');
  const rejects = path.join(kith.dir, 'keys-rejects.csv');
  const r = await runImport(csv, ['--map', 'E-mail=email_primary.email,Phone=phone_primary.phone,Ignored=',
                                  '--rejects', rejects]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /Imported 3 Contact records: 3 created, 0 updated, 0 skipped, 3 rejected/);
  const rejected = (await readFile(rejects, 'utf8')).trim().split('\n').slice(1)
    .map((line) => line.split(',').slice(0, 2));
  assert.deepEqual(rejected, [
    ['4', 'gender_id:label is not valid: Nope'],
    ['5', 'ImportKeys.shoe_size is not a valid integer: big'],
    ['6', "Invalid field 'bogus'"],
  ]);
  for (const [i, record] of records.entries()) {
    if (i >= 2 && i <= 4) continue;
    const values = { source: 'keys-api' };
    record.forEach((cell, c) => {
      if (cell !== '' && header[c] !== 'Ignored') values[renamed[header[c]] ?? header[c]] = cell;
    });
    await api4('Contact', 'create', { values });
  }
  const imported = await storedBySource('keys-import');
  const created = await storedBySource('keys-api');
  assert.equal(imported.rows.length, 3);
  assert.deepEqual(imported, created);
  const shoes = async (source) => (await api4('Contact', 'get', {
    select: ['ImportKeys.shoe_size', 'gender_id:label'], where: [['source', '=', source]], orderBy: { id: 'ASC' },
  })).values.map((c) => [c['ImportKeys.shoe_size'], c['gender_id:label']]);
  assert.deepEqual(await shoes('keys-import'), [[38, 'Female'], [41, null], [44, 'Male']]);
  assert.deepEqual(await shoes('keys-api'), await shoes('keys-import'));
});

test('a bad row after many good ones writes nothing and names its line', async () => {
  const lines = ['first_name,last_name,email_primary.email,source'];
  for (let i = 1; i <= 300; i++) lines.push(`Many${i},Lateson,many${i}@example.org,late-bad`);
  lines.push('Broken,Lateson,broken-at-the-end,late-bad');
  const r = await runImport(lines.join('\n'), ['--all-or-nothing']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /line 302: .*email/);
  assert.equal((await contactsNamed('Lateson')).length, 0);
});

// --- batches, rejects, maps, matching, groups and tags ---

test('in batches a row the database refuses is rejected with its line and reason, the rest imported', async () => {
  const lines = ['first_name,last_name,external_identifier'];
  for (let i = 1; i <= 250; i++) lines.push(`Queued${i},Batchson,batch-${i}`);
  lines.push('Again,Batchson,batch-70');          // line 252: a clash found by the writer thread
  lines.push('Short,Batchson');                   // line 253: too few fields
  lines.push('Broken,Batchson,batch-x,extra');    // line 254: too many
  for (let i = 1; i <= 40; i++) lines.push(`After${i},Batchson,batch-after-${i}`);
  const rejects = path.join(kith.dir, 'batch-rejects.csv');
  const r = await runImport(lines.join('\n'), ['--batch', '100', '--rejects', rejects]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /Imported 290 Contact records: 290 created, 0 updated, 0 skipped, 3 rejected; 293 rows/);
  assert.match(r.stderr, /3 rows rejected; see .*batch-rejects\.csv/);
  const text = await readFile(rejects, 'utf8');
  const rows = text.trim().split('\n');
  assert.equal(rows[0], 'line,reason,first_name,last_name,external_identifier');
  assert.match(rows[1], /^252,.*already exists.*,Again,Batchson,batch-70$/);
  assert.equal(rows[2], '253,"2 fields, the header has 3",Short,Batchson');
  assert.equal(rows[3], '254,"4 fields, the header has 3",Broken,Batchson,batch-x,extra');
  assert.equal(rows.length, 4);
  assert.equal((await contactsNamed('Batchson')).length, 290);
});

test('--batch commits each batch: rows of earlier batches stay when a later batch has a bad row', async () => {
  const lines = ['first_name,last_name,email_primary.email'];
  for (let i = 1; i <= 5; i++) lines.push(`B${i},Commitson,b${i}@example.org`);
  lines.push('Bad,Commitson,not-an-email');
  const r = await runImport(lines.join('\n'), ['--batch', '2']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /rejected line 7: .*email/);
  assert.match(r.stdout, /5 created, 0 updated, 0 skipped, 1 rejected/);
  assert.equal((await contactsNamed('Commitson')).length, 5);
  r.stderr.split('\n').filter((l) => l.startsWith('kith import:')).forEach((l) => assert.doesNotMatch(l, /\r/));

  const bad = await runImport('first_name\nA\n', ['--batch', '0']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--batch must be at least 1/);
});

test('progress: plain lines on a stderr that is not a terminal, and a summary at the end', async () => {
  const lines = ['first_name,last_name'];
  for (let i = 1; i <= 30; i++) lines.push(`P${i},Progresson`);
  const r = await runImport(lines.join('\n'), ['--batch', '5', '--progress-every', '0']);
  assert.equal(r.code, 0, r.stderr);
  const progress = r.stderr.split('\n').filter((l) => l.startsWith('kith import: '));
  assert.ok(progress.length >= 3, r.stderr);
  assert.match(progress[progress.length - 1], /^kith import: +\d+% \d+ rows, \d+ rows\/s, ETA \d+:\d\d$/);
  assert.doesNotMatch(r.stderr, /\x1b\[/);  // no terminal codes in a log
  assert.match(r.stdout, /^Imported 30 Contact records: 30 created, 0 updated, 0 skipped, 0 rejected; 30 rows in [\d.]+ s \(\d+ rows\/s\)$/m);
});

test('--map renames columns to fields and ignores those mapped to nothing', async () => {
  const csv = 'E-mail,Given,Family,Notes\nmap1@example.org,Mara,Mapson,ignore me\n';
  const r = await runImport(csv, ['--map', 'E-mail=email_primary.email, Given=first_name,Family=last_name,Notes=']);
  assert.equal(r.code, 0, r.stderr);
  const rows = await contactsNamed('Mapson');
  assert.equal(rows.length, 1);
  assert.equal(rows[0].first_name, 'Mara');
  assert.equal(rows[0]['email_primary.email'], 'map1@example.org');

  let bad = await runImport(csv, ['--map', 'Mail=email_primary.email']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--map names column 'Mail', which the header row does not have/);
  bad = await runImport(csv, ['--map', 'E-mail']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--map takes COLUMN=field pairs/);
  assert.equal((await contactsNamed('Mapson')).length, 1);
});

test('--match email with --on-match update, skip and fail', async () => {
  let r = await runImport('first_name,last_name,email_primary.email\nOld,Matchson,m1@example.org\nOther,Matchson,m2@example.org\n');
  assert.equal(r.code, 0, r.stderr);
  const before = await contactsNamed('Matchson');
  const csv = 'first_name,last_name,email_primary.email\nNew,Matchson,M1@Example.org\nFresh,Matchson,m3@example.org\n';

  r = await runImport(csv, ['--match', 'email', '--on-match', 'skip']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 created, 0 updated, 1 skipped, 0 rejected/);
  assert.equal((await contactsNamed('Matchson')).find((c) => c.id === before[0].id).first_name, 'Old');

  const rejects = path.join(kith.dir, 'match-rejects.csv');
  r = await runImport(csv, ['--match', 'email', '--on-match', 'fail', '--rejects', rejects]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /0 created, 0 updated, 0 skipped, 2 rejected/);
  const text = await readFile(rejects, 'utf8');
  assert.match(text, new RegExp(`^2,matches contact ${before[0].id} by email,New,Matchson,M1@Example.org$`, 'm'));
  assert.match(text, /^3,matches contact \d+ by email,Fresh/m);

  r = await runImport(csv, ['--match', 'email', '--on-match', 'update']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /0 created, 2 updated, 0 skipped/);
  const after = await contactsNamed('Matchson');
  assert.equal(after.length, 3);
  assert.equal(after.find((c) => c.id === before[0].id).first_name, 'New');
  assert.equal(after.find((c) => c.id === before[0].id).display_name, 'New Matchson');
});

test('--match external_identifier and --match id update the record they find', async () => {
  let r = await runImport('external_identifier,first_name,last_name\next-1,Ext,Idson\n');
  assert.equal(r.code, 0, r.stderr);
  r = await runImport('external_identifier,first_name,last_name\next-1,Extra,Idson\next-2,Second,Idson\n',
    ['--match', 'external_identifier', '--on-match', 'update']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 created, 1 updated/);
  const rows = await contactsNamed('Idson');
  assert.deepEqual(rows.map((c) => c.first_name), ['Extra', 'Second']);

  r = await runImport(`id,first_name,last_name\n${rows[1].id},Byid,Idson\n`, ['--match', 'id', '--on-match', 'update']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await contactsNamed('Idson')).map((c) => c.first_name), ['Extra', 'Byid']);
  // Without --match id an id column is not imported: a new record.
  r = await runImport(`id,first_name,last_name\n${rows[1].id},Copy,Idson\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await contactsNamed('Idson')).length, 3);

  r = await runImport('first_name\nA\n', ['--match', 'phone']);
  assert.notEqual(r.code, 0);
  r = await runImport('first_name\nA\n', ['--on-match', 'merge']);
  assert.notEqual(r.code, 0);
  r = await runImport('name\nA\n', ['--entity', 'Tag', '--group', 'G']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--match, --group and --tag are for contacts/);
});

test('--group, --tag and columns of groups and tags; made when missing, not added twice', async () => {
  await api4('Group', 'create', { values: { title: 'Existing Import Group', name: 'existing_import' } });
  const csv = [
    'first_name,last_name,email_primary.email,groups,tags',
    'G1,Groupson,g1@example.org,Existing Import Group;New Import Group,Import Tag A',
    'G2,Groupson,g2@example.org,,',
  ].join('\n');
  let r = await runImport(csv, ['--group', 'existing_import', '--tag', 'Import Tag B']);
  assert.equal(r.code, 0, r.stderr);
  // Again, matching: nothing added twice.
  r = await runImport(csv, ['--group', 'existing_import', '--tag', 'Import Tag B', '--match', 'email', '--on-match', 'update']);
  assert.equal(r.code, 0, r.stderr);
  const people = await contactsNamed('Groupson');
  assert.equal(people.length, 2);
  const members = (await api4('GroupContact', 'get', {
    select: ['contact_id', 'group_id.title', 'status'],
    where: [['contact_id', 'IN', people.map((p) => p.id)]],
    orderBy: { contact_id: 'ASC', 'group_id.title': 'ASC' },
  })).values.map((m) => [people.findIndex((p) => p.id === m.contact_id), m['group_id.title'], m.status]);
  assert.deepEqual(members, [
    [0, 'Existing Import Group', 'Added'], [0, 'New Import Group', 'Added'],
    [1, 'Existing Import Group', 'Added'],
  ]);
  const tags = (await api4('EntityTag', 'get', {
    select: ['entity_id', 'tag_id.name'],
    where: [['entity_table', '=', 'civicrm_contact'], ['entity_id', 'IN', people.map((p) => p.id)]],
    orderBy: { entity_id: 'ASC', 'tag_id.name': 'ASC' },
  })).values.map((t) => [people.findIndex((p) => p.id === t.entity_id), t['tag_id.name']]);
  assert.deepEqual(tags, [[0, 'Import Tag A'], [0, 'Import Tag B'], [1, 'Import Tag B']]);
});
