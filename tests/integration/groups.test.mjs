// Groups, memberships, nested and smart groups in the CiviCRM 3.2 dialect
// (group/*, group_contact/*, contact/search by group) over real HTTP against
// a real `kith serve`. Facts under test: shared/PROTOCOL.md C.1.5 and issue 3.
//
// One server serves the whole file. Tests share its database, so each test
// works on groups and contacts it creates, with titles and names no other
// test uses.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { leafMap, kithForSuite } from './harness.mjs';
import { v2Calls } from './v2_client.mjs';

const kith = kithForSuite();
const { creds, api, apiXml, assertError } = v2Calls(kith, { method: 'POST' });

// ---------------------------------------------------------------------------
// Helpers

async function addContact(last, extra = {}) {
  const body = await api('contact/add', { contact_type: 'Individual', first_name: 'Test', last_name: last, ...extra });
  assert.equal(body.is_error, 0, JSON.stringify(body));
  return body.contact_id;
}

// group/add that must succeed: {"is_error":0,"result":<new id>}.
async function addGroup(params) {
  const body = await api('group/add', params);
  assert.deepEqual(Object.keys(body), ['is_error', 'result'], JSON.stringify(body));
  assert.equal(body.is_error, 0);
  assert.ok(Number.isInteger(body.result) && body.result > 0, JSON.stringify(body));
  return body.result;
}

// An active group (3.2 leaves groups added without is_active inactive).
async function activeGroup(title, extra = {}) {
  return addGroup({ title, is_active: 1, ...extra });
}

async function getGroups(params = {}) {
  return api('group/get', params);
}

async function groupContact(fn, params) {
  return api(`group_contact/${fn}`, params);
}

// The contact ids a 3.2 search answers, sorted.
async function searchIds(params) {
  const body = await api('contact/search', { rowCount: 1000, 'return[contact_id]': 1, ...params });
  if (!Array.isArray(body)) {
    assert.deepEqual(body, { is_error: 0 }, `not a search result: ${JSON.stringify(body)}`);
    return [];
  }
  return body.map((r) => Number(r.contact_id)).sort((a, b) => a - b);
}

async function count(params) {
  const body = await api('contact/search_count', params);
  assert.deepEqual(Object.keys(body), ['is_error', 'result'], JSON.stringify(body));
  return body.result;
}

// The memberships of a contact with one status, as group_contact/get rows.
async function memberships(contactId, status) {
  const body = await groupContact('get', status ? { contact_id: contactId, status } : { contact_id: contactId });
  if (!Array.isArray(body)) {
    assert.deepEqual(body, { is_error: 0 }, JSON.stringify(body));
    return [];
  }
  return body;
}

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

// ---------------------------------------------------------------------------

