// Custom groups, custom fields and custom values in the CiviCRM 3.2 dialect
// over real HTTP against a real `kith serve` (shared/PROTOCOL.md C.1.5,
// C.1.6, C.2.5, C.4.4): custom_group/create|delete, custom_field/create|delete,
// custom_N on contact/add, return[custom_N] and custom_N filters on
// contact/search, custom_value/get|create; JSON and strictly parsed XML.
//
// One server serves the whole file; every test creates the groups, fields
// and contacts it uses, with names no other test uses.

import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { leafMap, childrenNamed, kithForSuite } from './harness.mjs';
import { v2Calls } from './v2_client.mjs';

const kith = kithForSuite();
const { creds, api, apiXml, assertError } = v2Calls(kith, { method: 'POST' });

// ---------------------------------------------------------------------------
// Helpers

let serial = 0;
function unique(prefix) {
  serial += 1;
  return `${prefix} ${serial}${Date.now() % 100000}`;
}

async function createGroup(params) {
  const body = await api('custom_group/create', params);
  assert.equal(body.is_error, 0, `custom_group/create: ${JSON.stringify(body)}`);
  return body;
}

async function createField(params) {
  const body = await api('custom_field/create', params);
  assert.equal(body.is_error, 0, `custom_field/create: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['is_error', 'result']);
  assert.deepEqual(Object.keys(body.result), ['customFieldId']);
  return body.result.customFieldId;
}

async function addContact(params) {
  const body = await api('contact/add', params);
  assert.equal(body.is_error, 0, `contact/add: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['contact_id', 'is_error']);
  return body.contact_id;
}

// Rows of a contact search (3.2 answers {"is_error":0} when none match).
async function search(params) {
  const body = await api('contact/search', params, { method: 'GET' });
  if (Array.isArray(body)) return body;
  assert.deepEqual(body, { is_error: 0 }, `not a search result: ${JSON.stringify(body)}`);
  return [];
}

// One contact's row with the given fields returned.
async function row(contactId, keys) {
  const ret = Object.fromEntries(keys.map((k) => [k, 1]));
  const rows = await search({ contact_id: contactId, return: ret });
  assert.equal(rows.length, 1, JSON.stringify(rows));
  return rows[0];
}

// A group extending `extends_` with one field per spec; returns {group, keys}
// where keys maps each spec name to its custom_N.
async function groupWithFields(extends_, specs) {
  const group = await createGroup({ title: unique('Group'), extends: [extends_] });
  const keys = {};
  for (const [name, spec] of Object.entries(specs)) {
    const id = await createField({ custom_group_id: group.id, label: unique(name), ...spec });
    keys[name] = `custom_${id}`;
  }
  return { group, keys };
}

// ---------------------------------------------------------------------------

