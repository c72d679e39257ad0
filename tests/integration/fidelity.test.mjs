// CiviCRM's answers that integrations depend on although nobody documents
// them, each written from CiviCRM's rule (CiviCRM 6.15's BAOs and API
// actions) with data of its own: what writes answer in APIv3 and APIv4,
// derived names and greetings after a change, metadata, the errors of each
// dialect, and the query forms CiviCRM accepts. The conformance corpus
// (scripts/conformance.sh) checks the same rules on CiviCRM's recorded data.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeParams, kithForSuite, api3, api3ok } from './harness.mjs';

const kith = kithForSuite();
const API4 = '/civicrm/ajax/api4';
let run = 0;

function uniq(prefix) {
  run += 1;
  return `${prefix}${Date.now().toString(36)}${run}`;
}

// ---------------------------------------------------------------------------
// Helpers

const v3 = (entity, action, params, user) => api3(kith, entity, action, params, user);

const v3ok = (entity, action, params) => api3ok(kith, entity, action, params);

async function post4(path, form) {
  const fields = {};
  for (const [k, v] of Object.entries(form)) fields[k] = typeof v === 'object' ? JSON.stringify(v) : v;
  return kith.raw(API4 + path, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'X-Civi-Key': kith.siteKey,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: encodeParams(fields),
  });
}

async function api4(entity, action, params = {}) {
  const r = await post4(`/${entity}/${action}`, { params });
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  return r.json();
}

async function api4Error(entity, action, params, status) {
  const r = await post4(`/${entity}/${action}`, { params });
  assert.equal(r.status, status, `${entity}.${action}: ${r.text}`);
  return r.json();
}

// ---------------------------------------------------------------------------
describe('what APIv4 writes answer', () => {
  test('update with reload as a list answers the id and those fields only', async () => {
    const last = uniq('Rl');
    const made = await api4('Contact', 'create', { values: { first_name: 'Rhea', last_name: last } });
    const id = made.values[0].id;
    const r = await api4('Contact', 'update', {
      values: { job_title: 'Diver' }, where: [['id', '=', id]], reload: ['sort_name', 'job_title'],
    });
    assert.deepEqual(r.values, [{ id, sort_name: `${last}, Rhea`, job_title: 'Diver' }]);
  });

  test('save: contact_id null only on a last record that was an update', async () => {
    const last = uniq('Sv');
    const made = await api4('Contact', 'save', { records: [{ first_name: 'Ada', last_name: last }] });
    const id = made.values[0].id;
    const createLast = await api4('Contact', 'save', {
      records: [{ id, nick_name: 'A' }, { first_name: 'Bo', last_name: last }],
    });
    assert.equal('contact_id' in createLast.values[0], false);
    assert.equal('contact_id' in createLast.values[1], false);
    const updateLast = await api4('Contact', 'save', { records: [{ id, nick_name: 'Ad' }] });
    assert.equal(updateLast.values[0].contact_id, null);
    assert.equal(updateLast.values[0].nick_name, 'Ad');
    assert.equal(updateLast.countMatched, 1);
  });

  test('an update that empties a field answers it as null', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Nell', last_name: uniq('Nu'), prefix_id: 3 } });
    const r = await api4('Contact', 'update', { values: { prefix_id: null }, where: [['id', '=', made.values[0].id]] });
    assert.equal(r.values[0].prefix_id, null);
    assert.equal('suffix_id' in r.values[0], false);
  });

  test('Contact delete answers ids as numbers, other entities as text', async () => {
    const last = uniq('Dl');
    const made = await api4('Contact', 'save', { records: [{ first_name: 'Di', last_name: last }] });
    const id = made.values[0].id;
    const email = await api4('Email', 'create', { values: { contact_id: id, email: `${last}@del.example` } });
    const delEmail = await api4('Email', 'delete', { where: [['id', '=', email.values[0].id]] });
    assert.deepEqual(delEmail.values, [{ id: String(email.values[0].id) }]);
    const del = await api4('Contact', 'delete', { where: [['id', '=', id]], useTrash: false });
    assert.deepEqual(del.values, [{ id }]);
  });

  test('Relationship: create shows both dates, an update the whole record, a disable only its own', async () => {
    const people = await api4('Contact', 'save', {
      records: [
        { contact_type: 'Individual', first_name: 'Rel', last_name: uniq('Rw') },
        { contact_type: 'Organization', organization_name: uniq('Rel Org ') },
      ],
    });
    const [a, b] = people.values.map((v) => v.id);
    const created = await api4('Relationship', 'create', {
      values: { contact_id_a: a, contact_id_b: b, relationship_type_id: 5, start_date: '2021-02-03' },
    });
    const rel = created.values[0];
    assert.equal(rel.start_date, '20210203');
    assert.equal(rel.end_date, 'NULL');
    const updated = await api4('Relationship', 'update', {
      values: { description: 'later' }, where: [['id', '=', rel.id]],
    });
    const u = updated.values[0];
    assert.deepEqual([u.contact_id_a, u.contact_id_b, u.relationship_type_id, u.is_active, u.description],
      [a, b, 5, true, 'later']);
    assert.equal(u.start_date, '20210203');
    assert.match(u.created_date, /^\d{14}$/);
    const disabled = await api4('Relationship', 'update', {
      values: { is_active: false }, where: [['id', '=', rel.id]],
    });
    assert.deepEqual(disabled.values[0], {
      id: rel.id, contact_id_a: a, contact_id_b: b, relationship_type_id: 5, is_active: false,
      custom: null, check_permissions: null,
    });
  });
});