describe('group/add', () => {
  test('empty params and a missing title', async () => {
    assertError(await api('group/add', {}), 'Required parameter missing');
    assertError(await api('group/add', { description: 'no title' }), 'Required parameter title missing');
    assertError(await api('group/add', { title: '' }), 'Required parameter title missing');
    // Nothing was written by the refused calls.
    assertError(await getGroups({ description: 'no title', is_active: 0 }), 'No such group exists');
  });

  test('a group added without is_active is inactive and invisible to group/get', async () => {
    const id = await addGroup({ title: 'Inactive Readers' });
    assertError(await getGroups({ id }), 'No such group exists');
    assertError(await getGroups({ title: 'Inactive Readers' }), 'No such group exists');
    // Asking about is_active replaces 3.2's default filter.
    const rows = await getGroups({ id, is_active: 0 });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].is_active, '0');
  });

  test('an active group: every column, name made from the title, creator recorded', async () => {
    const id = await activeGroup('Alpha Readers', { description: 'people who read' });
    const rows = await getGroups({ id });
    assert.deepEqual(rows, [{
      id: String(id),
      name: 'Alpha_Readers',
      title: 'Alpha Readers',
      description: 'people who read',
      is_active: '1',
      visibility: 'User and User Admin Only',
      is_hidden: '0',
      is_reserved: '0',
      created_id: String(kith.users.admin.contactId),
      modified_id: String(kith.users.admin.contactId),
      frontend_title: 'Alpha Readers',
    }]);
  });

  test('names: munged to 31 characters and kept unique; a given name is used', async () => {
    const title = 'Friends & Family: 2024 Newsletter Subscribers List';
    const a = await activeGroup(title);
    const b = await activeGroup(`${title} B`);
    const c = await activeGroup('Named Group', { name: 'my_own_name' });
    const names = {};
    for (const id of [a, b, c]) names[id] = (await getGroups({ id }))[0].name;
    assert.equal(names[a], 'Friends_Family_2024_Newsletter_');
    assert.equal(names[b], 'Friends_Family_2024_Newsletter__2');
    assert.equal(names[c], 'my_own_name');
  });

  test('duplicate titles and names are refused', async () => {
    await activeGroup('Unique Title', { name: 'unique_name' });
    assertError(await api('group/add', { title: 'Unique Title' }), 'A group titled "Unique Title" already exists');
    assertError(await api('group/add', { title: 'Other Title', name: 'unique_name' }),
      'A group named "unique_name" already exists');
    assertError(await getGroups({ title: 'Other Title', is_active: 0 }), 'No such group exists');
  });

  test('visibility, group_type and unknown fields', async () => {
    const pub = await activeGroup('Public Group', { visibility: 'Public Pages' });
    assert.equal((await getGroups({ id: pub }))[0].visibility, 'Public Pages');
    const bad = await api('group/add', { title: 'Bad Visibility', visibility: 'Everyone' });
    assert.equal(bad.is_error, 1);
    assert.match(bad.error_message, /^visibility is not valid: Everyone/);

    const typed = await activeGroup('Typed Group', { group_type: { 1: 1, 2: 1 } });
    assert.equal((await getGroups({ id: typed }))[0].group_type, '\u00011\u00012\u0001');
    const byLabel = await activeGroup('Mailing Group', { group_type: 'Mailing List' });
    assert.equal((await getGroups({ id: byLabel }))[0].group_type, '\u00012\u0001');
    assertError(await api('group/add', { title: 'Bad Type', group_type: 'Carrier Pigeon' }),
      'group_type is not valid: Carrier Pigeon');
    assertError(await api('group/add', { title: 'Odd Field', colour: 'blue' }), 'Unknown field: colour');
    for (const title of ['Bad Visibility', 'Bad Type', 'Odd Field']) {
      assertError(await getGroups({ title, is_active: 0 }), 'No such group exists');
    }
  });

  test('update when id is given; the name stays; unknown ids are refused', async () => {
    const id = await activeGroup('Before Update');
    assert.equal(await addGroup({ id, title: 'After Update', description: 'changed' }), id);
    const row = (await getGroups({ id }))[0];
    assert.equal(row.title, 'After Update');
    assert.equal(row.description, 'changed');
    assert.equal(row.name, 'Before_Update');
    assert.equal(row.is_active, '1');  // not given on update: unchanged
    assertError(await api('group/add', { id: 999999, title: 'Ghost' }), 'id is not valid: 999999');
    assertError(await api('group/add', { id: 'abc', title: 'Ghost' }), 'id is not valid: abc');
  });

  test('the answer in XML', async () => {
    const root = await apiXml('group/add', { title: 'Xml Group', is_active: 1 });
    assert.equal(root.children.length, 1);
    const m = leafMap(root.children[0]);
    assert.deepEqual(Object.keys(m), ['is_error', 'result']);
    assert.equal(m.is_error, '0');
    assert.match(m.result, /^\d+$/);
  });

  test('permissions: a viewer may read groups but not add them; an editor may', async () => {
    const body = await api('group/add', { title: 'Viewer Group' }, { role: 'viewer' });
    assertError(body, 'API permission check failed for Group/add call; insufficient permission: '
      + 'require access CiviCRM and edit groups');
    const id = await (async () => {
      const b = await api('group/add', { title: 'Editor Group', is_active: 1 }, { role: 'editor' });
      assert.equal(b.is_error, 0, JSON.stringify(b));
      return b.result;
    })();
    const rows = await api('group/get', { id }, { role: 'viewer' });
    assert.equal(rows[0].title, 'Editor Group');
  });
});

