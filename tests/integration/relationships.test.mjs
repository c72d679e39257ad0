// Relationships and relationship types in the CiviCRM 3.2 dialect
// (q=civicrm/relationship/*, relationship_type/*, relationshipType/get) over
// real HTTP against a real `kith serve`, in JSON and in strictly parsed XML.
// Facts under test: shared/PROTOCOL.md C.1.1 and C.1.5, and the employer
// rule of issue 3 (an "Employee of" relationship sets the current employer).
//
// One server serves the whole file. Tests share its database, so every test
// works on contacts it creates itself, with names no other test uses.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseXmlStrict, leafMap, kithForSuite } from './harness.mjs';
import { v2Calls } from './v2_client.mjs';

const kith = kithForSuite();
const { creds, raw, api, apiXml, assertError } = v2Calls(kith);

// ---------------------------------------------------------------------------
// Helpers

const CHILD_OF = 1;
const SPOUSE_OF = 2;
const SIBLING_OF = 4;
const EMPLOYEE_OF = 5;
const VOLUNTEER_FOR = 6;
const HEAD_OF_HOUSEHOLD = 7;

const ROW_KEYS = [
  'id', 'cid', 'relation', 'name', 'display_name', 'job_title', 'email', 'phone', 'employer_id',
  'organization_name', 'country', 'city', 'state', 'start_date', 'end_date', 'description',
  'is_active', 'is_permission_a_b', 'is_permission_b_a', 'civicrm_relationship_type_id', 'rtype',
];
const TYPE_KEYS = [
  'id', 'name_a_b', 'label_a_b', 'name_b_a', 'label_b_a', 'description', 'contact_type_a',
  'contact_type_b', 'contact_sub_type_a', 'contact_sub_type_b', 'is_reserved', 'is_active',
];

async function addContact(params) {
  const body = await api('contact/add', params);
  assert.equal(body.is_error, 0, `contact/add failed: ${JSON.stringify(body)}`);
  return body.contact_id;
}

const person = (first, last, extra = {}) => addContact({ contact_type: 'Individual', first_name: first, last_name: last, ...extra });
const organization = (name, extra = {}) => addContact({ contact_type: 'Organization', organization_name: name, ...extra });
const household = (name) => addContact({ contact_type: 'Household', household_name: name });

// Creates a relationship and returns its id (the reply checked exactly).
async function relate(a, b, type, extra = {}, opts = {}) {
  const r = await raw('relationship/create', { contact_id_a: a, contact_id_b: b, relationship_type_id: type, ...extra }, opts);
  const m = /^\{"is_error":0,"result":\{"id":"(\d+)"\}\}$/.exec(r.text);
  assert.ok(m, `relationship/create: ${r.text}`);
  return Number(m[1]);
}

// relationship/get for a contact: the result object (relationship id -> row),
// or null for 3.2's "Invalid Data".
async function relationsOf(contactId) {
  const body = await api('relationship/get', { contact_id: contactId });
  if (body.is_error === 1) {
    assert.deepEqual(body, { is_error: 1, error_message: 'Invalid Data' });
    return null;
  }
  assert.deepEqual(Object.keys(body), ['is_error', 'result']);
  assert.equal(body.is_error, 0);
  for (const row of Object.values(body.result)) assert.deepEqual(Object.keys(row), ROW_KEYS);
  return body.result;
}