// ---------------------------------------------------------------------------
describe('what APIv4 writes answer on phones, notes, tags and activities', () => {
  test('Phone: the numeric form is a database trigger\'s, never in a write answer', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Pho', last_name: uniq('Ph') } });
    const contact = made.values[0].id;
    const created = await api4('Phone', 'create', { values: { contact_id: contact, phone: '(555) 010-20' } });
    const id = created.values[0].id;
    assert.deepEqual(created.values[0], {
      id, contact_id: contact, location_type_id: 1, is_primary: true, phone: '(555) 010-20',
      custom: null, check_permissions: null,
    });
    const updated = await api4('Phone', 'update', { values: { phone: '555 77' }, where: [['id', '=', id]] });
    assert.deepEqual(updated.values[0], { id, phone: '555 77', custom: null, check_permissions: null });
    const saved = await api4('Phone', 'save', { records: [{ id, phone_ext: '12' }] });
    assert.deepEqual(saved.values[0], { id, phone_ext: '12', custom: null, check_permissions: null });
    const got = await api4('Phone', 'get', { where: [['id', '=', id]] });
    assert.deepEqual(got.values, [{
      id, contact_id: contact, location_type_id: 1, is_primary: true, is_billing: false,
      mobile_provider_id: null, phone: '555 77', phone_ext: '12', phone_numeric: '55577', phone_type_id: null,
    }]);
  });

  test('Address: CiviCRM\'s street parts, county, timezone and master address are kept, in its order', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Ada', last_name: uniq('Ad') } });
    const contact = made.values[0].id;
    const created = await api4('Address', 'create', {
      values: { contact_id: contact, street_address: '12B Main St', street_number: 12, street_number_suffix: 'B',
        street_name: 'Main', street_unit: 'Apt 3', timezone: 'UTC-5' },
    });
    const id = created.values[0].id;
    const got = await api4('Address', 'get', { where: [['id', '=', id]] });
    assert.deepEqual(Object.keys(got.values[0]), ['id', 'contact_id', 'location_type_id', 'is_primary',
      'is_billing', 'street_address', 'street_number', 'street_number_suffix', 'street_number_predirectional',
      'street_name', 'street_type', 'street_number_postdirectional', 'street_unit', 'supplemental_address_1',
      'supplemental_address_2', 'supplemental_address_3', 'city', 'county_id', 'state_province_id',
      'postal_code_suffix', 'postal_code', 'usps_adc', 'country_id', 'geo_code_1', 'geo_code_2',
      'manual_geo_code', 'timezone', 'name', 'master_id']);
    const a = got.values[0];
    assert.deepEqual([a.street_number, a.street_number_suffix, a.street_unit, a.timezone, a.manual_geo_code],
      [12, 'B', 'Apt 3', 'UTC-5', false]);
    const v3got = await v3ok('Address', 'get', { id });
    assert.equal(v3got.values[id].street_name, 'Main');
    assert.equal(v3got.values[id].street_number, '12');
  });

  test('Note and EntityTag: the entity_table the API fills in shows in the answer', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Nat', last_name: uniq('Nt') } });
    const contact = made.values[0].id;
    const note = await api4('Note', 'create', { values: { entity_id: contact, note: 'hi' } });
    assert.deepEqual(Object.keys(note.values[0]).slice(0, 4), ['id', 'entity_table', 'entity_id', 'note']);
    assert.equal(note.values[0].entity_table, 'civicrm_contact');
    const tagged = await api4('EntityTag', 'save', { records: [{ entity_id: contact, tag_id: 4 }] });
    assert.deepEqual(tagged.values[0], {
      id: tagged.values[0].id, entity_table: 'civicrm_contact', entity_id: contact, tag_id: 4,
      custom: null, check_permissions: null,
    });
  });

  test('Note: create without the note names it missing', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Nel', last_name: uniq('Nm') } });
    const r = await api4Error('Note', 'create', { values: { entity_id: made.values[0].id } }, 400);
    assert.equal(r.error_message, 'Mandatory values missing from Api4 Note::create: note');
  });

  test('getFields of Note, Activity, Tag and EntityTag: CiviCRM\'s widgets, requirements and read-only columns', async () => {
    const meta = async (entity, names) => {
      const r = await api4(entity, 'getFields', {
        select: ['name', 'input_type', 'nullable', 'required', 'readonly'], where: [['name', 'IN', names]],
      });
      return Object.fromEntries(r.values.map((f) => [f.name, [f.input_type, f.nullable, f.required, f.readonly]]));
    };
    assert.deepEqual(await meta('Note', ['entity_table', 'entity_id', 'created_date', 'modified_date', 'privacy']), {
      entity_table: ['Select', false, true, false],
      entity_id: ['EntityRef', false, true, false],
      created_date: ['Date', false, false, true],
      modified_date: ['Date', true, false, true],
      privacy: ['Select', false, false, false],
    });
    assert.deepEqual(await meta('Activity', ['source_record_id', 'activity_type_id', 'details', 'parent_id', 'created_date']), {
      source_record_id: [null, true, false, true],
      activity_type_id: ['Select', false, false, false],
      details: ['RichTextEditor', true, false, false],
      parent_id: [null, true, false, true],
      created_date: ['Date', true, false, false],
    });
    assert.deepEqual(await meta('Tag', ['label', 'parent_id', 'created_id', 'created_date']), {
      label: ['Text', false, true, false],
      parent_id: ['EntityRef', true, false, false],
      created_id: ['EntityRef', true, false, false],
      created_date: ['Date', true, false, true],
    });
    assert.deepEqual(await meta('EntityTag', ['entity_table', 'entity_id']), {
      entity_table: ['Select', true, false, false],
      entity_id: ['EntityRef', false, true, false],
    });
  });

  test('Tag: created_id is the caller unless the call names another contact', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Tig', last_name: uniq('Tg') } });
    const author = made.values[0].id;
    const tag = await api4('Tag', 'create', { values: { name: uniq('tag_'), created_id: author } });
    assert.equal(tag.values[0].created_id, author);
    const got = await api4('Tag', 'get', { select: ['created_id'], where: [['id', '=', tag.values[0].id]] });
    assert.equal(got.values[0].created_id, author);
  });

  test('Activity: without a date it is Scheduled and dated by the database; with one, Completed', async () => {
    const made = await api4('Contact', 'create', { values: { first_name: 'Act', last_name: uniq('Ac') } });
    const contact = made.values[0].id;
    const undated = await api4('Activity', 'create', {
      values: { activity_type_id: 1, subject: 'No date', source_contact_id: contact },
    });
    const a = undated.values[0];
    assert.equal(a.status_id, 1);
    assert.equal('activity_date_time' in a, false);
    const got = await api4('Activity', 'get', { select: ['activity_date_time'], where: [['id', '=', a.id]] });
    assert.match(got.values[0].activity_date_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const dated = await api4('Activity', 'create', {
      values: { activity_type_id: 1, subject: 'Future', activity_date_time: '2031-01-01 10:00:00', source_contact_id: contact },
    });
    assert.equal(dated.values[0].status_id, 2);
    assert.equal(dated.values[0].activity_date_time, '20310101100000');
  });
});