describe('group/get', () => {
  test('name and title match with LIKE as given, no wildcards added', async () => {
    const a = await activeGroup('Likeable One');
    const b = await activeGroup('Likeable Two');
    await activeGroup('Unlikeable');
    assert.deepEqual((await getGroups({ title: 'Likeable%' })).map((r) => Number(r.id)), [a, b]);
    assert.deepEqual((await getGroups({ title: 'Likeable One' })).map((r) => Number(r.id)), [a]);
    assertError(await getGroups({ title: 'Likeable' }), 'No such group exists');
    assert.deepEqual((await getGroups({ name: 'Likeable_T%' })).map((r) => Number(r.id)), [b]);
    // Arrays become IN; other columns are equality filters; unknown ones are ignored.
    assert.deepEqual((await getGroups({ id: [a, b], visibility: 'User and User Admin Only', colour: 'x' }))
      .map((r) => Number(r.id)), [a, b]);
  });

  test('return[x]=1 picks columns (the id always comes back); member_count counts live', async () => {
    const id = await activeGroup('Returned Columns');
    const c1 = await addContact('Returnson');
    const c2 = await addContact('Returnson');
    await groupContact('add', { contact_id: c1, 'contact_id.2': c2, group_id: id });
    const rows = await getGroups({ id, return: { title: 1, member_count: 1 } });
    assert.deepEqual(rows, [{ id: String(id), title: 'Returned Columns', member_count: '2' }]);
  });

  test('XML: one Result per group, strictly well-formed', async () => {
    const a = await activeGroup('Xml <List> & "Co" 1');
    const b = await activeGroup('Xml <List> & "Co" 2');
    const root = await apiXml('group/get', { title: 'Xml <List> & "Co" %' });
    assert.equal(root.children.length, 2);
    const rows = root.children.map(leafMap);
    assert.deepEqual(rows.map((r) => Number(r.id)), [a, b]);
    assert.equal(rows[0].title, 'Xml <List> & "Co" 1');
    const typed = await activeGroup('Xml Typed', { group_type: { 1: 1, 2: 1 } });
    const t = await apiXml('group/get', { id: typed });
    assert.equal(leafMap(t.children[0]).group_type, ',1,2,');  // \x01 becomes ',' in XML
  });
});

describe('group/delete', () => {
  test('needs an id; unknown ids are refused; a deleted group takes its memberships', async () => {
    assertError(await api('group/delete', {}), 'Required parameter missing');
    assertError(await api('group/delete', { id: 999999 }), 'Could not delete group 999999');
    const id = await activeGroup('Doomed Group');
    const c = await addContact('Doomedson');
    await groupContact('add', { contact_id: c, group_id: id });
    assert.equal((await memberships(c)).length, 1);
    assert.deepEqual(await api('group/delete', { id }), { is_error: 0, result: true });
    assertError(await getGroups({ id }), 'No such group exists');
    assert.deepEqual(await memberships(c), []);
    assertError(await api('group/delete', { id }), `Could not delete group ${id}`);
  });

  test('permission and XML', async () => {
    const id = await activeGroup('Delete Xml');
    assertError(await api('group/delete', { id }, { role: 'viewer' }),
      'API permission check failed for Group/delete call; insufficient permission: require access CiviCRM and edit groups');
    const root = await apiXml('group/delete', { id });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '0', result: '1' });
  });
});