describe('custom_group/create', () => {
  test('creates the group and its table: 3.2 reply with every column, name made from the title', async () => {
    const title = unique('Constituent Info');
    const body = await createGroup({ title, extends: ['Individual'] });
    assert.deepEqual(Object.keys(body), [
      'id', 'name', 'title', 'extends', 'style', 'collapse_display', 'weight', 'is_active',
      'table_name', 'is_multiple', 'collapse_adv_display', 'created_id', 'created_date',
      'is_reserved', 'is_public', 'is_error']);
    const name = title.replace(/[^A-Za-z0-9]+/g, '_');
    assert.equal(body.name, name);
    assert.equal(body.title, title);
    assert.equal(body.extends, 'Individual');
    assert.equal(body.style, 'Inline');
    assert.equal(body.is_active, '1');
    assert.equal(body.is_multiple, '0');
    assert.equal(body.created_id, String(kith.users.admin.contactId));
    assert.equal(body.table_name, `civicrm_value_${name.toLowerCase()}_${body.id}`);
    assert.equal(body.is_error, 0);
  });

  test('class_name, a given name (munged), sub types, and the XML reply', async () => {
    const byClass = await createGroup({ class_name: 'Contact', title: unique('By class') });
    assert.equal(byClass.extends, 'Contact');
    const given = unique('my name!');
    const root = await apiXml('custom_group/create', {
      title: unique('Named'), name: given, extends: ['Individual', 'Student'],
    });
    assert.equal(root.children.length, 1);
    const m = leafMap(root.children[0]);
    assert.equal(m.name, given.replace(/[^A-Za-z0-9]+/g, '_'));
    assert.equal(m.extends, 'Individual');
    assert.equal(m.extends_entity_column_value, ',Student,');  // \x01 renders as ','
    assert.equal(m.is_error, '0');
    assert.match(m.table_name, new RegExp(`^civicrm_value_${m.name.toLowerCase()}_${m.id}$`));
  });

  test("3.2's checks in 3.2's order and words; nothing is created", async () => {
    const title = unique('Refused');
    assertError(await api('custom_group/create', { title }),
      "Params must include either 'class_name' (string) or 'extends' (array).");
    assertError(await api('custom_group/create', { title, extends: '' }),
      "Params must include either 'class_name' (string) or 'extends' (array).");
    assertError(await api('custom_group/create', { title, extends: [''] }),
      "First item in params['extends'] must be a class name (e.g. 'Contact').");
    assertError(await api('custom_group/create', { extends: ['Individual'] }),
      'Title parameter is required.');
    assertError(await api('custom_group/create', { extends: ['Individual'], title: '  ' }),
      'Title parameter is required.');
    assertError(await api('custom_group/create', { extends: ['Activity'], title }),
      'extends is not valid: Activity (custom groups extend Contact, Individual, Household or Organization)');
    assertError(await api('custom_group/create', { extends: ['Individual'], title, bogus: 1 }),
      'Unknown field: bogus');
    // The refusals left no group behind: the title is still free for a name.
    const ok = await createGroup({ extends: ['Individual'], title });
    assert.equal(ok.name, title.replace(/[^A-Za-z0-9]+/g, '_'));
  });

  test('a name given twice is an error; a title given twice gets a fresh name', async () => {
    const name = unique('dup').replace(/ /g, '_');
    await createGroup({ extends: ['Individual'], title: unique('A'), name });
    assertError(await api('custom_group/create', { extends: ['Individual'], title: unique('B'), name }),
      `A custom group named "${name}" already exists`);
    const title = unique('Same title');
    const first = await createGroup({ extends: ['Individual'], title });
    const second = await createGroup({ extends: ['Individual'], title });
    assert.equal(second.name, `${first.name}_2`);
    assert.notEqual(second.table_name, first.table_name);
  });

  test('with html_type 3.2 also creates the first field (customFieldId)', async () => {
    const body = await createGroup({
      title: unique('With field'), extends: ['Individual'], label: 'Nick', html_type: 'Text', data_type: 'String',
    });
    assert.ok(Number.isInteger(body.customFieldId));
    const id = await addContact({ contact_type: 'Individual', first_name: 'F', last_name: unique('WithField'),
      [`custom_${body.customFieldId}`]: 'Nicky' });
    assert.equal((await row(id, [`custom_${body.customFieldId}`]))[`custom_${body.customFieldId}`], 'Nicky');
  });

  test('custom_group/get and custom_field/get list rows by id; column names come from the labels', async () => {
    const group = await createGroup({ title: unique('Listed'), extends: ['Individual'] });
    const shoe = await createField({ custom_group_id: group.id, label: 'Shoe size', data_type: 'Int' });
    const nick = await createField({ custom_group_id: group.id, label: 'Nick Name!', name: 'nick' });
    const groups = await api('custom_group/get', { id: group.id }, { method: 'GET' });
    assert.equal(groups.length, 1);
    assert.equal(groups[0].id, String(group.id));
    assert.equal(groups[0].table_name, group.table_name);
    // "Nick Name!" munges to nick_name_ (CiviCRM keeps the trailing _), then _<id>.
    const fields = await api('custom_field/get', { custom_group_id: group.id, return: { label: 1, name: 1, column_name: 1 } }, { method: 'GET' });
    assert.deepEqual(fields, [
      { id: String(shoe), name: 'Shoe_size', label: 'Shoe size', column_name: `shoe_size_${shoe}` },
      { id: String(nick), name: 'nick', label: 'Nick Name!', column_name: `nick_name__${nick}` },
    ]);
    const root = await apiXml('custom_field/get', { id: nick, return: { column_name: 1 } }, { method: 'GET' });
    assert.deepEqual(root.children.map(leafMap), [{ id: String(nick), column_name: `nick_name__${nick}` }]);
    assert.deepEqual(await api('custom_field/get', { custom_group_id: 987654 }, { method: 'GET' }), { is_error: 0 });
  });

  test('needs administer CiviCRM', async () => {
    const body = await api('custom_group/create', { title: unique('Editor'), extends: ['Individual'] }, { role: 'editor' });
    assert.equal(body.is_error, 1);
    assert.equal(body.error_message,
      'API permission check failed for CustomGroup/create call; insufficient permission: require access CiviCRM and administer CiviCRM');
  });
});