// The relationship ids of relationship/get for a contact in the order sent
// (a JavaScript object would list integer keys in ascending order instead).
async function relationOrder(contactId) {
  const r = await raw('relationship/get', { contact_id: contactId });
  return [...r.text.matchAll(/"(\d+)":\{"id"/g)].map((m) => Number(m[1]));
}

async function contactRow(id, fields) {
  const ret = Object.fromEntries(fields.map((f) => [f, 1]));
  const rows = await api('contact/search', { contact_id: id, return: ret });
  assert.ok(Array.isArray(rows) && rows.length === 1, JSON.stringify(rows));
  return rows[0];
}

// ---------------------------------------------------------------------------

describe('relationship types', () => {
  test('relationshipType/get lists CiviCRM\'s default types with their ids (JSON)', async () => {
    const list = await api('relationshipType/get');
    assert.ok(Array.isArray(list), JSON.stringify(list));
    for (const row of list) assert.deepEqual(Object.keys(row), TYPE_KEYS);
    const byId = Object.fromEntries(list.map((t) => [t.id, t]));
    assert.deepEqual(byId['5'], {
      id: '5', name_a_b: 'Employee of', label_a_b: 'Employee of', name_b_a: 'Employer of',
      label_b_a: 'Employer of', description: 'Employment relationship.', contact_type_a: 'Individual',
      contact_type_b: 'Organization', contact_sub_type_a: null, contact_sub_type_b: null,
      is_reserved: '1', is_active: '1',
    });
    const names = list.slice(0, 10).map((t) => [t.id, t.name_a_b, t.name_b_a]);
    assert.deepEqual(names, [
      ['1', 'Child of', 'Parent of'], ['2', 'Spouse of', 'Spouse of'], ['3', 'Partner of', 'Partner of'],
      ['4', 'Sibling of', 'Sibling of'], ['5', 'Employee of', 'Employer of'],
      ['6', 'Volunteer for', 'Volunteer is'], ['7', 'Head of Household for', 'Head of Household is'],
      ['8', 'Household Member of', 'Household Member is'], ['9', 'Case Coordinator is', 'Case Coordinator'],
      ['10', 'Supervised by', 'Supervisor'],
    ]);
    assert.equal(byId['9'].contact_type_a, null);
  });

  test('relationshipType/get filters by column; nothing matching is {"is_error":0}', async () => {
    assert.deepEqual((await api('relationshipType/get', { name_b_a: 'Employer of' })).map((t) => t.id), ['5']);
    assert.deepEqual((await api('relationshipType/get', { contact_type_b: 'Household' })).map((t) => t.id), ['7', '8']);
    assert.deepEqual(await api('relationshipType/get', { name_a_b: 'No such type' }), { is_error: 0 });
    // RelationshipType/get is the same function (PHP names ignore case).
    assert.deepEqual((await api('RelationshipType/get', { id: 2 })).map((t) => t.name_a_b), ['Spouse of']);
  });

  test('relationshipType/get in XML: one Result per type, every value', async () => {
    const json = await api('relationshipType/get');
    const root = await apiXml('relationshipType/get');
    assert.equal(root.children.length, json.length);
    root.children.forEach((result, i) => {
      assert.deepEqual(result.children.map((c) => c.name), TYPE_KEYS);
      const expected = Object.fromEntries(Object.entries(json[i]).map(([k, v]) => [k, v ?? '']));
      assert.deepEqual(leafMap(result), expected);
    });
  });

  test('3.2 spellings: relationship_type/get and relationshipType/add do not exist', async () => {
    let r = await raw('relationship_type/get');
    assert.equal(r.text, '{"error_message":"Unknown function called: civicrm_relationship_type_get","is_error":1}');
    r = await raw('relationshipType/add', { name_a_b: 'Spelled Wrong' });
    assert.equal(r.text, '{"error_message":"Unknown function called: civicrm_relationshipType_add","is_error":1}');
    r = await raw('relationship_type/frobnicate');
    assert.equal(r.text, '{"error_message":"Unknown function called: civicrm_relationship_type_frobnicate","is_error":1}');
    r = await raw('relationship_types/get');
    assert.equal(r.text, '{"error_message":"Unknown function invocation.","is_error":1}');
    const root = await apiXml('relationship_type/get');
    assert.deepEqual(leafMap(root.children[0]), { error_message: 'Unknown function called: civicrm_relationship_type_get', is_error: '1' });
    assert.deepEqual(await api('relationshipType/get', { name_a_b: 'Spelled Wrong' }), { is_error: 0 });
  });

  test('relationship_type/add: labels default to names, the flat row comes back', async () => {
    const row = await api('relationship_type/add', { name_a_b: 'Mentee of', name_b_a: 'Mentor of', contact_type_a: 'Individual', contact_type_b: 'Individual', description: 'Mentoring' });
    assert.deepEqual(Object.keys(row), [...TYPE_KEYS, 'is_error']);
    assert.ok(Number(row.id) > 10);
    assert.deepEqual({ ...row, id: 'x' }, {
      id: 'x', name_a_b: 'Mentee of', label_a_b: 'Mentee of', name_b_a: 'Mentor of', label_b_a: 'Mentor of',
      description: 'Mentoring', contact_type_a: 'Individual', contact_type_b: 'Individual',
      contact_sub_type_a: null, contact_sub_type_b: null, is_reserved: '0', is_active: '1', is_error: 0,
    });
    // The admin form's contact_types_a form, with a sub type.
    const sub = await api('relationship_type/add', { name_a_b: 'Tutee of', label_a_b: 'Is tutored by', name_b_a: 'Tutor of', contact_types_a: 'Individual__Student', contact_types_b: 'Individual' });
    assert.equal(sub.is_error, 0, JSON.stringify(sub));
    assert.equal(sub.label_a_b, 'Is tutored by');
    assert.equal(sub.contact_type_a, 'Individual');
    assert.equal(sub.contact_sub_type_a, 'Student');
    assert.equal(sub.contact_type_b, 'Individual');
    // Listed afterwards.
    assert.deepEqual((await api('relationshipType/get', { name_a_b: 'Tutee of' })).map((t) => t.id), [sub.id]);
    // And in XML.
    const root = await apiXml('relationship_type/add', { name_a_b: 'Xml <&> "Type"', name_b_a: 'Xml Reverse' });
    assert.equal(root.children.length, 1);
    const m = leafMap(root.children[0]);
    assert.equal(m.name_a_b, 'Xml <&> "Type"');
    assert.equal(m.label_a_b, 'Xml <&> "Type"');
    assert.equal(m.is_error, '0');
  });

  test('relationship_type/add errors write nothing', async () => {
    assertError(await api('relationship_type/add', {}), 'No input parameters present');
    assertError(await api('relationship_type/add', { description: 'nameless' }), 'Missing some required parameters (contact_types_a contact_types_b name_a_b name b_a)');
    assertError(await api('relationship_type/add', { contact_types_a: 'Individual' }), 'Missing some required parameters (contact_types_a contact_types_b name_a_b name b_a)');
    assertError(await api('relationship_type/add', { name_a_b: 'Employee of', name_b_a: 'Boss of' }), "A relationship type with name_a_b 'Employee of' already exists");
    assertError(await api('relationship_type/add', { name_a_b: 'Pet of', contact_type_a: 'Animal' }), 'contact_type_a is not a contact type: Animal');
    assertError(await api('relationship_type/add', { name_a_b: 'Bad Id', id: 'abc' }), 'Invalid value for relationship type ID');
    assertError(await api('relationship_type/add', { name_a_b: 'Unknown Field Type', colour: 'red' }), 'Unknown field: colour');
    for (const name of ['Boss of', 'Pet of', 'Bad Id', 'Unknown Field Type']) {
      assert.deepEqual(await api('relationshipType/get', { name_a_b: name }), { is_error: 0 });
    }
    assert.deepEqual(await api('relationshipType/get', { name_b_a: 'Boss of' }), { is_error: 0 });
  });

  test('relationship_type/update changes the given columns', async () => {
    const { id } = await api('relationship_type/add', { name_a_b: 'Coached by', name_b_a: 'Coach of' });
    const row = await api('relationship_type/update', { id, name_a_b: 'Coached by', label_a_b: 'Is coached by', is_active: 0 });
    assert.equal(row.id, id);
    assert.equal(row.label_a_b, 'Is coached by');
    assert.equal(row.name_b_a, 'Coach of');
    assert.equal(row.is_active, '0');
    assertError(await api('relationship_type/update', { id: 999999, name_a_b: 'Ghost' }), 'Invalid value for relationship type ID');
    assert.deepEqual(await api('relationshipType/get', { name_a_b: 'Ghost' }), { is_error: 0 });
  });

  test('relationship_type/delete, with the relationships of that type', async () => {
    const { id } = await api('relationship_type/add', { name_a_b: 'Neighbour of', name_b_a: 'Neighbour of' });
    const a = await person('Nella', 'Neighbourtype');
    const b = await person('Ned', 'Neighbourtype');
    await relate(a, b, id);
    assert.equal(Object.keys(await relationsOf(a)).length, 1);
    assertError(await api('relationship_type/delete', {}), 'Missing required parameter');
    assertError(await api('relationship_type/delete', { id: 'abc' }), 'Invalid value for relationship type ID');
    assertError(await api('relationship_type/delete', { id: 999999 }), 'Could not delete relationship type');
    assert.deepEqual(await api('relationship_type/delete', { id }), { is_error: 0, result: 'Deleted relationship type successfully' });
    assert.deepEqual(await api('relationshipType/get', { id }), { is_error: 0 });
    assert.equal(await relationsOf(a), null);
    assertError(await api('relationship_type/delete', { id }), 'Could not delete relationship type');
  });

  test('only admins write relationship types; viewers list them', async () => {
    for (const role of ['editor', 'viewer']) {
      assertError(await api('relationship_type/add', { name_a_b: `Made by ${role}` }, { role }),
        'API permission check failed for RelationshipType/add call; insufficient permission: require access CiviCRM and administer CiviCRM');
    }
    assert.deepEqual(await api('relationshipType/get', { name_a_b: 'Made by editor' }, { role: 'viewer' }), { is_error: 0 });
    assert.ok((await api('relationshipType/get', {}, { role: 'viewer' })).length >= 10);
  });
});

describe('relationship/create and get', () => {
  test('both directions, the relation seen from each side', async () => {
    const child = await person('Carl', 'Sidesworth');
    const parent = await person('Pam', 'Sidesworth');
    const id = await relate(child, parent, CHILD_OF);

    const fromChild = await relationsOf(child);
    assert.deepEqual(Object.keys(fromChild), [String(id)]);
    const c = fromChild[id];
    assert.equal(c.id, String(id));
    assert.equal(c.cid, String(parent));
    assert.equal(c.relation, 'Child of');
    assert.equal(c.rtype, 'a_b');
    assert.equal(c.name, 'Sidesworth, Pam');
    assert.equal(c.display_name, 'Pam Sidesworth');
    assert.equal(c.civicrm_relationship_type_id, String(CHILD_OF));

    const fromParent = await relationsOf(parent);
    const p = fromParent[id];
    assert.equal(p.cid, String(child));
    assert.equal(p.relation, 'Parent of');
    assert.equal(p.rtype, 'b_a');
    assert.equal(p.name, 'Sidesworth, Carl');
  });

  test('every column of a row, and the same row in strictly parsed XML', async () => {
    const org = await organization('Rowcorp & <Sons>');
    const other = await person('Olga', 'Rowfield', {
      job_title: 'Engineer', email: 'olga@rowfield.example', phone: '555-0101',
      city: 'Albany', state_province: 'NY', country: 'US',
    });
    const me = await person('Mia', 'Rowfield');
    await relate(other, org, EMPLOYEE_OF);
    const id = await relate(me, other, SIBLING_OF, {
      start_date: '2001-02-03', end_date: '2099-12-31', description: 'Twins "O" & <M>',
      is_permission_a_b: 1, is_permission_b_a: 0,
    });
    const rows = await relationsOf(me);
    assert.deepEqual(rows[id], {
      id: String(id), cid: String(other), relation: 'Sibling of', name: 'Rowfield, Olga',
      display_name: 'Olga Rowfield', job_title: 'Engineer', email: 'olga@rowfield.example',
      phone: '555-0101', employer_id: String(org), organization_name: 'Rowcorp & <Sons>',
      country: 'United States', city: 'Albany', state: 'NY', start_date: '2001-02-03',
      end_date: '2099-12-31', description: 'Twins "O" & <M>', is_active: '1', is_permission_a_b: '1',
      is_permission_b_a: '0', civicrm_relationship_type_id: String(SIBLING_OF), rtype: 'a_b',
    });
    // NULL columns are null (3.2 set every key of the row).
    const bare = await person('Bea', 'Rowfield');
    const bareId = await relate(bare, me, SPOUSE_OF);
    const b = (await relationsOf(bare))[bareId];
    for (const k of ['job_title', 'email', 'phone', 'employer_id', 'organization_name', 'country', 'city', 'state', 'start_date', 'end_date', 'description']) {
      assert.equal(b[k], null, k);
    }

    // XML: an empty Result for is_error, then one Result of <item key="id">.
    const json = await relationsOf(me);
    const r = await kith.call({ q: 'civicrm/relationship/get', ...creds(), contact_id: me });
    assert.match(r.headers.get('content-type') ?? '', /^text\/xml/);
    assert.ok(r.text.includes(`<item key="${id}">`), r.text);
    assert.ok(!/<\d/.test(r.text), 'no numeric element names');
    const root = parseXmlStrict(r.text);
    assert.equal(root.children.length, 2);
    assert.deepEqual(root.children[0].children, []);
    const items = root.children[1].children;
    assert.deepEqual(items.map((i) => [i.name, i.attributes.key]), [bareId, id].map((k) => ['item', String(k)]));
    assert.deepEqual(await relationOrder(me), [bareId, id]);
    for (const item of items) {
      assert.deepEqual(item.children.map((c) => c.name), ROW_KEYS);
      const expected = Object.fromEntries(Object.entries(json[item.attributes.key]).map(([k, v]) => [k, v ?? '']));
      assert.deepEqual(leafMap(item), expected);
    }
  });

  test('rows ordered by relationship type, then the other contact\'s sort name', async () => {
    const me = await person('Otto', 'Orderly');
    const zed = await person('Zed', 'Aardvark');
    const amy = await person('Amy', 'Zebra');
    const bob = await person('Bob', 'Middle');
    const org = await organization('Orderly Org');
    const ids = [
      await relate(me, amy, SIBLING_OF),
      await relate(me, org, EMPLOYEE_OF),
      await relate(zed, me, SIBLING_OF),
      await relate(bob, me, CHILD_OF),
    ];
    const order = await relationOrder(me);
    assert.deepEqual(order, [ids[3], ids[2], ids[0], ids[1]]);
    const rows = await relationsOf(me);
    assert.deepEqual(order.map((id) => [rows[id].relation, rows[id].rtype]), [
      ['Parent of', 'b_a'], ['Sibling of', 'b_a'], ['Sibling of', 'a_b'], ['Employee of', 'a_b'],
    ]);
  });

  test('the type by name (relationship_type), as 3.2 matched it', async () => {
    const a = await person('Nina', 'Namedtype');
    const b = await person('Noah', 'Namedtype');
    const id = await relate(a, b, undefined, { relationship_type_id: undefined, relationship_type: 'spouse of' });
    assert.equal((await relationsOf(a))[id].civicrm_relationship_type_id, String(SPOUSE_OF));
    // name_b_a names a type too (its direction is not swapped).
    const c = await person('Nils', 'Namedtype');
    const id2 = await relate(c, a, undefined, { relationship_type_id: undefined, relationship_type: 'Parent of' });
    assert.equal((await relationsOf(c))[id2].relation, 'Child of');
    assertError(await api('relationship/create', { contact_id_a: a, contact_id_b: c, relationship_type: 'Nemesis of' }), 'Invalid Relationship Type');
    assertError(await api('relationship/create', { contact_id_a: a, contact_id_b: c, relationship_type_id: SIBLING_OF, relationship_type: 'Spouse of' }), 'Mismatched Relationship Type and Relationship Type Id');
    assert.equal(Object.keys(await relationsOf(c)).length, 1);
  });

  test('a relationship to a contact in the trash is not listed', async () => {
    const a = await person('Tara', 'Trashside');
    const b = await person('Theo', 'Trashside');
    const id = await relate(a, b, SPOUSE_OF);
    assert.deepEqual(await api('contact/delete', { contact_id: b }), { is_error: 0, result: 1 });
    assert.equal(await relationsOf(a), null);
    // Theo's own list still shows Tara, who is not in the trash.
    assert.deepEqual(Object.keys(await relationsOf(b)), [String(id)]);
  });

  test('relationship/get errors', async () => {
    assertError(await api('relationship/get', {}), 'Could not find contact_id in input parameters.');
    assertError(await api('relationship/get', { contact_id: '' }), 'Invalid Data');
    assertError(await api('relationship/get', { contact_id: 'abc' }), 'contact_id is not valid: abc');
    const lonely = await person('Lone', 'Norelations');
    assertError(await api('relationship/get', { contact_id: lonely }), 'Invalid Data');
    const root = await apiXml('relationship/get', { contact_id: lonely });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: 'Invalid Data' });
  });

  test('is_active defaults to 1; a viewer reads, an editor writes', async () => {
    const a = await person('Vera', 'Viewtest');
    const b = await person('Vic', 'Viewtest');
    assertError(await api('relationship/create', { contact_id_a: a, contact_id_b: b, relationship_type_id: SPOUSE_OF }, { role: 'viewer' }),
      'API permission check failed for Relationship/create call; insufficient permission: require access CiviCRM and edit all contacts');
    assert.equal(await relationsOf(a), null);
    const id = await relate(a, b, SPOUSE_OF, {}, { role: 'editor' });
    const rows = await api('relationship/get', { contact_id: a }, { role: 'viewer' });
    assert.equal(rows.result[id].is_active, '1');
    assert.equal(rows.result[id].is_permission_a_b, '0');
    assertError(await api('relationship/delete', { id }, { role: 'viewer' }),
      'API permission check failed for Relationship/delete call; insufficient permission: require access CiviCRM and edit all contacts');
    assert.deepEqual(await api('relationship/delete', { id }, { role: 'editor' }), { is_error: 0, result: 'Deleted relationship successfully' });
  });
});