describe('group_contact', () => {
  test('required ids', async () => {
    const g = await activeGroup('Required Ids');
    const c = await addContact('Requiredson');
    assertError(await groupContact('add', { group_id: g }), 'contact_id is a required field');
    assertError(await groupContact('add', { contact_id: c }), 'group_id is a required field');
    assertError(await groupContact('remove', { group_id: g }), 'contact_id is a required field');
    assertError(await groupContact('pending', { contact_id: c }), 'group_id is a required field');
    assertError(await groupContact('get', {}), 'contact_id is a required field');
    assertError(await groupContact('update_status', { contact_id: c }), 'group_id is a required field');
  });

  test('add: several contacts and groups, counted as CiviCRM 3.2 counts', async () => {
    const g1 = await activeGroup('Counting One');
    const g2 = await activeGroup('Counting Two');
    const [a, b, c] = [await addContact('Countson'), await addContact('Countson'), await addContact('Countson')];
    // contact_id, contact_id.2 and contact_id_3 all name contacts.
    let body = await groupContact('add', { contact_id: a, 'contact_id.2': b, group_id: g1 });
    assert.deepEqual(body, { is_error: 0, total_count: 2, added: 2, not_added: 0 });
    assert.deepEqual(Object.keys(body), ['is_error', 'total_count', 'added', 'not_added']);
    body = await groupContact('add', { contact_id: a, contact_id_2: b, contact_id_3: c, group_id: g1 });
    assert.deepEqual(body, { is_error: 0, total_count: 3, added: 1, not_added: 2 });
    // Two groups: total is contacts x groups.
    body = await groupContact('add', { contact_id: a, 'contact_id.2': b, group_id: g1, 'group_id.2': g2 });
    assert.deepEqual(body, { is_error: 0, total_count: 4, added: 2, not_added: 2 });
    // The same contact twice in one call: the second is already added.
    const d = await addContact('Countson');
    body = await groupContact('add', { contact_id: d, 'contact_id.2': d, group_id: g2 });
    assert.deepEqual(body, { is_error: 0, total_count: 2, added: 1, not_added: 1 });
  });

  test('remove keeps the row as Removed; re-adding flips it back; history shows in get', async () => {
    const g = await activeGroup('Flip Flop');
    const member = await addContact('Flipson');
    const stranger = await addContact('Flipson');
    await groupContact('add', { contact_id: member, group_id: g });
    const [before] = await memberships(member);
    assert.deepEqual(Object.keys(before), ['id', 'group_id', 'title', 'visibility', 'in_date', 'in_method']);
    assert.equal(before.group_id, String(g));
    assert.equal(before.title, 'Flip Flop');
    assert.equal(before.visibility, 'User and User Admin Only');
    assert.match(before.in_date, DATE);
    assert.equal(before.in_method, 'API');

    // A member counts as removed; a non-member as not removed (its opt-out is kept).
    let body = await groupContact('remove', { contact_id: member, 'contact_id.2': stranger, group_id: g });
    assert.deepEqual(body, { is_error: 0, total_count: 2, removed: 1, not_removed: 1 });
    assert.deepEqual(Object.keys(body), ['is_error', 'total_count', 'removed', 'not_removed']);
    assert.deepEqual(await memberships(member), []);
    const [out] = await memberships(member, 'Removed');
    assert.deepEqual(Object.keys(out), ['id', 'group_id', 'title', 'visibility', 'out_date', 'out_method', 'date_added']);
    assert.equal(out.id, before.id);  // the same row, now Removed
    assert.equal(out.out_method, 'API');
    assert.equal(out.date_added, before.in_date);
    const [strangerOut] = await memberships(stranger, 'Removed');
    assert.equal(strangerOut.group_id, String(g));
    assert.equal(strangerOut.date_added, undefined);  // never added
    assert.deepEqual(await searchIds({ group: g }), []);

    body = await groupContact('add', { contact_id: member, group_id: g, method: 'Email' });
    assert.deepEqual(body, { is_error: 0, total_count: 1, added: 1, not_added: 0 });
    const [again] = await memberships(member);
    assert.equal(again.id, before.id);
    assert.equal(again.in_method, 'Email');  // the newest history row
    assert.deepEqual(await memberships(member, 'Removed'), []);
    assert.deepEqual(await searchIds({ group: g }), [member]);
  });

  test('pending and update_status', async () => {
    const g = await activeGroup('Pending Group');
    const p = await addContact('Pendingson');
    const m = await addContact('Pendingson');
    await groupContact('add', { contact_id: m, group_id: g });
    // An Added member is "not added" even when asked to be Pending (3.2's rule).
    let body = await groupContact('pending', { contact_id: p, 'contact_id.2': m, group_id: g });
    assert.deepEqual(body, { is_error: 0, total_count: 2, added: 1, not_added: 1 });
    const [pending] = await memberships(p, 'Pending');
    assert.deepEqual(Object.keys(pending), ['id', 'group_id', 'title', 'visibility', 'pending_date', 'pending_method']);
    assert.equal(pending.pending_method, 'API');
    assert.deepEqual(await searchIds({ group: g }), [m]);  // pending is not a member yet

    assert.deepEqual(await groupContact('update_status', { contact_id: p, group_id: g }), { is_error: 0, result: true });
    assert.deepEqual(await memberships(p, 'Pending'), []);
    assert.equal((await memberships(p))[0].id, pending.id);
    assert.deepEqual(await searchIds({ group: g }), sorted([p, m]));

    const outsider = await addContact('Pendingson');
    assertError(await groupContact('update_status', { contact_id: outsider, group_id: g }),
      `contact ${outsider} has no membership in group ${g} to update`);
  });

  test('unknown or malformed ids and values are refused with nothing written', async () => {
    const g = await activeGroup('Careful Group');
    const c = await addContact('Carefulson');
    assertError(await groupContact('add', { contact_id: c, 'contact_id.2': 999999, group_id: g }),
      'contact_id is not valid: 999999');
    assertError(await groupContact('add', { contact_id: c, group_id: g, 'group_id.2': 999999 }),
      'group_id is not valid: 999999');
    assertError(await groupContact('add', { contact_id: 'abc', group_id: g }), 'contact_id is not valid: abc');
    assertError(await groupContact('remove', { contact_id: c, group_id: 'xyz' }), 'group_id is not valid: xyz');
    const badStatus = await groupContact('add', { contact_id: c, group_id: g, status: 'Maybe' });
    assert.equal(badStatus.is_error, 1);
    assert.match(badStatus.error_message, /^status is not valid: Maybe/);
    const badMethod = await groupContact('add', { contact_id: c, group_id: g, method: 'Pigeon' });
    assert.match(badMethod.error_message, /^method is not valid: Pigeon/);
    assertError(await groupContact('get', { contact_id: 999999 }), 'contact_id is not valid: 999999');
    for (const status of [undefined, 'Removed', 'Pending']) {
      assert.deepEqual(await memberships(c, status), [], `status ${status}`);
    }
  });

  test('memberships of inactive groups are not listed; get is ordered by title', async () => {
    const c = await addContact('Orderson');
    const zed = await activeGroup('Zed Order');
    const abe = await activeGroup('Abe Order');
    const hidden = await addGroup({ title: 'Inactive Order' });
    await groupContact('add', { contact_id: c, group_id: zed, 'group_id.2': abe, 'group_id.3': hidden });
    assert.deepEqual((await memberships(c)).map((r) => r.title), ['Abe Order', 'Zed Order']);
  });

  test('XML answers are well-formed', async () => {
    const g = await activeGroup('Xml & Members');
    const c = await addContact('Xmlson');
    let root = await apiXml('group_contact/add', { contact_id: c, group_id: g });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '0', total_count: '1', added: '1', not_added: '0' });
    root = await apiXml('group_contact/get', { contact_id: c });
    assert.equal(root.children.length, 1);
    const row = leafMap(root.children[0]);
    assert.equal(row.title, 'Xml & Members');
    assert.equal(row.in_method, 'API');
  });

  test('permissions: viewers read memberships but cannot change them', async () => {
    const g = await activeGroup('Guarded Members');
    const c = await addContact('Guardson');
    assertError(await api('group_contact/add', { contact_id: c, group_id: g }, { role: 'viewer' }),
      'API permission check failed for GroupContact/add call; insufficient permission: '
      + 'require access CiviCRM and edit all contacts');
    const body = await api('group_contact/add', { contact_id: c, group_id: g }, { role: 'editor' });
    assert.equal(body.added, 1);
    const rows = await api('group_contact/get', { contact_id: c }, { role: 'viewer' });
    assert.equal(rows.length, 1);
  });
});