describe('custom_field/create', () => {
  test('errors: 3.2 messages for missing group and label, then type checks', async () => {
    const group = await createGroup({ title: unique('Field errors'), extends: ['Individual'] });
    assertError(await api('custom_field/create', { label: 'x' }), 'Missing Required field :custom_group_id');
    assertError(await api('custom_field/create', { custom_group_id: group.id }), 'Missing Required field :label');
    assertError(await api('custom_field/create', { custom_group_id: 987654, label: 'x' }),
      'custom_group_id is not valid: 987654');
    assertError(await api('custom_field/create', { custom_group_id: group.id, label: 'x', data_type: 'Blob' }),
      'data_type is not valid: Blob');
    assertError(await api('custom_field/create', { custom_group_id: group.id, label: 'x', data_type: 'Date', html_type: 'Text' }),
      'html_type Text is not valid for data_type Date');
    assertError(await api('custom_field/create', { custom_group_id: group.id, label: 'x', html_type: 'Text', serialize: 1 }),
      'html_type Text cannot hold several values');
    assertError(await api('custom_field/create', {
      custom_group_id: group.id, label: 'x', data_type: 'Int', html_type: 'Select', option_values: { 1: 'One', x: 'Ex' },
    }), 'option_values: x is not a valid Int');
    assertError(await api('custom_field/create', { custom_group_id: group.id, label: 'x', nonsense: 1 }),
      'Unknown field: nonsense');
    // None of them left a field: the group has none yet.
    const contact = await addContact({ contact_type: 'Individual', first_name: 'N', last_name: unique('NoField') });
    assert.deepEqual(await api('custom_value/get', { entity_id: contact }), { is_error: 0 });
  });

  test('the 3.2 reply in XML', async () => {
    const group = await createGroup({ title: unique('Xml field'), extends: ['Individual'] });
    const root = await apiXml('custom_field/create', { custom_group_id: group.id, label: 'Pets' });
    const ids = root.children.flatMap((r) => childrenNamed(r, 'customFieldId')).map((n) => n.text);
    assert.equal(ids.length, 1);
    assert.match(ids[0], /^\d+$/);
  });
});