describe('relationship/create errors', () => {
  test('3.2\'s messages, and nothing written', async () => {
    const ind = await person('Erin', 'Errorcase');
    const ind2 = await person('Eli', 'Errorcase');
    const org = await organization('Errorcase Org');
    const house = await household('Errorcase House');
    const trashed = await person('Tom', 'Errorcase');
    await api('contact/delete', { contact_id: trashed });
    const cases = [
      [{}, 'Required fields not found  contact_id_a contact_id_b relationship_type_id.'],
      [{ contact_id_a: ind }, 'Required fields not found  contact_id_b relationship_type_id.'],
      [{ contact_id_a: ind, contact_id_b: ind2 }, 'Required fields not found  relationship_type_id.'],
      [{ contact_id_a: ind, contact_id_b: 0, relationship_type_id: SPOUSE_OF }, 'Required fields not found  contact_id_b.'],
      [{ contact_id_a: 'abc', contact_id_b: ind2, relationship_type_id: SPOUSE_OF }, 'contact_id not valid: abc'],
      [{ contact_id_a: ind, contact_id_b: 999999, relationship_type_id: SPOUSE_OF }, 'Invalid Contact ID: There is no contact record with contact_id = 999999.'],
      [{ contact_id_a: trashed, contact_id_b: ind2, relationship_type_id: SPOUSE_OF }, `Invalid Contact ID: There is no contact record with contact_id = ${trashed}.`],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: 999 }, 'relationship_type_id not a valid: 999'],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: 'x' }, 'relationship_type_id not a valid: x'],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: SPOUSE_OF, start_date: '2020-13-45' }, 'start_date not a valid date: 2020-13-45'],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: SPOUSE_OF, end_date: 'soon' }, 'end_date not a valid date: soon'],
      [{ contact_id_a: org, contact_id_b: ind, relationship_type_id: EMPLOYEE_OF }, `Contact ID :${org} is not of contact type Individual`],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: EMPLOYEE_OF }, `Contact ID :${ind2} is not of contact type Organization`],
      [{ contact_id_a: ind, contact_id_b: org, relationship_type_id: HEAD_OF_HOUSEHOLD }, `Contact ID :${org} is not of contact type Household`],
      [{ contact_id_a: house, contact_id_b: ind, relationship_type_id: SPOUSE_OF }, `Contact ID :${house} is not of contact type Individual`],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: SPOUSE_OF, start_date: '2020-05-01', end_date: '2020-04-01' }, 'end_date 2020-04-01 is before start_date 2020-05-01'],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: SPOUSE_OF, colour: 'red' }, 'Unknown field: colour'],
      [{ contact_id_a: ind, contact_id_b: ind2, relationship_type_id: SPOUSE_OF, id: 999999 }, 'Relationship id is not valid'],
    ];
    for (const [params, message] of cases) {
      assertError(await api('relationship/create', params), message);
    }
    // 3.2 checked the parameters in the order they came.
    assertError(await api('relationship/create', { relationship_type_id: EMPLOYEE_OF, contact_id_a: ind, contact_id_b: 999999 }),
      'Contact ID :999999 is not of contact type Organization');
    for (const id of [ind, ind2, org, house]) assert.equal(await relationsOf(id), null, `contact ${id}`);
    // The errors in XML.
    const root = await apiXml('relationship/create', { contact_id_a: ind });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: 'Required fields not found  contact_id_b relationship_type_id.' });
  });

  test('a sub type the relationship type wants', async () => {
    const type = await api('relationship_type/add', { name_a_b: 'Scholar of', name_b_a: 'Patron of', contact_types_a: 'Individual__Scholar', contact_types_b: 'Organization' });
    const plain = await person('Paul', 'Subtypeless');
    const org = await organization('Subtype Patrons');
    assertError(await api('relationship/create', { contact_id_a: plain, contact_id_b: org, relationship_type_id: type.id }), 'Relationship is not valid');
    assert.equal(await relationsOf(plain), null);
  });

  test('duplicates: same type and pair, either direction, while active and overlapping', async () => {
    const a = await person('Dana', 'Duplicate');
    const b = await person('Dean', 'Duplicate');
    const id = await relate(a, b, SPOUSE_OF);
    assertError(await api('relationship/create', { contact_id_a: a, contact_id_b: b, relationship_type_id: SPOUSE_OF }), 'Relationship already exist');
    assertError(await api('relationship/create', { contact_id_a: b, contact_id_b: a, relationship_type_id: SPOUSE_OF }), 'Relationship already exist');
    assertError(await api('relationship/create', { contact_id_a: a, contact_id_b: b, relationship_type: 'Spouse of', start_date: '2010-01-01' }), 'Relationship already exist');
    assert.deepEqual(Object.keys(await relationsOf(a)), [String(id)]);
    // Past spells do not clash with later ones.
    const org = await organization('Duplicate Works');
    await relate(a, org, EMPLOYEE_OF, { start_date: '1990-01-01', end_date: '1995-12-31' });
    await relate(a, org, EMPLOYEE_OF, { start_date: '2000-01-01' });
    assertError(await api('relationship/create', { contact_id_a: a, contact_id_b: org, relationship_type_id: EMPLOYEE_OF, start_date: '1995-06-01', end_date: '1996-01-01' }), 'Relationship already exist');
    // An inactive one is no duplicate.
    await relate(a, b, SPOUSE_OF, { is_active: 0 });
    assert.equal(Object.keys(await relationsOf(a)).length, 4);
  });
});