// ---------------------------------------------------------------------------
describe('what APIv3 writes answer', () => {
  test('a relationship update answers the record after the write; a disable only what it set', async () => {
    const a = await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Ria', last_name: uniq('R3') });
    const b = await v3ok('Contact', 'create', { contact_type: 'Organization', organization_name: uniq('R3 Org ') });
    const rel = await v3ok('Relationship', 'create', {
      contact_id_a: a.id, contact_id_b: b.id, relationship_type_id: 5, start_date: '2018-07-09',
    });
    const upd = await v3ok('Relationship', 'create', { id: rel.id, description: 'moved', end_date: '2022-01-02' });
    const row = upd.values[rel.id];
    assert.deepEqual([row.contact_id_a, row.contact_id_b, row.relationship_type_id],
      [String(a.id), String(b.id), '5']);
    assert.equal(row.start_date, '20180709');
    assert.equal(row.end_date, '20220102000000');
    assert.equal(row.description, 'moved');
    assert.equal(row.is_permission_a_b, '0');
    const off = await v3ok('Relationship', 'create', { id: rel.id, is_active: 0 });
    const o = off.values[rel.id];
    assert.equal(o.contact_id_a, String(a.id));
    assert.equal(o.is_active, '0');
    assert.deepEqual([o.start_date, o.description, o.is_permission_a_b], ['', '', '']);
  });

  test('an update answers only what it wrote (Email), plus what the BAO loads (Group title)', async () => {
    const c = await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Em', last_name: uniq('E3') });
    const e = await v3ok('Email', 'create', { contact_id: c.id, email: 'first@e3.example' });
    const upd = await v3ok('Email', 'create', { id: e.id, email: 'second@e3.example' });
    const row = upd.values[e.id];
    assert.equal(row.email, 'second@e3.example');
    assert.deepEqual([row.contact_id, row.is_primary, row.on_hold], ['', '', '']);
    const title = uniq('G3 ');
    const g = await v3ok('Group', 'create', { title });
    const gu = await v3ok('Group', 'create', { id: g.id, description: 'changed' });
    assert.equal(gu.values[g.id].title, title);
    assert.equal(gu.values[g.id].name, '');
  });

  test('email= on a contact update leaves its emails alone', async () => {
    const c = await v3ok('Contact', 'create', {
      contact_type: 'Individual', first_name: 'Eve', last_name: uniq('E4'), email: 'kept@e4.example',
    });
    await v3ok('Contact', 'create', { id: c.id, email: 'ignored@e4.example' });
    const emails = await v3ok('Email', 'get', { contact_id: c.id, sequential: 1, return: 'email' });
    assert.deepEqual(emails.values.map((v) => v.email), ['kept@e4.example']);
  });
});