describe('custom values on contacts', () => {
  // Every data type with an html type it allows, and option lists.
  const specs = {
    str: { data_type: 'String', html_type: 'Text', is_searchable: 1 },
    int: { data_type: 'Int', html_type: 'Text', is_searchable: 1 },
    float: { data_type: 'Float', html_type: 'Text' },
    money: { data_type: 'Money', html_type: 'Text' },
    memo: { data_type: 'Memo', html_type: 'TextArea' },
    date: { data_type: 'Date', html_type: 'Select Date', is_searchable: 1 },
    bool: { data_type: 'Boolean', html_type: 'Radio', is_searchable: 1 },
    link: { data_type: 'Link', html_type: 'Link' },
    country: { data_type: 'Country', html_type: 'Select Country' },
    state: { data_type: 'StateProvince', html_type: 'Select State/Province' },
    select: { data_type: 'String', html_type: 'Select', option_values: { S: 'Small', M: 'Medium', L: 'Large' } },
    radio: { data_type: 'String', html_type: 'Radio', option_values: { y: 'Yes', n: 'No' } },
    intselect: { data_type: 'Int', html_type: 'Select', option_values: { 1: 'One', 2: 'Two' } },
    checkbox: { data_type: 'String', html_type: 'CheckBox', option_values: { a: 'Alpha', b: 'Beta', c: 'Gamma' }, is_searchable: 1 },
    multi: { data_type: 'String', html_type: 'Multi-Select', option_values: { a: 'Alpha', b: 'Beta', c: 'Gamma' } },
    countries: { data_type: 'Country', html_type: 'Multi-Select Country' },
  };
  let keys;

  before(async () => {
    ({ keys } = await groupWithFields('Individual', specs));
  });

  const given = {
    str: 'Cally & <Co> "quoted"',
    int: '42',
    float: '1.25',
    money: '12.5',
    memo: 'line one\nline two',
    date: '2001-02-03',
    bool: 'yes',
    link: 'https://example.org/a?b=c&d=e',
    country: 'DE',
    state: 'New York',
    select: 'Medium',
    radio: 'n',
    intselect: 'Two',
    checkbox: { a: 1, b: 0, c: 1 },
    multi: ['b', 'c'],
    countries: ['US', 'FR'],
  };
  const stored = {
    str: 'Cally & <Co> "quoted"',
    int: '42',
    float: '1.25',
    money: '12.50',
    memo: 'line one\nline two',
    date: '2001-02-03 00:00:00',
    bool: '1',
    link: 'https://example.org/a?b=c&d=e',
    country: '1082',
    state: '1031',
    select: 'M',
    radio: 'n',
    intselect: '2',
    checkbox: '\x01a\x01c\x01',
    multi: '\x01b\x01c\x01',
    countries: '\x011228\x011076\x01',
  };

  function params(values) {
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [keys[k], v]));
  }

  test('every data type and html type: set on create, returned as 3.2 stores it (JSON)', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'All', last_name: unique('Types'), ...params(given) });
    const r = await row(id, Object.values(keys));
    const expected = { contact_id: String(id), ...params(stored) };
    assert.deepEqual(r, expected);
  });

  test('the same in XML: escaped text, \\x01 rendered as ","', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Xml', last_name: unique('Types'), ...params(given) });
    const ret = Object.fromEntries(Object.values(keys).map((k) => [k, 1]));
    const root = await apiXml('contact/search', { contact_id: id, return: ret }, { method: 'GET' });
    assert.equal(root.children.length, 1);
    const expected = { contact_id: String(id) };
    for (const [k, v] of Object.entries(params(stored))) expected[k] = v.replaceAll('\x01', ',');
    assert.deepEqual(leafMap(root.children[0]), expected);
  });

  test('custom fields are not in the default return set', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Default', last_name: unique('Ret'), [keys.str]: 'hidden' });
    const rows = await search({ contact_id: id });
    assert.equal(rows.length, 1);
    assert.equal(rows[0][keys.str], undefined);
  });

  test('multi-valued fields take the list, CheckBox, JSON list, \\x01 and single-value forms', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Multi', last_name: unique('Forms') });
    const cases = [
      [['a', 'b'], '\x01a\x01b\x01'],               // custom_N[]=a&custom_N[]=b
      [{ b: 1, c: 1, a: 0 }, '\x01b\x01c\x01'],      // custom_N[b]=1&custom_N[c]=1&custom_N[a]=0
      ['["c","a"]', '\x01c\x01a\x01'],               // a JSON list
      ['\x01b\x01', '\x01b\x01'],                    // already separated
      ['Gamma', '\x01c\x01'],                        // one value, by label
      [['a', 'a', 'Beta'], '\x01a\x01b\x01'],        // repeats once
    ];
    for (const field of ['checkbox', 'multi']) {
      for (const [value, expected] of cases) {
        await addContact({ contact_type: 'Individual', contact_id: id, [keys[field]]: value });
        assert.equal((await row(id, [keys[field]]))[keys[field]], expected, `${field} ${JSON.stringify(value)}`);
      }
    }
    // An empty list empties the field.
    await addContact({ contact_type: 'Individual', contact_id: id, [keys.multi]: '' });
    assert.equal((await row(id, [keys.multi]))[keys.multi], '');
  });

  test('a wrong value is an error naming the field, and nothing of the call is written', async () => {
    // K stands for the field's key; the option and amount words are CiviCRM's.
    const bad = [
      ['str', 'x'.repeat(256), 'K is too long (at most 255 characters)'],
      ['int', '4.5', 'K is not a valid integer: 4.5'],
      ['int', 'abc', 'K is not a valid integer: abc'],
      ['float', 'abc', 'K is not a valid number: abc'],
      ['money', '12,50', 'K is  not a valid amount: 12,50'],
      ['date', '2001-02-30', 'K is not a valid date: 2001-02-30'],
      ['bool', 'maybe', 'K is not a valid boolean: maybe'],
      ['link', 'not a link', 'K is not a valid link: not a link'],
      ['country', 'Atlantis', "'Atlantis' is not a valid option for field K"],
      ['state', 'Nowhere', "'Nowhere' is not a valid option for field K"],
      ['select', 'XL', "'XL' is not a valid option for field K"],
      ['radio', 'maybe', "'maybe' is not a valid option for field K"],
      ['intselect', '3', "'3' is not a valid option for field K"],
      ['checkbox', { a: 1, z: 1 }, "'z' is not a valid option for field K"],
      ['multi', ['b', 'zz'], "'zz' is not a valid option for field K"],
      ['countries', ['US', 'XX'], "'XX' is not a valid option for field K"],
    ];
    for (const [field, value, message] of bad) {
      const last = unique('Bad');
      assertError(
        await api('contact/add', { contact_type: 'Individual', first_name: 'Bad', last_name: last, [keys.str]: 'fine', [keys[field]]: value }),
        message.replace('K', keys[field]));
      assert.deepEqual(await search({ last_name: last }), [], `${field}: the contact was not created`);
    }
    // On update: neither the contact nor its other custom values change.
    const id = await addContact({ contact_type: 'Individual', first_name: 'Keep', last_name: unique('Bad'), [keys.str]: 'kept', [keys.int]: 7 });
    assertError(
      await api('contact/add', { contact_type: 'Individual', contact_id: id, first_name: 'Changed', [keys.str]: 'changed', [keys.int]: 'x' }),
      `${keys.int} is not a valid integer: x`);
    const r = await row(id, ['first_name', keys.str, keys.int]);
    assert.equal(r.first_name, 'Keep');
    assert.equal(r[keys.str], 'kept');
    assert.equal(r[keys.int], '7');
  });

  test('an unknown custom_N is an error; a cleared value is left out of the row', async () => {
    const last = unique('Unknown');
    assertError(await api('contact/add', { contact_type: 'Individual', first_name: 'U', last_name: last, custom_99999999: 'x' }),
      'Unknown field: custom_99999999');
    assert.deepEqual(await search({ last_name: last }), []);
    const id = await addContact({ contact_type: 'Individual', first_name: 'U', last_name: last, [keys.int]: 5 });
    await addContact({ contact_type: 'Individual', contact_id: id, [keys.int]: '' });
    assert.deepEqual(await row(id, [keys.int]), { contact_id: String(id) });
    // A Boolean given empty is "not set", not "no".
    const unset = await addContact({ contact_type: 'Individual', first_name: 'U', last_name: last, [keys.int]: 6, [keys.bool]: '' });
    assert.deepEqual(await row(unset, [keys.int, keys.bool]), { contact_id: String(unset), [keys.int]: '6' });
  });

  test('custom_N filters a search: equality, operators, multi-values, dates and booleans', async () => {
    const last = unique('Filter');
    const a = await addContact({ contact_type: 'Individual', first_name: 'A', last_name: last, [keys.int]: 10, [keys.str]: 'Red', [keys.checkbox]: ['a'], [keys.date]: '2020-05-01', [keys.bool]: 1 });
    const b = await addContact({ contact_type: 'Individual', first_name: 'B', last_name: last, [keys.int]: 20, [keys.str]: 'red', [keys.checkbox]: ['a', 'b'], [keys.bool]: 0 });
    const c = await addContact({ contact_type: 'Individual', first_name: 'C', last_name: last, [keys.int]: 20, [keys.checkbox]: ['c'] });
    const idsOf = async (criteria) => (await search({ last_name: last, ...criteria })).map((r) => Number(r.contact_id)).sort((x, y) => x - y);
    assert.deepEqual(await idsOf({ [keys.int]: 20 }), [b, c]);
    assert.deepEqual(await idsOf({ [keys.int]: { '>': 15 } }), [b, c]);
    assert.deepEqual(await idsOf({ [keys.int]: { '<': 15 } }), [a]);
    assert.deepEqual(await idsOf({ [keys.str]: 'RED' }), [a, b]);  // case-insensitive, as CiviCRM on MySQL
    assert.deepEqual(await idsOf({ [keys.checkbox]: 'a' }), [a, b]);
    assert.deepEqual(await idsOf({ [keys.checkbox]: 'b' }), [b]);
    assert.deepEqual(await idsOf({ [keys.checkbox]: ['b', 'c'] }), [b, c]);
    assert.deepEqual(await idsOf({ [keys.date]: '2020-05-01' }), [a]);
    assert.deepEqual(await idsOf({ [keys.bool]: 1 }), [a]);
    assert.deepEqual(await idsOf({ [keys.bool]: 0 }), [b]);
    assert.deepEqual(await idsOf({ [keys.int]: 999 }), []);
    const count = await api('contact/search_count', { last_name: last, [keys.int]: 20 }, { method: 'GET' });
    assert.deepEqual(count, { is_error: 0, result: 2 });
    // Filter and return together, in XML.
    const root = await apiXml('contact/search', { last_name: last, [keys.int]: 10, return: { [keys.int]: 1, first_name: 1 } }, { method: 'GET' });
    assert.deepEqual(root.children.map(leafMap), [{ contact_id: String(a), [keys.int]: '10', first_name: 'A' }]);
  });
});