describe('contact search by group', () => {
  test('group=ID, group[ID]=1, name and title; search_count agrees', async () => {
    const g = await activeGroup('Search Club', { name: 'search_club' });
    const other = await activeGroup('Other Club');
    const [a, b, c] = [await addContact('Clubson'), await addContact('Clubson'), await addContact('Clubson')];
    await groupContact('add', { contact_id: a, 'contact_id.2': b, group_id: g });
    await groupContact('add', { contact_id: c, group_id: other });
    const want = sorted([a, b]);
    assert.deepEqual(await searchIds({ group: g }), want);
    assert.deepEqual(await searchIds({ group: { [g]: 1 } }), want);
    assert.deepEqual(await searchIds({ group: 'search_club' }), want);
    assert.deepEqual(await searchIds({ group: 'Search Club' }), want);
    assert.deepEqual(await searchIds({ group: { [g]: 1, [other]: 1 } }), sorted([a, b, c]));
    assert.deepEqual(await searchIds({ group: g, last_name: 'Nobody' }), []);
    assert.equal(await count({ group: g }), 2);
    assert.equal(await count({ group: { [g]: 1, [other]: 1 } }), 3);
    assert.deepEqual(await searchIds({ group: 'No Such Club' }), []);
    // Trashed members are left out, as every 3.2 search leaves them out.
    await api('contact/delete', { contact_id: b });
    assert.deepEqual(await searchIds({ group: g }), [a]);
  });

  test('XML search by group', async () => {
    const g = await activeGroup('Xml Search Club');
    const a = await addContact('Xmlclubson');
    await groupContact('add', { contact_id: a, group_id: g });
    const root = await apiXml('contact/search', { group: g, return: { last_name: 1 } });
    assert.deepEqual(root.children.map(leafMap), [{ contact_id: String(a), last_name: 'Xmlclubson' }]);
  });
});