// ---------------------------------------------------------------------------
describe('derived names and greetings', () => {
  test('a v3 update answers the new names but the greetings as they were before it', async () => {
    const last = uniq('Gr');
    const c = await v3ok('Contact', 'create', {
      contact_type: 'Individual', prefix_id: 3, first_name: 'Otto', last_name: last,
    });
    assert.equal(c.values[c.id].email_greeting_display, '');
    const first = await v3ok('Contact', 'create', { id: c.id, first_name: 'Ottokar' });
    const row = first.values[c.id];
    assert.equal(row.display_name, `Mr. Ottokar ${last}`);
    assert.equal(row.sort_name, `${last}, Ottokar`);
    assert.equal(row.email_greeting_display, 'Dear Otto');
    assert.equal(row.addressee_display, `Mr. Otto ${last}`);
    const second = await v3ok('Contact', 'create', { id: c.id, nick_name: 'O' });
    assert.equal(second.values[c.id].email_greeting_display, 'Dear Ottokar');
    const now = await api4('Contact', 'get', { select: ['addressee_display'], where: [['id', '=', c.id]] });
    assert.equal(now.values[0].addressee_display, `Mr. Ottokar ${last}`);
  });

  test('a v3 get answers an option id with its label, and no rendered greetings', async () => {
    const c = await v3ok('Contact', 'create', {
      contact_type: 'Individual', first_name: 'Lia', last_name: uniq('Lb'), gender_id: 1, postal_greeting_id: 1,
    });
    const got = await v3ok('Contact', 'getsingle', {
      id: c.id, return: 'gender_id,postal_greeting_id,postal_greeting_display,addressee_display',
    });
    assert.equal(got.gender_id, '1');
    assert.equal(got.gender, 'Female');
    assert.equal(got.postal_greeting, 'Dear {contact.first_name}');
    assert.equal('postal_greeting_display' in got, false);
    assert.equal('addressee_display' in got, false);
  });
});