describe('which contacts a group extends', () => {
  test('a group for Organization is refused on an Individual, nothing written; fine on an Organization', async () => {
    const { keys } = await groupWithFields('Organization', { revenue: { data_type: 'Money' } });
    const last = unique('NotOrg');
    assertError(await api('contact/add', { contact_type: 'Individual', first_name: 'I', last_name: last, [keys.revenue]: 5 }),
      'Invalid Custom Field Contact Type: Individual');
    assert.deepEqual(await search({ last_name: last }), []);
    const person = await addContact({ contact_type: 'Individual', first_name: 'I', last_name: last });
    assertError(await api('contact/add', { contact_type: 'Individual', contact_id: person, first_name: 'Renamed', [keys.revenue]: 5 }),
      'Invalid Custom Field Contact Type: Individual');
    assert.equal((await row(person, ['first_name'])).first_name, 'I');
    assertError(await api('custom_value/create', { entity_id: person, [keys.revenue]: 5 }),
      'Invalid Custom Field Contact Type: Individual');
    assert.deepEqual(await api('custom_value/get', { entity_id: person }), { is_error: 0 });

    const org = await addContact({ contact_type: 'Organization', organization_name: unique('Acme'), [keys.revenue]: '1234.5' });
    assert.equal((await row(org, [keys.revenue]))[keys.revenue], '1234.50');
  });

  test('a group for Contact fits every type; a sub type group needs the sub type', async () => {
    const { keys } = await groupWithFields('Contact', { note: {} });
    const household = await addContact({ contact_type: 'Household', household_name: unique('House'), [keys.note]: 'h' });
    assert.equal((await row(household, [keys.note]))[keys.note], 'h');

    const group = await createGroup({ title: unique('Students'), extends: ['Individual', 'Student'] });
    const school = `custom_${await createField({ custom_group_id: group.id, label: 'School' })}`;
    const last = unique('Sub');
    assertError(await api('contact/add', { contact_type: 'Individual', first_name: 'S', last_name: last, [school]: 'MIT' }),
      'Invalid Custom Field Contact Type: Individual');
    const student = await addContact({ contact_type: 'Individual', first_name: 'S', last_name: last, contact_sub_type: 'Student', [school]: 'MIT' });
    assert.equal((await row(student, [school]))[school], 'MIT');
  });
});