describe('nested groups', () => {
  test('members of child groups, at any depth, are members of their parents', async () => {
    const top = await activeGroup('Nest Top');
    const mid = await activeGroup('Nest Mid', { parents: top });
    const leaf = await activeGroup('Nest Leaf', { parents: { [mid]: 1 } });
    const [t, m, l] = [await addContact('Nestson'), await addContact('Nestson'), await addContact('Nestson')];
    await groupContact('add', { contact_id: t, group_id: top });
    await groupContact('add', { contact_id: m, group_id: mid });
    await groupContact('add', { contact_id: l, group_id: leaf });
    assert.deepEqual(await searchIds({ group: top }), sorted([t, m, l]));
    assert.deepEqual(await searchIds({ group: mid }), sorted([m, l]));
    assert.deepEqual(await searchIds({ group: leaf }), [l]);
    assert.equal(await count({ group: top }), 3);
    assert.equal((await getGroups({ id: top, return: { member_count: 1 } }))[0].member_count, '3');
    // CiviCRM's parents/children columns.
    assert.equal((await getGroups({ id: mid }))[0].parents, String(top));
    assert.equal((await getGroups({ id: mid }))[0].children, String(leaf));
    assert.equal((await getGroups({ id: top }))[0].children, String(mid));
  });

  test('circular nesting is refused and nothing of the call is written', async () => {
    const top = await activeGroup('Loop Top');
    const mid = await activeGroup('Loop Mid', { parents: top });
    const leaf = await activeGroup('Loop Leaf', { parents: mid });
    const body = await api('group/add', { id: top, title: 'Loop Top', description: 'changed', parents: leaf });
    assert.equal(body.is_error, 1);
    assert.match(body.error_message, /^Circular group nesting: /);
    const row = (await getGroups({ id: top }))[0];
    assert.equal(row.description, undefined);
    assert.equal(row.parents, undefined);
    const self = await api('group/add', { id: mid, title: 'Loop Mid', parents: mid });
    assert.match(self.error_message, /^Circular group nesting: group \d+ cannot be its own parent/);
    assertError(await api('group/add', { title: 'Orphan', parents: 999999 }), 'parents is not valid: 999999');
    assertError(await getGroups({ title: 'Orphan', is_active: 0 }), 'No such group exists');
  });
});