describe('relationship/update and delete', () => {
  test('update changes the given fields; 3.2 wants the three ids again', async () => {
    const a = await person('Uma', 'Updater');
    const b = await person('Ugo', 'Updater');
    const id = await relate(a, b, SPOUSE_OF, { description: 'first' });
    const r = await raw('relationship/update', { id, contact_id_a: a, contact_id_b: b, relationship_type_id: SPOUSE_OF, description: 'second', end_date: '2098-01-01' });
    assert.equal(r.text, `{"is_error":0,"result":{"id":"${id}"}}`);
    const row = (await relationsOf(a))[id];
    assert.equal(row.description, 'second');
    assert.equal(row.end_date, '2098-01-01');
    assertError(await api('relationship/update', { id, description: 'third' }), 'Required fields not found  contact_id_a contact_id_b relationship_type_id.');
    assertError(await api('relationship/update', { id: 999999, contact_id_a: a, contact_id_b: b, relationship_type_id: SPOUSE_OF }), 'Relationship id is not valid');
    assertError(await api('relationship/create', { id, contact_id_a: a, contact_id_b: b, relationship_type_id: SPOUSE_OF, start_date: '2099-01-01' }), 'end_date 2098-01-01 is before start_date 2099-01-01');
    assert.equal((await relationsOf(a))[id].description, 'second');
    assert.equal((await relationsOf(a))[id].start_date, null);
    // Without id, update creates, as 3.2's did.
    const c = await person('Ulla', 'Updater');
    const created = await api('relationship/update', { contact_id_a: c, contact_id_b: a, relationship_type_id: SIBLING_OF });
    assert.equal(created.is_error, 0);
    assert.equal(Object.keys(await relationsOf(c)).length, 1);
  });

  test('delete: messages and the reply', async () => {
    const a = await person('Dora', 'Deleter');
    const b = await person('Dirk', 'Deleter');
    const id = await relate(a, b, SPOUSE_OF);
    assertError(await api('relationship/delete', {}), 'Missing required parameter');
    assertError(await api('relationship/delete', { id: 'abc' }), 'Invalid value for relationship ID');
    assertError(await api('relationship/delete', { id: 999999 }), 'Relationship id is not valid');
    assert.equal(Object.keys(await relationsOf(a)).length, 1);
    const r = await raw('relationship/delete', { id });
    assert.equal(r.text, '{"is_error":0,"result":"Deleted relationship successfully"}');
    assert.equal(await relationsOf(a), null);
    assert.equal(await relationsOf(b), null);
    assertError(await api('relationship/delete', { id }), 'Relationship id is not valid');
    const id2 = await relate(a, b, SPOUSE_OF);
    const root = await apiXml('relationship/delete', { id: id2 });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '0', result: 'Deleted relationship successfully' });
  });
});