describe('the table and its columns', () => {
  test('a field added to a group in use gets its column; earlier values stay', async () => {
    const { group, keys } = await groupWithFields('Individual', { first: {} });
    const id = await addContact({ contact_type: 'Individual', first_name: 'Col', last_name: unique('Cols'), [keys.first]: 'one' });
    const second = `custom_${await createField({ custom_group_id: group.id, label: 'Second', data_type: 'Int', is_searchable: 1 })}`;
    assert.deepEqual(await row(id, [keys.first, second]), { contact_id: String(id), [keys.first]: 'one' });
    await addContact({ contact_type: 'Individual', contact_id: id, [second]: 2 });
    assert.deepEqual(await row(id, [keys.first, second]), { contact_id: String(id), [keys.first]: 'one', [second]: '2' });
    assert.deepEqual((await search({ [second]: 2 })).map((r) => Number(r.contact_id)), [id]);
  });

  test('custom_field/delete drops the column, custom_group/delete the table', async () => {
    const { group, keys } = await groupWithFields('Individual', { gone: {}, kept: {} });
    const id = await addContact({ contact_type: 'Individual', first_name: 'Del', last_name: unique('Del'), [keys.gone]: 'x', [keys.kept]: 'y' });
    const goneId = keys.gone.slice('custom_'.length);
    assertError(await api('custom_field/delete', {}), 'Invalid or no value for Custom Field ID');
    assert.deepEqual(await api('custom_field/delete', { id: goneId }), { is_error: 0, result: 1 });
    assertError(await api('custom_field/delete', { id: goneId }), 'Error while deleting custom field');
    assert.deepEqual(await row(id, [keys.gone, keys.kept]), { contact_id: String(id), [keys.kept]: 'y' });
    assertError(await api('contact/add', { contact_type: 'Individual', contact_id: id, [keys.gone]: 'x' }), `Unknown field: ${keys.gone}`);

    assertError(await api('custom_group/delete', {}), 'Invalid or no value for Custom group ID');
    assert.deepEqual(await api('custom_group/delete', { id: group.id }), { is_error: 0, result: 1 });
    assertError(await api('custom_group/delete', { id: group.id }), 'Error while deleting custom group');
    assert.deepEqual(await row(id, [keys.kept]), { contact_id: String(id) });
    assertError(await api('custom_value/create', { entity_id: id, [keys.kept]: 'y' }), `Unknown field: ${keys.kept}`);
    // The contact itself is untouched.
    assert.equal((await row(id, ['first_name'])).first_name, 'Del');
  });
});

