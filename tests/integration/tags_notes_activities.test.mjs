// Tags, notes and activities (issue 16) over real HTTP against a real
// `kith serve`, in all three dialects: APIv4 (also through the civicrm npm
// client), APIv3 and the 3.2 dialect (JSON and strictly parsed XML). Facts
// under test: CiviCRM's default tags and option lists with their ids, the
// EntityTag counts, activity contacts in their roles (1 assignee, 2 source,
// 3 target), contacts found by tag, notes going with a contact deleted for
// real, and who may read and write (viewer reads, editor writes).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { AJAX_PATH, encodeParams, kithForSuite, childrenNamed, leafMap } from './harness.mjs';
import { v2Calls } from './v2_client.mjs';

const require = createRequire(import.meta.url);
const crmFactory = require('civicrm-v4');

const kith = kithForSuite();
const v2 = v2Calls(kith);
let run = 0;

function uniq(prefix) {
  run += 1;
  return `${prefix}${Date.now().toString(36)}${run}`;
}

function creds(role = 'admin') {
  return { key: kith.siteKey, api_key: kith.users[role].apiKey };
}

async function v3(entity, action, params = {}, { role = 'admin' } = {}) {
  const method = /^get/i.test(action) ? 'GET' : 'POST';
  const r = await kith.call({ entity, action, json: JSON.stringify(params), ...creds(role) },
    { method, path: AJAX_PATH });
  assert.equal(r.status, 200, r.text);
  return r.json();
}