// ---------------------------------------------------------------------------
describe('errors in CiviCRM\'s words', () => {
  test('APIv4: an id on create, and an id in values that where contradicts on update', async () => {
    const r = await api4Error('Tag', 'create', { values: { id: 1, name: uniq('idtag') } }, 400);
    assert.equal(r.error_message, 'Cannot pass id to Create action. Use Update action instead.');
    const made = await api4('Contact', 'create', { values: { first_name: 'Ida', last_name: uniq('Id') } });
    const phone = await api4('Phone', 'create', { values: { contact_id: made.values[0].id, phone: '1' } });
    const id = phone.values[0].id;
    const bad = await api4Error('Phone', 'update', { values: { id, phone: '2' }, where: [['id', '=', id + 1]] }, 400);
    assert.equal(bad.error_message, 'Cannot update the id of an existing Phone.');
    // The same id as text, or a where on another field, is no contradiction.
    const same = await api4('Phone', 'update', { values: { id, phone: '3' }, where: [['id', '=', String(id)]] });
    assert.equal(same.count, 1);
    const other = await api4('Phone', 'update', {
      values: { id, phone: '4' }, where: [['contact_id', '=', made.values[0].id]],
    });
    assert.deepEqual(other.values, [{ id, phone: '4', custom: null, check_permissions: null }]);
  });

  test('APIv4: wrong parameter types, operators and sort directions', async () => {
    const limit = await api4Error('Contact', 'get', { limit: 'ten' }, 400);
    assert.equal(limit.error_message, 'Parameter "limit" is not of the correct type. Expecting int.');
    const where = await api4Error('Contact', 'get', { where: 'last_name=x' }, 400);
    assert.equal(where.error_message, 'Parameter "where" is not of the correct type. Expecting array.');
    for (const clause of [['id', '<>='], ['last_name'], ['id', 'EQUALS', 1]]) {
      const op = await api4Error('Contact', 'get', { where: [clause] }, 400);
      assert.equal(op.error_message, 'Illegal operator', JSON.stringify(clause));
    }
    const list = await api4Error('Contact', 'get', { orderBy: ['sort_name', 'id'] }, 400);
    assert.equal(list.error_message, 'Invalid sort direction. Cannot order by 0 sort_name');
    const dir = await api4Error('Contact', 'get', { orderBy: { sort_name: 'UP' } }, 400);
    assert.equal(dir.error_message, 'Invalid sort direction. Cannot order by sort_name UP');
    const missing = await api4Error('Relationship', 'create', { values: { contact_id_a: 1, contact_id_b: 1 } }, 400);
    assert.equal(missing.error_message, 'Mandatory values missing from Api4 Relationship::create: relationship_type_id');
    assert.equal(missing.error_code, 0);
  });

  test('APIv3: integer filters, dates, amounts, options and unknown option fields', async () => {
    for (const [entity, params, field] of [
      ['Email', { contact_id: 'me' }, 'contact_id'],
      ['Contact', { id: { IN: 'x,y' } }, 'id'],
      ['Relationship', { id: { '>': 'ten' } }, 'id'],
    ]) {
      const body = await v3(entity, 'get', params);
      assert.deepEqual(body, {
        error_field: field, type: 'integer', error_code: 2001, entity, action: 'get', is_error: 1,
        error_message: `${field} is not a valid integer`,
      });
    }
    const c = await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Dee', last_name: uniq('Er') });
    assert.deepEqual(await v3('Contact', 'create', { id: c.id, deceased_date: 'last tuesday' }),
      { is_error: 1, error_message: 'deceased_date is not a valid date: last tuesday' });
    assert.deepEqual(await v3('Contact', 'getoptions', { field: 'favourite_colour' }),
      { is_error: 1, error_message: "The field 'favourite_colour' doesn't exist." });
    const noOptions = await v3('Contact', 'getoptions', { field: 'nick_name' });
    assert.equal(noOptions.error_message, "The field 'nick_name' has no associated option list.");
  });
});