describe('custom_value/get and custom_value/create', () => {
  test('rows per field in APIv3 shape, in JSON and XML', async () => {
    const { keys } = await groupWithFields('Individual', {
      name: {}, size: { data_type: 'Int' }, tags: { html_type: 'CheckBox', option_values: { a: 'A', b: 'B' } },
      unset: { data_type: 'Date', html_type: 'Select Date' },
    });
    const id = await addContact({ contact_type: 'Individual', first_name: 'V', last_name: unique('Values'),
      [keys.name]: 'Clee', [keys.size]: 39, [keys.tags]: ['a', 'b'] });
    const fid = (k) => keys[k].slice('custom_'.length);
    // JSON: 3.2 renumbers the field-id keys into a list; each row names its field.
    const body = await api('custom_value/get', { entity_id: id }, { method: 'GET' });
    assert.deepEqual(body, [
      { entity_id: String(id), latest: 'Clee', id: fid('name'), 0: 'Clee' },
      { entity_id: String(id), latest: '39', id: fid('size'), 0: '39' },
      { entity_id: String(id), latest: ['a', 'b'], id: fid('tags'), 0: ['a', 'b'] },
      { entity_id: String(id), latest: '', id: fid('unset'), 0: '' },
    ]);
    // Keys in APIv3's order (JS would list "0" first, so read the text).
    const raw = await kith.call({ q: 'civicrm/custom_value/get', ...creds(), json: 1, entity_id: id, return: keys.name });
    assert.equal(raw.text, `[{"entity_id":"${id}","latest":"Clee","id":"${fid('name')}","0":"Clee"}]`);
    // return= picks fields.
    assert.deepEqual(await api('custom_value/get', { entity_id: id, return: `${keys.size}` }, { method: 'GET' }),
      [{ entity_id: String(id), latest: '39', id: fid('size'), 0: '39' }]);
    assert.deepEqual(await api('custom_value/get', { entity_id: id, [`return.${keys.name}`]: 1 }, { method: 'GET' }),
      [{ entity_id: String(id), latest: 'Clee', id: fid('name'), 0: 'Clee' }]);
    // XML: one Result per field; the row key 0 as an item element.
    const root = await apiXml('custom_value/get', { entity_id: id, return: { [keys.name]: 1 } }, { method: 'GET' });
    assert.equal(root.children.length, 1);
    const result = root.children[0];
    assert.deepEqual(leafMap(result), { entity_id: String(id), latest: 'Clee', id: fid('name'), item: 'Clee' });
    assert.equal(childrenNamed(result, 'item')[0].attributes.key, '0');
  });

  test('create sets values by custom_N and by group:field name; errors name what is wrong', async () => {
    const { group, keys } = await groupWithFields('Individual', { size: { data_type: 'Int' } });
    const id = await addContact({ contact_type: 'Individual', first_name: 'C', last_name: unique('Create') });
    assert.deepEqual(await api('custom_value/get', { entity_id: id }), { is_error: 0 });
    assert.deepEqual(await api('custom_value/create', { entity_id: id, [keys.size]: 41 }), { is_error: 0, result: true });
    assert.equal((await row(id, [keys.size]))[keys.size], '41');
    // custom_<group name>:<field name>: the field's name is made from its label.
    const fields = await api('custom_value/get', { entity_id: id });
    assert.equal(fields.length, 1);
    const label = unique('Level');
    const levelId = await createField({ custom_group_id: group.id, label, data_type: 'Int' });
    const levelName = label.replace(/[^A-Za-z0-9]+/g, '_');
    assert.deepEqual(await api('custom_value/create', { entity_id: id, [`custom_${group.name}:${levelName}`]: 3 }),
      { is_error: 0, result: true });
    assert.equal((await row(id, [`custom_${levelId}`]))[`custom_${levelId}`], '3');

    assertError(await api('custom_value/create', { [keys.size]: 1 }), 'Mandatory key(s) missing from params array: entity_id');
    assertError(await api('custom_value/get', {}), 'Mandatory key(s) missing from params array: entity_id');
    assertError(await api('custom_value/get', { entity_id: 'abc' }), 'entity_id is not valid: abc');
    assertError(await api('custom_value/get', { entity_id: 99999999 }), 'entity_id is not valid: 99999999');
    assertError(await api('custom_value/create', { entity_id: id, [keys.size]: 'big' }), `${keys.size} is not a valid integer: big`);
    assertError(await api('custom_value/create', { entity_id: id, nickname: 'x' }), 'Unknown field: nickname');
    assertError(await api('custom_value/create', { entity_id: id }), 'No custom values given: send custom_N=value');
    assert.equal((await row(id, [keys.size]))[keys.size], '41');
  });

  test('multi-record groups: new rows with custom_N_-1, updates with custom_N_<row>', async () => {
    const group = await createGroup({ title: unique('Visits'), extends: ['Individual'], is_multiple: 1 });
    assert.equal(group.is_multiple, '1');
    const place = `custom_${await createField({ custom_group_id: group.id, label: 'Place' })}`;
    const id = await addContact({ contact_type: 'Individual', first_name: 'M', last_name: unique('Multi') });
    assert.deepEqual(await api('custom_value/create', { entity_id: id, [`${place}_-1`]: 'Oslo', [`${place}_-2`]: 'Paris' }),
      { is_error: 0, result: true });
    let body = await api('custom_value/get', { entity_id: id });
    assert.equal(body.length, 1);
    const rowIds = Object.keys(body[0]).filter((k) => /^\d+$/.test(k));
    assert.equal(rowIds.length, 2);
    assert.deepEqual(rowIds.map((k) => body[0][k]).sort(), ['Oslo', 'Paris']);
    const oslo = rowIds.find((k) => body[0][k] === 'Oslo');
    await api('custom_value/create', { entity_id: id, [`${place}_${oslo}`]: 'Bergen' });
    body = await api('custom_value/get', { entity_id: id });
    assert.equal(body[0][oslo], 'Bergen');
    const other = await addContact({ contact_type: 'Individual', first_name: 'O', last_name: unique('Multi') });
    const refused = await api('custom_value/create', { entity_id: other, [`${place}_${oslo}`]: 'Rome' });
    assert.equal(refused.is_error, 1);
    assert.match(refused.error_message, /does not belong to entity/);
  });

  test('a viewer may read values but not write them', async () => {
    const { keys } = await groupWithFields('Individual', { seen: {} });
    const id = await addContact({ contact_type: 'Individual', first_name: 'P', last_name: unique('Perm'), [keys.seen]: 'yes' });
    const read = await api('custom_value/get', { entity_id: id }, { role: 'viewer', method: 'GET' });
    assert.equal(read[0].latest, 'yes');
    const write = await api('custom_value/create', { entity_id: id, [keys.seen]: 'no' }, { role: 'viewer' });
    assert.equal(write.is_error, 1);
    assert.match(write.error_message, /^API permission check failed for CustomValue\/create call/);
  });
});