describe('current employer', () => {
  test('Employee of sets it; ending and deleting clear it (contact/search current_employer)', async () => {
    const org = await organization('Employer Plc');
    const other = await organization('Other Employer Plc');
    const emp = await person('Eve', 'Employee');
    assert.deepEqual(await contactRow(emp, ['current_employer', 'employer_id']), { contact_id: String(emp) });

    const id = await relate(emp, org, EMPLOYEE_OF);
    assert.deepEqual(await contactRow(emp, ['current_employer', 'employer_id']), {
      contact_id: String(emp), current_employer: 'Employer Plc', employer_id: String(org),
    });
    // Seen from the organization: the employee's employer and its name.
    const fromOrg = (await relationsOf(org))[id];
    assert.equal(fromOrg.relation, 'Employer of');
    assert.equal(fromOrg.rtype, 'b_a');
    assert.equal(fromOrg.employer_id, String(org));
    assert.equal(fromOrg.organization_name, 'Employer Plc');
    // In XML.
    const root = await apiXml('contact/search', { contact_id: emp, 'return[current_employer]': 1 });
    assert.deepEqual(leafMap(root.children[0]), { contact_id: String(emp), current_employer: 'Employer Plc' });

    // Ending it (an end date in the past) clears it.
    await api('relationship/update', { id, contact_id_a: emp, contact_id_b: org, relationship_type_id: EMPLOYEE_OF, end_date: '2005-06-30' });
    assert.deepEqual(await contactRow(emp, ['current_employer']), { contact_id: String(emp) });

    // A new job by name sets it again; deleting it clears it.
    const id2 = await relate(emp, other, undefined, { relationship_type_id: undefined, relationship_type: 'Employee of' });
    assert.equal((await contactRow(emp, ['current_employer'])).current_employer, 'Other Employer Plc');
    await api('relationship/delete', { id: id2 });
    assert.deepEqual(await contactRow(emp, ['current_employer']), { contact_id: String(emp) });

    // Disabling clears it too.
    const id3 = await relate(emp, org, EMPLOYEE_OF, { start_date: '2010-01-01' });
    assert.equal((await contactRow(emp, ['current_employer'])).current_employer, 'Employer Plc');
    await api('relationship/update', { id: id3, contact_id_a: emp, contact_id_b: org, relationship_type_id: EMPLOYEE_OF, is_active: 0 });
    assert.deepEqual(await contactRow(emp, ['current_employer']), { contact_id: String(emp) });

    // current_employer is in the default field list of contact/search.
    await api('relationship/update', { id: id3, contact_id_a: emp, contact_id_b: org, relationship_type_id: EMPLOYEE_OF, is_active: 1 });
    const rows = await api('contact/search', { contact_id: emp });
    assert.equal(rows[0].current_employer, 'Employer Plc');
    // Other types leave it alone.
    const vol = await person('Val', 'Volunteer');
    await relate(vol, org, VOLUNTEER_FOR);
    assert.deepEqual(await contactRow(vol, ['current_employer']), { contact_id: String(vol) });
  });

  test('a refused employment changes no employer', async () => {
    const org = await organization('Refusing Employer');
    const emp = await person('Rita', 'Refused');
    await relate(emp, org, EMPLOYEE_OF);
    const org2 = await organization('Second Refusing Employer');
    // A duplicate to the first employer, and a bad date with the second.
    assertError(await api('relationship/create', { contact_id_a: emp, contact_id_b: org, relationship_type_id: EMPLOYEE_OF }), 'Relationship already exist');
    assertError(await api('relationship/create', { contact_id_a: emp, contact_id_b: org2, relationship_type_id: EMPLOYEE_OF, start_date: '2020-01-01', end_date: '2019-01-01' }), 'end_date 2019-01-01 is before start_date 2020-01-01');
    assert.equal((await contactRow(emp, ['current_employer'])).current_employer, 'Refusing Employer');
    assert.equal(await relationsOf(org2), null);
  });
});