// ---------------------------------------------------------------------------
describe('APIv3 Note and Activity as their api files define them', () => {
  test('Note create needs note and entity_id, defaults entity_table; a missing note: CiviCRM\'s delete message', async () => {
    const c = await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Nia', last_name: uniq('No') });
    assert.deepEqual(await v3('Note', 'create', {}), {
      fields: ['entity_id', 'note'], error_code: 'mandatory_missing', entity: 'Note', action: 'create', is_error: 1,
      error_message: 'Mandatory key(s) missing from params array: entity_id, note',
    });
    assert.equal((await v3('Note', 'create', { entity_id: c.id })).error_message,
      'Mandatory key(s) missing from params array: note');
    const made = await v3ok('Note', 'create', { entity_id: c.id, note: 'hello' });
    assert.equal(made.values[made.id].entity_table, 'civicrm_contact');
    await v3ok('Note', 'delete', { id: made.id });
    assert.deepEqual(await v3('Note', 'delete', { id: made.id }), {
      error_code: 0, entity: 'Note', action: 'delete', is_error: 1, error_message: `Could not delete Note id ${made.id}`,
    });
  });

  test('Activity create: the date defaults to now, so the status to Completed (CiviCRM\'s BAO: any date given)', async () => {
    const c = await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Ada', last_name: uniq('Ac') });
    const now = await v3ok('Activity', 'create', { activity_type_id: 1, source_contact_id: c.id, subject: 'now' });
    const row = now.values[now.id];
    assert.match(row.activity_date_time, /^\d{14}$/);
    assert.equal(row.status_id, '2');
    const past = await v3ok('Activity', 'create', { activity_type_id: 1, source_contact_id: c.id, activity_date_time: '2020-02-02 10:00:00' });
    assert.equal(past.values[past.id].status_id, '2');
    const future = await v3ok('Activity', 'create', { activity_type_id: 1, source_contact_id: c.id, activity_date_time: '2099-02-02' });
    assert.equal(future.values[future.id].status_id, '2');
    const scheduled = await v3ok('Activity', 'create', { activity_type_id: 1, source_contact_id: c.id, status_id: 'Scheduled' });
    assert.equal(scheduled.values[scheduled.id].status_id, '1');
    const update = await v3ok('Activity', 'create', { id: past.id, subject: 'changed' });
    assert.equal(update.values[past.id].modified_date, '');
    await v3ok('Activity', 'delete', { id: past.id });
    assert.deepEqual(await v3('Activity', 'delete', { id: past.id }), {
      error_code: 0, entity: 'Activity', action: 'delete', is_error: 1, error_message: `Could not delete Activity: ${past.id}`,
    });
  });
});

describe('APIv3 Activity.get by the contacts of an activity', () => {
  test('source, target and assignee filters; their ids and names on return; a contact\'s activities', async () => {
    const last = uniq('Ag');
    const mk = async (first) => (await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: first, last_name: last })).id;
    const [s, t1, t2, a] = [await mk('Sam'), await mk('Tia'), await mk('Tom'), await mk('Ann')];
    const one = await v3ok('Activity', 'create', {
      activity_type_id: 1, subject: 'one', source_contact_id: s, target_contact_id: [t1, t2], assignee_contact_id: a,
    });
    const two = await v3ok('Activity', 'create', { activity_type_id: 2, subject: 'two', source_contact_id: t1 });
    const ids = async (filter) => Object.keys((await v3ok('Activity', 'get', { return: 'subject', ...filter })).values);
    assert.deepEqual(await ids({ target_contact_id: t2 }), [String(one.id)]);
    assert.deepEqual(await ids({ assignee_contact_id: a }), [String(one.id)]);
    assert.deepEqual(await ids({ source_contact_id: t1 }), [String(two.id)]);
    assert.deepEqual(await ids({ target_contact_id: { IN: [t1, a] }, assignee_contact_id: a }), [String(one.id)]);
    assert.deepEqual(await ids({ assignee_contact_id: s }), []);
    const got = await v3ok('Activity', 'get', { id: one.id, return: 'subject,target_contact_id,assignee_contact_id' });
    const row = got.values[one.id];
    assert.deepEqual(row.target_contact_id, [String(t1), String(t2)]);
    assert.deepEqual(row.target_contact_name, { [t1]: `Tia ${last}`, [t2]: `Tom ${last}` });
    assert.deepEqual(row.assignee_contact_sort_name, { [a]: `${last}, Ann` });
    const none = await v3ok('Activity', 'get', { id: two.id, return: 'target_contact_id' });
    assert.deepEqual(none.values[two.id].target_contact_id, []);
    const mine = await v3ok('Activity', 'get', { contact_id: t1, return: 'subject,status_id', options: { sort: 'id' } });
    assert.equal(mine.values[two.id].status, 'Completed');
    assert.equal(mine.values[two.id].activity_name, undefined);
  });
});