async function v4raw(entity, action, params, role = 'admin') {
  return kith.raw(`/civicrm/ajax/api4/${entity}/${action}`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users[role].apiKey}`,
      'X-Civi-Key': kith.siteKey,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: encodeParams({ params: JSON.stringify(params) }),
  });
}

async function v4(entity, action, params = {}, role = 'admin') {
  const r = await v4raw(entity, action, params, role);
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  return r.json();
}

async function person(first, last) {
  const r = await v4('Contact', 'create', { values: { contact_type: 'Individual', first_name: first, last_name: last } });
  return r.values[0].id;
}

describe('Tag and EntityTag', () => {
  test('the default tags and option lists are there with CiviCRM ids', async () => {
    const tags = await v4('Tag', 'get', { select: ['name', 'label', 'used_for', 'used_for:label', 'color'], where: [['id', '<=', 5]] });
    assert.deepEqual(tags.values.map((t) => [t.id, t.name]), [
      [1, 'Non_profit'], [2, 'Company'], [3, 'Government_Entity'], [4, 'Major_Donor'], [5, 'Volunteer'],
    ]);
    assert.deepEqual(tags.values[4], { id: 5, name: 'Volunteer', label: 'Volunteer', used_for: ['civicrm_contact'], 'used_for:label': ['Contacts'], color: '#f0dc00' });
    const types = await v4('OptionValue', 'get', { select: ['value', 'name'], where: [['option_group_id:name', '=', 'activity_contacts']], orderBy: { value: 'ASC' } });
    assert.deepEqual(types.values.map((v) => [v.value, v.name]), [['1', 'Activity Assignees'], ['2', 'Activity Source'], ['3', 'Activity Targets']]);
  });

  test('used_for is one comma-separated list, whoever made the tag, and filters alike', async () => {
    const both = (await v4('Tag', 'create', { values: { name: uniq('uf4_'), used_for: ['civicrm_contact', 'civicrm_activity'] } })).values[0];
    const plain = (await v3('Tag', 'create', { name: uniq('uf3_') })).id;
    const ids = [5, both.id, Number(plain)];
    const having = async (item) => (await v4('Tag', 'get', {
      select: ['id'], where: [['id', 'IN', ids], ['used_for', 'CONTAINS', item]], orderBy: { id: 'ASC' },
    })).values.map((t) => t.id);
    assert.deepEqual(await having('civicrm_contact'), [5, both.id, Number(plain)]);
    assert.deepEqual(await having('civicrm_activity'), [both.id]);
    assert.deepEqual(await having('civicrm'), []);  // an item, not a part of one
    // APIv3 answers the column as CiviCRM stores it, and filters on an item.
    const v3tags = await v3('Tag', 'get', { id: { IN: ids }, used_for: 'civicrm_contact', return: 'used_for', sequential: 1 });
    assert.deepEqual(v3tags.values.map((t) => [Number(t.id), t.used_for]), [
      [5, 'civicrm_contact'], [both.id, 'civicrm_contact,civicrm_activity'], [Number(plain), 'civicrm_contact'],
    ]);
    const onlyActivity = await v3('Tag', 'get', { id: { IN: ids }, used_for: 'civicrm_activity', sequential: 1 });
    assert.deepEqual(onlyActivity.values.map((t) => Number(t.id)), [both.id]);
  });

  test('v4 and v3 tag a contact; contacts are found by tag in every dialect', async () => {
    const last = uniq('Tag');
    const tim = await person('Tim', last);
    const tom = await person('Tom', last);
    const made = await v4('Tag', 'create', { values: { name: uniq('t4_'), used_for: ['civicrm_contact', 'civicrm_activity'], color: '#ff0000' } });
    const t4 = made.values[0];
    assert.equal(t4.label, t4.name);  // label falls back to the name
    assert.equal(t4.created_id, kith.users.admin.contactId);
    const t3 = await v3('Tag', 'create', { name: uniq('t3_'), description: 'Three' });
    assert.equal(t3.is_error, 0, JSON.stringify(t3));
    const t3id = t3.id;

    const et = await v4('EntityTag', 'create', { values: { entity_table: 'civicrm_contact', entity_id: tim, tag_id: t4.id } });
    assert.deepEqual(Object.keys(et.values[0]).slice(0, 4), ['id', 'entity_table', 'entity_id', 'tag_id']);
    assert.deepEqual(await v3('EntityTag', 'create', { entity_table: 'civicrm_contact', entity_id: tim, tag_id: t3id }),
      { is_error: 0, not_added: 0, added: 1, total_count: 1 });
    assert.deepEqual(await v3('EntityTag', 'create', { entity_table: 'civicrm_contact', entity_id: tim, tag_id: t3id }),
      { is_error: 1, not_added: 1, added: 0, total_count: 1, error_message: 'Unable to add tags' });

    const byTag = await v4('Contact', 'get', { select: ['display_name'], where: [['tags', 'IN', [t4.id]]] });
    assert.deepEqual(byTag.values, [{ id: tim, display_name: `Tim ${last}` }]);
    const notTagged = await v4('Contact', 'get', { select: ['id'], where: [['last_name', '=', last], ['tags', 'NOT IN', [t4.id]]] });
    assert.deepEqual(notTagged.values, [{ id: tom }]);
    const names = await v4('EntityTag', 'get', { select: ['tag_id:name'], where: [['entity_id', '=', tim]], orderBy: { id: 'ASC' } });
    assert.deepEqual(names.values.map((v) => v['tag_id:name']), [t4.name, t3.values[t3id].name]);

    const v3get = await v3('Contact', 'get', { tag: t3id, return: 'display_name', sequential: 1 });
    assert.deepEqual(v3get.values.map((c) => c.contact_id), [String(tim)]);
    const byName = await v3('Contact', 'get', { tag: t4.name, return: 'display_name', sequential: 1 });
    assert.equal(byName.count, 1);
    const search = await v2.api('contact/search', { tag: t3id, return: 'display_name' });
    assert.deepEqual(Object.values(search).map((r) => r.contact_id), [String(tim)]);

    // A smart group of the tagged.
    const group = await v2.api('group/add', { title: uniq('Tagged '), formValues: JSON.stringify({ tag: t4.id }) });
    assert.equal(group.is_error, 0, JSON.stringify(group));
    const members = await v4('Contact', 'get', { select: ['id'], where: [['groups', 'IN', [Number(group.result)]]] });
    assert.deepEqual(members.values, [{ id: tim }]);

    assert.deepEqual(await v3('EntityTag', 'delete', { entity_table: 'civicrm_contact', entity_id: tim, tag_id: t3id }),
      { is_error: 0, not_removed: 0, removed: 1, total_count: 1 });
    // As in CiviCRM, a v3 delete names the tagged record, not the EntityTag's
    // id; without a tag it removes every tag of the record.
    const rowId = (await v4('EntityTag', 'get', { where: [['entity_id', '=', tim]] })).values[0].id;
    assert.deepEqual(await v3('EntityTag', 'delete', { id: rowId }), { is_error: 1, error_message: 'contact_id is a required field' });
    for (const tag of [t3id, 5]) await v3('EntityTag', 'create', { entity_id: tim, tag_id: tag });
    assert.deepEqual(await v3('EntityTag', 'delete', { entity_id: tim }),
      { is_error: 0, not_removed: 0, removed: 3, total_count: 3 });
    assert.deepEqual(await v3('EntityTag', 'delete', { entity_id: tim }),
      { is_error: 1, not_removed: 0, removed: 0, total_count: 0, error_message: 'Unable to remove tags' });
    await v4('EntityTag', 'create', { values: { entity_table: 'civicrm_contact', entity_id: tim, tag_id: t4.id } });
    // A tag's delete takes its EntityTag rows along.
    await v4('Tag', 'delete', { where: [['id', '=', t4.id]] });
    assert.equal((await v4('EntityTag', 'get', { where: [['entity_id', '=', tim]] })).values.length, 0);
  });

  test('3.2 dialect: tag/get, entity_tag/add, get, display and remove, in JSON and XML', async () => {
    const ann = await person('Ann', uniq('Threetwo'));
    const volunteer = await v2.api('tag/get', { name: 'Volunteer' });
    assert.match(volunteer.created_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    delete volunteer.created_date;
    assert.deepEqual(volunteer, {
      is_error: 0, id: '5', name: 'Volunteer', label: 'Volunteer', description: 'Active volunteers.', is_selectable: '1',
      is_reserved: '0', is_tagset: '0', used_for: 'civicrm_contact', color: '#f0dc00',
    });
    assert.deepEqual(await v2.api('entity_tag/add', { contact_id: ann, tag_id: 5, 'tag_id.2': 2 }),
      { is_error: 0, total_count: 2, added: 2, not_added: 0 });
    assert.deepEqual(await v2.api('entity_tag/add', { contact_id: ann, tag_id: 5 }),
      { is_error: 0, total_count: 1, added: 0, not_added: 1 });
    assert.deepEqual(await v2.api('entity_tag/get', { contact_id: ann }), [{ tag_id: '2' }, { tag_id: '5' }]);
    assert.deepEqual(await v2.api('entity_tag/display', { contact_id: ann }), { is_error: 0, result: 'Company,Volunteer' });
    const xml = await v2.apiXml('entity_tag/remove', { contact_id: ann, tag_id: 2 });
    const result = leafMap(childrenNamed(xml, 'Result')[0]);
    assert.equal(result.removed, '1');
    assert.equal(result.total_count, '1');
    const tagXml = await v2.apiXml('tag/get', { id: 2 });
    assert.equal(leafMap(childrenNamed(tagXml, 'Result')[0]).name, 'Company');
    assert.deepEqual(await v2.api('entity_tag/get', { contact_id: ann }), [{ tag_id: '5' }]);
    const missing = await v2.api('entity_tag/add', { contact_id: ann });
    assert.deepEqual(missing, { is_error: 1, error_message: 'tag_id is a required field' });
  });
});

describe('Note', () => {
  test('notes in v3 and v4, with their author and dates; they go with their contact', async () => {
    const nadia = await person('Nadia', uniq('Note'));
    const n3 = await v3('Note', 'create', { entity_table: 'civicrm_contact', entity_id: nadia, note: 'First', subject: 'Hello' });
    assert.equal(n3.is_error, 0, JSON.stringify(n3));
    const row = n3.values[n3.id];
    assert.equal(row.contact_id, String(kith.users.admin.contactId));
    assert.equal(row.privacy, '0');
    const n4 = await v4('Note', 'create', { values: { entity_table: 'civicrm_contact', entity_id: nadia, note: 'Second', privacy: 1 } }, 'editor');
    assert.equal(n4.values[0].contact_id, kith.users.editor.contactId);
    const got = await v4('Note', 'get', { select: ['subject', 'note', 'privacy:label', 'modified_date'], where: [['entity_id', '=', nadia], ['entity_table', '=', 'civicrm_contact']], orderBy: { id: 'ASC' } });
    assert.deepEqual(got.values.map((v) => [v.note, v['privacy:label']]), [['First', 'None'], ['Second', 'Author Only']]);
    assert.match(got.values[0].modified_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const list = await v3('Note', 'get', { entity_id: nadia, sequential: 1 });
    assert.equal(list.count, 2);
    // APIv3 reads notes of contacts unless told otherwise (or given an id),
    // as CiviCRM's get spec defaults entity_table.
    const onGroup = await v3('Note', 'create', { entity_table: 'civicrm_group', entity_id: nadia, note: 'Of a group' });
    assert.equal((await v3('Note', 'get', { entity_id: nadia })).count, 2);
    assert.equal((await v3('Note', 'getcount', { entity_id: nadia })).result, 2);
    assert.equal((await v3('Note', 'get', { entity_id: nadia, entity_table: 'civicrm_group' })).count, 1);
    assert.equal((await v3('Note', 'get', { id: onGroup.id })).count, 1);
    await v3('Note', 'delete', { id: onGroup.id });

    // To the trash: the notes stay; deleted for real: they go.
    await v4('Contact', 'delete', { where: [['id', '=', nadia]] });
    assert.equal((await v4('Note', 'get', { where: [['entity_id', '=', nadia]] })).values.length, 2);
    await v4('Contact', 'delete', { where: [['id', '=', nadia], ['is_deleted', '=', true]], useTrash: false });
    assert.equal((await v4('Note', 'get', { where: [['entity_id', '=', nadia]] })).values.length, 0);
  });
});

describe('Activity', () => {
  test('v3: source, targets and assignee written as ActivityContact rows; a contact\'s activities', async () => {
    const last = uniq('Act');
    const [a, b, c, d] = [await person('A', last), await person('B', last), await person('C', last), await person('D', last)];
    const made = await v3('Activity', 'create', {
      activity_type_id: 'Meeting', subject: 'Kickoff', activity_date_time: '2025-03-04 10:00:00',
      status_id: 'Scheduled', source_contact_id: d, target_contact_id: [a, b], assignee_contact_id: c,
    });
    assert.equal(made.is_error, 0, JSON.stringify(made));
    const row = made.values[made.id];
    assert.equal(row.activity_type_id, '1');
    assert.equal(row.status_id, '1');
    assert.equal(row.priority_id, '2');
    const roles = await v3('ActivityContact', 'get', { activity_id: made.id, sequential: 1, return: 'contact_id,record_type_id', options: { sort: 'record_type_id,contact_id' } });
    assert.deepEqual(roles.values.map((r) => [r.contact_id, r.record_type_id]),
      [[String(c), '1'], [String(d), '2'], [String(a), '3'], [String(b), '3']]);
    const ofB = await v3('Activity', 'get', { contact_id: b, sequential: 1, return: 'subject' });
    assert.equal(ofB.count, 1);
    assert.equal(ofB.values[0].subject, 'Kickoff');
    assert.equal(ofB.values[0].source_contact_id, String(d));
    assert.equal(ofB.values[0].source_contact_name, `D ${last}`);
    assert.equal(ofB.values[0].source_contact_sort_name, `${last}, D`);
    assert.equal((await v3('Activity', 'get', { contact_id: [a, c], sequential: 1 })).count, 1);
    const none = await person('None', last);
    assert.deepEqual(await v3('Activity', 'get', { contact_id: none }), { is_error: 0, version: 3, count: 0, values: [] });
    assert.deepEqual(await v3('Activity', 'delete', { id: made.id }), { is_error: 0, version: 3, count: 1, values: 1 });
    assert.equal((await v3('ActivityContact', 'get', { activity_id: made.id })).count, 0);
  });

  test('v4: :name suffixes, the pseudo-fields read, filtered on and written; joins from ActivityContact', async () => {
    const last = uniq('Act');
    const [a, b, c] = [await person('A', last), await person('B', last), await person('C', last)];
    const made = await v4('Activity', 'create', { values: {
      'activity_type_id:name': 'Phone Call', subject: 'Call', activity_date_time: '2025-03-05 09:30:00',
      'status_id:name': 'Completed', source_contact_id: c, target_contact_id: [a, b], duration: 15,
    } });
    const id = made.values[0].id;
    assert.equal(made.values[0].activity_type_id, 2);
    const got = await v4('Activity', 'get', {
      select: ['subject', 'activity_type_id:label', 'status_id:name', 'priority_id:name', 'source_contact_id', 'target_contact_id', 'assignee_contact_id'],
      where: [['id', '=', id]],
    });
    assert.deepEqual(got.values, [{ id, subject: 'Call', 'activity_type_id:label': 'Phone Call', 'status_id:name': 'Completed', 'priority_id:name': 'Normal', source_contact_id: c, target_contact_id: [a, b], assignee_contact_id: null }]);
    const ofB = await v4('Activity', 'get', { select: ['id'], where: [['target_contact_id', 'CONTAINS', b]] });
    assert.deepEqual(ofB.values, [{ id }]);
    await v4('Activity', 'update', { values: { target_contact_id: [b] }, where: [['id', '=', id]] });
    const after = await v4('Activity', 'get', { select: ['target_contact_id'], where: [['id', '=', id]] });
    assert.deepEqual(after.values[0].target_contact_id, [b]);
    const joined = await v4('ActivityContact', 'get', { select: ['record_type_id:name', 'activity_id.subject'], where: [['contact_id', '=', c]] });
    assert.deepEqual(joined.values.map((r) => [r['record_type_id:name'], r['activity_id.subject']]), [['Activity Source', 'Call']]);
    // Without a source, the caller is the source.
    const mine = await v4('Activity', 'create', { values: { activity_type_id: 1, subject: 'Mine' } }, 'editor');
    const src = await v4('Activity', 'get', { select: ['source_contact_id'], where: [['id', '=', mine.values[0].id]] });
    assert.equal(src.values[0].source_contact_id, kith.users.editor.contactId);
  });

  test('an unknown activity type is refused in the envelope of each dialect', async () => {
    const v3bad = await v3('Activity', 'create', { activity_type_id: 'No such type', subject: 'x' });
    assert.equal(v3bad.is_error, 1);
    const r = await v4raw('Activity', 'create', { values: { 'activity_type_id:name': 'No such type' } });
    assert.notEqual(r.status, 200);
  });
});

describe('permissions: the viewer reads, the editor writes', () => {
  test('viewer', async () => {
    const tags = await v4('Tag', 'get', { select: ['name'], where: [['id', '=', 1]] }, 'viewer');
    assert.equal(tags.values[0].name, 'Non_profit');
    assert.equal((await v3('Activity', 'get', {}, { role: 'viewer' })).is_error, 0);
    const denied = await v3('Tag', 'create', { name: uniq('nope') }, { role: 'viewer' });
    assert.equal(denied.is_error, 1);
    assert.equal((await v4raw('EntityTag', 'create', { values: { entity_id: 1, tag_id: 1 } }, 'viewer')).status, 403);
    assert.equal((await v4raw('Activity', 'create', { values: { activity_type_id: 1 } }, 'viewer')).status, 403);
    assert.equal((await v3('Note', 'create', { entity_id: 1, note: 'x' }, { role: 'viewer' })).is_error, 1);
    const v2Denied = await v2.api('entity_tag/add', { contact_id: 1, tag_id: 1 }, { role: 'viewer' });
    assert.equal(v2Denied.is_error, 1);
  });

  test('editor', async () => {
    const who = await person('Ed', uniq('Perm'));
    const tag = await v4('Tag', 'create', { values: { name: uniq('ed') } }, 'editor');
    await v4('EntityTag', 'create', { values: { entity_id: who, tag_id: tag.values[0].id } }, 'editor');
    const note = await v3('Note', 'create', { entity_id: who, note: 'by editor' }, { role: 'editor' });
    assert.equal(note.is_error, 0, JSON.stringify(note));
  });
});

describe('civicrm@3.2.2 npm client', () => {
  test('tags, notes and activities through the client', async () => {
    const quiet = console.log;
    console.log = (...args) => { if (args[0] !== 'headers') quiet(...args); };
    try {
      const crm = crmFactory({ server: kith.baseUrl, api_key: kith.users.admin.apiKey, key: kith.siteKey });
      const who = (await crm.create('Contact', { values: { first_name: 'Npm', last_name: uniq('Client') } })).values[0].id;
      const tag = (await crm.create('Tag', { values: { name: uniq('npm') } })).values[0];
      await crm.create('EntityTag', { values: { entity_table: 'civicrm_contact', entity_id: who, tag_id: tag.id } });
      await crm.create('Note', { values: { entity_id: who, note: 'via npm' } });
      await crm.create('Activity', { values: { 'activity_type_id:name': 'Meeting', subject: 'npm', target_contact_id: [who] } });
      const got = await crm.get('Contact', {
        select: ['id', 'n.note', 'ac.activity_id.subject'],
        join: [['Note AS n', 'INNER', ['n.entity_id', '=', 'id']], ['ActivityContact AS ac', 'INNER', ['ac.contact_id', '=', 'id']]],
        where: [['tags', 'IN', [tag.id]]],
      });
      assert.deepEqual(got.values, [{ id: who, 'n.note': 'via npm', 'ac.activity_id.subject': 'npm' }]);
    } finally {
      console.log = quiet;
    }
  });
});