describe('smart groups', () => {
  test('membership follows the saved criteria live, with no rebuild step', async () => {
    const s1 = await addContact('Smartson');
    const s2 = await addContact('Smartson');
    const other = await addContact('Plainson');
    const g = await activeGroup('Smartsons', { formValues: JSON.stringify({ last_name: 'Smartson' }) });
    assert.match((await getGroups({ id: g }))[0].saved_search_id, /^\d+$/);
    assert.deepEqual(await searchIds({ group: g }), sorted([s1, s2]));
    assert.equal(await count({ group: g }), 2);

    // A new matching contact and one updated to match are members at once.
    const s3 = await addContact('Smartson');
    await api('contact/add', { contact_id: other, contact_type: 'Individual', last_name: 'Smartson' });
    assert.deepEqual(await searchIds({ group: g }), sorted([s1, s2, s3, other]));
    assert.equal(await count({ group: g }), 4);
    // And one that stops matching leaves.
    await api('contact/add', { contact_id: s3, contact_type: 'Individual', last_name: 'Formerson' });
    assert.deepEqual(await searchIds({ group: g }), sorted([s1, s2, other]));
  });

  test('removed by hand wins over the search; added by hand joins it', async () => {
    const [a, b] = [await addContact('Handson'), await addContact('Handson')];
    const outsider = await addContact('Outsiderson');
    const g = await activeGroup('Handsons', { formValues: { last_name: 'Handson' } });
    // In a smart group every removal counts, member by search or not.
    const body = await groupContact('remove', { contact_id: b, group_id: g });
    assert.deepEqual(body, { is_error: 0, total_count: 1, removed: 1, not_removed: 0 });
    await groupContact('add', { contact_id: outsider, group_id: g });
    assert.deepEqual(await searchIds({ group: g }), sorted([a, outsider]));
    assert.equal((await memberships(b, 'Removed'))[0].group_id, String(g));
    // Adding the removed contact back makes it a member again.
    await groupContact('add', { contact_id: b, group_id: g });
    assert.deepEqual(await searchIds({ group: g }), sorted([a, b, outsider]));
  });

  test('criteria in bracket form, on locations, on other groups; nested under a plain group', async () => {
    const club = await activeGroup('Springfield Club');
    const a = await addContact('Cityson', { city: 'Springfield' });
    const b = await addContact('Cityson', { city: 'Springfield' });
    const c = await addContact('Cityson', { city: 'Shelbyville' });
    await groupContact('add', { contact_id: a, 'contact_id.2': c, group_id: club });
    const locals = await activeGroup('Springfielders', { formValues: { city: 'Springfield', last_name: 'Cityson' } });
    assert.deepEqual(await searchIds({ group: locals }), sorted([a, b]));
    const localMembers = await activeGroup('Springfield Club Locals',
      { formValues: JSON.stringify({ city: 'Springfield', group: club }) });
    assert.deepEqual(await searchIds({ group: localMembers }), [a]);
    const parent = await activeGroup('Smart Parent');
    await addGroup({ id: locals, title: 'Springfielders', parents: parent });
    const d = await addContact('Parentson');
    await groupContact('add', { contact_id: d, group_id: parent });
    assert.deepEqual(await searchIds({ group: parent }), sorted([a, b, d]));
  });

  test('counted once each: added and matching, not removed, not in the trash', async () => {
    // Criteria on a location only: PostgreSQL counts the candidates (the
    // added and the matching) without reading each contact's row.
    const g = await activeGroup('Countvillers', { formValues: { city: 'Countville' } });
    const both = await addContact('Countson', { city: 'Countville' });
    const matching = await addContact('Countson', { city: 'Countville' });
    const removed = await addContact('Countson', { city: 'Countville' });
    const added = await addContact('Countson', { city: 'Elsewhere' });
    const trashed = await addContact('Countson', { city: 'Countville' });
    await groupContact('add', { contact_id: both, 'contact_id.2': added, group_id: g });
    await groupContact('remove', { contact_id: removed, group_id: g });
    assert.equal(await count({ group: g }), 4);
    await api('contact/delete', { contact_id: trashed });
    const want = sorted([both, matching, added]);
    assert.deepEqual(await searchIds({ group: g }), want);
    assert.equal(await count({ group: g }), want.length);
  });

  test('bad criteria and criteria that loop are refused', async () => {
    assertError(await api('group/add', { title: 'Bad Json', formValues: '{not json' }),
      'formValues is not a JSON object of contact criteria');
    assertError(await api('group/add', { title: 'Bad Field', formValues: JSON.stringify({ favourite_colour: 'red' }) }),
      'Unknown field in formValues: favourite_colour');
    const badOp = await api('group/add', { title: 'Bad Op', formValues: JSON.stringify({ last_name: { NEARLY: 'x' } }) });
    assert.equal(badOp.is_error, 1);
    for (const title of ['Bad Json', 'Bad Field', 'Bad Op']) {
      assertError(await getGroups({ title, is_active: 0 }), 'No such group exists');
    }
    const s1 = await activeGroup('Loop Smart One', { formValues: { last_name: 'Loopson' } });
    const s2 = await activeGroup('Loop Smart Two', { formValues: JSON.stringify({ group: s1 }) });
    const loop = await api('group/add', { id: s1, title: 'Loop Smart One', formValues: JSON.stringify({ group: s2 }) });
    assert.equal(loop.is_error, 1);
    assert.match(loop.error_message, /refers to itself through its criteria/);
    // The refused update left the old criteria in place.
    const l = await addContact('Loopson');
    assert.deepEqual(await searchIds({ group: s1 }), [l]);
    assert.deepEqual(await searchIds({ group: s2 }), [l]);
  });
});