describe('APIv3 getoptions contexts', () => {
  test('validate answers names, match keys by name, abbreviate answers abbreviations', async () => {
    const used = (context) => v3ok('Tag', 'getoptions', { field: 'used_for', context });
    assert.equal((await used('validate')).values.civicrm_activity, 'Activity');
    assert.equal((await used('get')).values.civicrm_activity, 'Activities');
    assert.equal((await used('match')).values.Activity, 'Activities');
    const states = await v3ok('Address', 'getoptions', { field: 'state_province_id', context: 'abbreviate' });
    assert.equal(states.values['1031'], 'NY');
    assert.deepEqual(await v3('Email', 'getoptions', { field: 'location_type_id', context: 'sideways' }), {
      error_code: 0, entity: 'Email', action: 'getoptions', is_error: 1,
      error_message: "'sideways' is not a valid context for buildOptions.",
    });
    assert.deepEqual(await v3('Contact', 'getoptions', { field: 'nick_name' }),
      { is_error: 1, error_message: "The field 'nick_name' has no associated option list." });
  });
});

describe('APIv3 filters checked before the query, as CiviCRM checks them', () => {
  test('an option filter by label or name finds its records; an unknown option is error 2001', async () => {
    const last = uniq('Opt');
    const c = await v3ok('Contact', 'create', {
      contact_type: 'Individual', first_name: 'Otto', last_name: last, prefix_id: 3, gender_id: 2,
    });
    for (const filter of [{ prefix_id: 'Mr.' }, { gender_id: 'Male' }, { gender_id: { IN: ['Male', 'Female'] } },
      { contact_type: 'individual' }]) {
      const r = await v3ok('Contact', 'get', { last_name: last, return: 'id', ...filter });
      assert.deepEqual(Object.keys(r.values), [String(c.id)], JSON.stringify(filter));
    }
    for (const [params, field, value] of [
      [{ gender_id: 'Alien' }, 'gender_id', 'Alien'],
      [{ contact_type: 'Individual,Organization' }, 'contact_type', 'Individual,Organization'],
      [{ gender_id: { IN: ['Male', 'Nope'] } }, 'gender_id', 'Nope'],
    ]) {
      assert.deepEqual(await v3('Contact', 'get', { last_name: last, ...params }), {
        error_field: field, error_code: 2001, entity: 'Contact', action: 'get', is_error: 1,
        error_message: `'${value}' is not a valid option for field ${field}`,
      });
    }
    assert.deepEqual(await v3('GroupContact', 'get', { status: 'Maybe' }), {
      error_field: 'status', error_code: 2001, entity: 'GroupContact', action: 'get', is_error: 1,
      error_message: "'Maybe' is not a valid option for field status",
    });
  });

  test('a date filter that is no date is refused with the plain message', async () => {
    assert.deepEqual(await v3('Contact', 'get', { birth_date: 'someday' }),
      { is_error: 1, error_message: 'birth_date is not a valid date: someday' });
    assert.deepEqual(await v3('Contact', 'get', { birth_date: { BETWEEN: ['2000-01-01', 'later'] } }),
      { is_error: 1, error_message: 'birth_date is not a valid date: later' });
  });

  test('filter.group_id (and PHP\'s filter_group_id) is the group filter', async () => {
    const last = uniq('Fg');
    const a = await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'In', last_name: last });
    await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Out', last_name: last });
    const g = await v3ok('Group', 'create', { title: uniq('Fg group ') });
    await v3ok('GroupContact', 'create', { group_id: g.id, contact_id: a.id });
    for (const key of ['filter.group_id', 'filter_group_id']) {
      const r = await v3ok('Contact', 'get', { last_name: last, [key]: `${g.id}`, return: 'first_name' });
      assert.deepEqual(Object.keys(r.values), [String(a.id)], key);
    }
  });

  test('an id that is no integer on create, delete and a link field: error 2001 with its type', async () => {
    for (const [entity, action, params, field] of [
      ['Contact', 'create', { id: 'abc', first_name: 'X' }, 'id'],
      ['Contact', 'delete', { id: 'abc' }, 'id'],
      ['Email', 'delete', { id: 'abc' }, 'id'],
      ['Email', 'create', { contact_id: 'abc', email: 'x@example.org' }, 'contact_id'],
      ['Note', 'create', { entity_id: 'abc', note: 'x' }, 'entity_id'],
    ]) {
      assert.deepEqual(await v3(entity, action, params), {
        error_field: field, type: 'integer', error_code: 2001, entity, action, is_error: 1,
        error_message: `${field} is not a valid integer`,
      }, `${entity}.${action}`);
    }
  });
});

// ---------------------------------------------------------------------------
describe('queries as CiviCRM reads them', () => {
  test('APIv4 get by id finds a contact in the trash; other filters do not', async () => {
    const last = uniq('Tr');
    const made = await api4('Contact', 'create', { values: { first_name: 'Tess', last_name: last } });
    const id = made.values[0].id;
    await api4('Contact', 'delete', { where: [['id', '=', id]] });
    const byName = await api4('Contact', 'get', { select: ['id'], where: [['last_name', '=', last]] });
    assert.deepEqual(byName.values, []);
    for (const clause of [['id', '=', id], ['id', 'IN', [id]]]) {
      const r = await api4('Contact', 'get', { select: ['is_deleted'], where: [clause] });
      assert.deepEqual(r.values, [{ id, is_deleted: true }], JSON.stringify(clause));
    }
    const range = await api4('Contact', 'get', { select: ['id'], where: [['id', '>=', id], ['last_name', '=', last]] });
    assert.deepEqual(range.values, []);
  });
});

describe('the APIv4 multi-call endpoint', () => {
  test('calls as a list answer a list; an index field left out of select keys the rows only', async () => {
    const last = uniq('Mc');
    const made = await api4('Contact', 'save', {
      records: [{ first_name: 'Mia', last_name: last }, { first_name: 'Max', last_name: last }],
    });
    const [a, b] = made.values.map((v) => v.id);
    const where = [['last_name', '=', last]];
    const list = await post4('', {
      calls: [
        ['Contact', 'get', { select: ['first_name'], where, orderBy: { id: 'ASC' } }],
        ['Contact', 'get', { select: ['nick_name', 'first_name'], where }, 'first_name'],
      ],
    });
    assert.equal(list.status, 200);
    const body = list.json();
    assert.ok(Array.isArray(body));
    assert.deepEqual(body[0].values, [{ id: a, first_name: 'Mia' }, { id: b, first_name: 'Max' }]);
    assert.deepEqual(body[1].values, {
      Mia: { id: a, nick_name: null, first_name: 'Mia' }, Max: { id: b, nick_name: null, first_name: 'Max' },
    });
    const named = (await post4('', { calls: { byid: ['Contact', 'get', { select: ['first_name'], where }, 'id'] } })).json();
    assert.deepEqual(named.byid.values, { [a]: { first_name: 'Mia' }, [b]: { first_name: 'Max' } });
  });
});

describe('APIv3 CustomField create conversions', () => {
  test('old country/state widgets become Select, a text area gets its default size', async () => {
    const group = await v3ok('CustomGroup', 'create', { title: uniq('Cv'), extends: 'Contact' });
    const state = await v3ok('CustomField', 'create', {
      custom_group_id: group.id, label: 'home state', data_type: 'StateProvince', html_type: 'Select State/Province',
    });
    assert.equal(state.values[state.id].html_type, 'Select');
    const notes = await v3ok('CustomField', 'create', {
      custom_group_id: group.id, label: 'notes', data_type: 'Memo', html_type: 'TextArea',
    });
    assert.equal(notes.values[notes.id].attributes, 'rows=4, cols=60');
    const sized = await v3ok('CustomField', 'create', {
      custom_group_id: group.id, label: 'short notes', data_type: 'Memo', html_type: 'TextArea', attributes: 'rows=2',
    });
    assert.equal(sized.values[sized.id].attributes, 'rows=2');
    await v3ok('CustomGroup', 'delete', { id: group.id });
  });
});

describe('APIv3 getfields for delete', () => {
  test('lists the id only, required, with its alias', async () => {
    const r = await v3ok('Email', 'getfields', { api_action: 'delete' });
    assert.deepEqual(Object.keys(r.values), ['id']);
    assert.equal(r.id, 'id');
    assert.deepEqual(r.values.id['api.aliases'], ['email_id']);
    assert.equal(r.values.id['api.required'], 1);
    assert.equal(r.values.id.type, 1);
  });
});
