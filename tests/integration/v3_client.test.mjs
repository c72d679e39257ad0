// APIv3 through a real client: the npm package civicrm@2.2.2 (installed as
// the alias civicrm-v3, unmodified), which posts entity/action in the query
// string and key, api_key, json=1, sequential=1 (and json={...} when a
// parameter is an object) as a form, to .../extern/rest.php. Every entity
// and action kith serves in APIv3 is driven through it.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startKith, REST_PATH, AJAX_PATH, kithForSuite } from './harness.mjs';

const require = createRequire(import.meta.url);
const crmFactory = require('civicrm-v3');

const kith = kithForSuite();
let n = 0;

function uniq(prefix) {
  n += 1;
  return `${prefix}${Date.now().toString(36)}${n}`;
}

function client(role = 'admin', path = REST_PATH) {
  return crmFactory({ server: kith.baseUrl, path, key: kith.siteKey, api_key: kith.users[role].apiKey });
}

// The client's callbacks as promises.
function call(crm, entity, action, params) {
  return new Promise((resolve) => crm.call(entity, action, params, resolve));
}
const viaHelper = (fn, crm, entity, params) => new Promise((resolve) => crm[fn](entity, params, resolve));

function ok(result) {
  assert.equal(result.is_error, 0, JSON.stringify(result));
  return result;
}

describe('civicrm@2.2.2 against kith', () => {
  test('Contact: create, get, getsingle, getcount, getvalue, update, delete', async () => {
    const crm = client();
    const last = uniq('Npm');
    const created = ok(await viaHelper('create', crm, 'Contact', {
      contact_type: 'Individual', first_name: 'Ada', last_name: last, email: `ada.${last}@example.org`,
    }));
    assert.equal(created.count, 1);
    const id = created.id;
    // sequential=1 is the client's default: values come as a list.
    assert.ok(Array.isArray(created.values));
    assert.equal(created.values[0].display_name, `Ada ${last}`);

    const got = ok(await viaHelper('get', crm, 'Contact', { last_name: last, return: 'display_name,email' }));
    assert.deepEqual(got.values, [{
      contact_id: String(id), display_name: `Ada ${last}`, last_name: last, contact_is_deleted: '0',
      email_id: got.values[0].email_id, email: `ada.${last.toLowerCase()}@example.org`, id: String(id),
    }]);
    const single = await viaHelper('getSingle', crm, 'Contact', { id, return: 'first_name' });
    assert.deepEqual(single, { contact_id: String(id), first_name: 'Ada', id: String(id), is_error: 0 });
    assert.deepEqual(await call(crm, 'Contact', 'getcount', { last_name: last }), { is_error: 0, result: 1 });
    assert.deepEqual(await call(crm, 'Contact', 'getvalue', { id, return: 'sort_name' }), { is_error: 0, result: `${last}, Ada` });

    const updated = ok(await viaHelper('update', crm, 'Contact', { id, nick_name: 'Countess' }));
    assert.equal(updated.values[0].nick_name, 'Countess');
    // A number as params is the id (the client's own shorthand).
    assert.deepEqual(await viaHelper('delete', crm, 'Contact', id), { is_error: 0, version: 3, count: 1, values: 1 });
    assert.deepEqual(await call(crm, 'Contact', 'getcount', { last_name: last }), { is_error: 0, result: 0 });
  });

  test('chained calls are sent as json={...}', async () => {
    const crm = client();
    const last = uniq('Chain');
    const created = ok(await viaHelper('create', crm, 'Contact', {
      contact_type: 'Individual', first_name: 'Cora', last_name: last,
      'api.Email.create': { email: `cora.${last}@example.org`, contact_id: '$value.id' },
      'api.Address.create': { city: 'Oslo', country_id: 'NO' },
    }));
    const row = created.values[0];
    assert.equal(row['api.Email.create'].values[0].contact_id, String(created.id));
    assert.equal(row['api.Address.create'].values[0].country_id, '1161');
    const got = ok(await viaHelper('get', crm, 'Contact', { id: created.id, return: 'city,email', 'api.Phone.get': {} }));
    assert.equal(got.values[0].city, 'Oslo');
    assert.equal(got.values[0]['api.Phone.get'].count, 0);
  });

  test('Email, Phone and Address: create, get, replace, delete', async () => {
    const crm = client();
    const contact = ok(await viaHelper('create', crm, 'Contact', { contact_type: 'Organization', organization_name: uniq('Org') }));
    const cid = contact.id;
    for (const [entity, values] of [
      ['Email', { email: `info.${cid}@example.org` }],
      ['Phone', { phone: '555-0100', phone_type_id: 'Phone' }],
      ['Address', { street_address: '1 Quay', city: 'Brussels', country_id: 'BE' }],
    ]) {
      const made = ok(await viaHelper('create', crm, entity, { contact_id: cid, location_type_id: 'Work', ...values }));
      assert.equal(made.values[0].location_type_id, '2', entity);
      const listed = ok(await viaHelper('get', crm, entity, { contact_id: cid }));
      assert.deepEqual(listed.values.map((v) => v.id), [String(made.id)], entity);
      const replaced = ok(await call(crm, entity, 'replace', { contact_id: cid, values: [{ location_type_id: 'Main', ...values }] }));
      assert.equal(replaced.count, 1, entity);
      const after = ok(await viaHelper('get', crm, entity, { contact_id: cid }));
      assert.deepEqual(after.values.map((v) => [v.id, v.location_type_id]), [[String(replaced.id), '3']], entity);
      ok(await viaHelper('delete', crm, entity, { id: replaced.id }));
      assert.deepEqual(await call(crm, entity, 'getcount', { contact_id: cid }), { is_error: 0, result: 0 }, entity);
    }
  });

  test('reference entities: LocationType, Country, StateProvince, OptionGroup, OptionValue', async () => {
    const crm = client();
    const home = ok(await viaHelper('getSingle', crm, 'LocationType', { name: 'Home' }));
    assert.equal(home.id, '1');
    const de = ok(await viaHelper('get', crm, 'Country', { iso_code: 'DE', return: 'name' }));
    assert.deepEqual(de.values, [{ id: '1082', name: 'Germany' }]);
    const ny = ok(await viaHelper('getSingle', crm, 'StateProvince', { id: 1031 }));
    assert.equal(ny.name, 'New York');
    const og = ok(await viaHelper('getSingle', crm, 'OptionGroup', { name: 'phone_type' }));
    const mobile = ok(await viaHelper('getSingle', crm, 'OptionValue', { option_group_id: og.id, name: 'Mobile' }));
    assert.equal(mobile.value, '2');

    const name = uniq('Boat');
    const made = ok(await viaHelper('create', crm, 'LocationType', { name, display_name: 'Boat' }));
    assert.equal(made.values[0].is_active, '1');
    ok(await viaHelper('delete', crm, 'LocationType', { id: made.id }));
    assert.deepEqual(await call(crm, 'LocationType', 'getcount', { name }), { is_error: 0, result: 0 });
  });

  test('Group and GroupContact', async () => {
    const crm = client();
    const group = ok(await viaHelper('create', crm, 'Group', { title: uniq('Npm club') }));
    assert.equal(group.values[0].is_active, '1');
    const person = ok(await viaHelper('create', crm, 'Contact', { contact_type: 'Individual', first_name: 'G', last_name: uniq('Gc') }));
    const added = await viaHelper('create', crm, 'GroupContact', { group_id: group.id, contact_id: person.id });
    assert.deepEqual(added, { is_error: 0, version: 3, count: 1, values: 1, total_count: 1, added: 1, not_added: 0 });
    const mine = ok(await viaHelper('get', crm, 'GroupContact', { contact_id: person.id }));
    assert.equal(mine.values[0].title, group.values[0].title);
    const members = ok(await viaHelper('get', crm, 'Contact', { group: group.id, return: 'id' }));
    assert.deepEqual(members.values.map((v) => v.id), [String(person.id)]);
    const removed = await viaHelper('delete', crm, 'GroupContact', { group_id: group.id, contact_id: person.id });
    assert.equal(removed.removed, 1);
    const replaced = ok(await call(crm, 'GroupContact', 'replace', { contact_id: person.id, values: [{ group_id: group.id }] }));
    assert.equal(replaced.count, 1);
    assert.deepEqual(await viaHelper('delete', crm, 'Group', group.id), { is_error: 0, version: 3, count: 1, values: true });
  });

  test('Relationship and RelationshipType', async () => {
    const crm = client();
    const type = ok(await viaHelper('getSingle', crm, 'RelationshipType', { name_b_a: 'Employer of' }));
    const person = ok(await viaHelper('create', crm, 'Contact', { contact_type: 'Individual', first_name: 'R', last_name: uniq('Rel') }));
    const org = ok(await viaHelper('create', crm, 'Contact', { contact_type: 'Organization', organization_name: uniq('Rel org') }));
    const rel = ok(await viaHelper('create', crm, 'Relationship', { contact_id_a: person.id, contact_id_b: org.id, relationship_type_id: type.id }));
    const seen = ok(await viaHelper('get', crm, 'Relationship', { contact_id: org.id }));
    assert.equal(seen.values[0].relation, 'Employer of');
    const again = await viaHelper('create', crm, 'Relationship', { contact_id_a: person.id, contact_id_b: org.id, relationship_type_id: type.id });
    assert.equal(again.error_code, 'duplicate');
    ok(await viaHelper('delete', crm, 'Relationship', { id: rel.id }));
    const name = uniq('Coach');
    const made = ok(await viaHelper('create', crm, 'RelationshipType', { name_a_b: `${name} of`, name_b_a: `${name}ed by` }));
    ok(await viaHelper('delete', crm, 'RelationshipType', { id: made.id }));
  });

  test('CustomGroup, CustomField and CustomValue', async () => {
    const crm = client();
    const tag = uniq('npmcg');
    const group = ok(await viaHelper('create', crm, 'CustomGroup', { title: tag, extends: 'Contact' }));
    const field = ok(await viaHelper('create', crm, 'CustomField', {
      custom_group_id: group.id, label: 'Colour', data_type: 'String', html_type: 'Select',
      option_values: { r: 'Red', g: 'Green' },
    }));
    const key = `custom_${field.id}`;
    const person = ok(await viaHelper('create', crm, 'Contact', { contact_type: 'Individual', first_name: 'C', last_name: tag, [key]: 'Green' }));
    const got = ok(await viaHelper('getSingle', crm, 'Contact', { id: person.id, return: key }));
    assert.equal(got[key], 'g');
    ok(await call(crm, 'CustomValue', 'create', { entity_id: person.id, [key]: 'r' }));
    const values = ok(await call(crm, 'CustomValue', 'get', { entity_id: person.id }));
    assert.equal(values.values[0].latest, 'r');
    const options = ok(await call(crm, 'Contact', 'getoptions', { field: key }));
    assert.deepEqual(options.values, [{ key: 'r', value: 'Red' }, { key: 'g', value: 'Green' }]);
    ok(await viaHelper('delete', crm, 'CustomField', { id: field.id }));
    ok(await viaHelper('delete', crm, 'CustomGroup', { id: group.id }));
  });

  test('getfields, getoptions, getactions and Entity.get', async () => {
    const crm = client();
    const fields = ok(await call(crm, 'Contact', 'getfields', { api_action: 'create' }));
    assert.ok(fields.values.some((f) => f.name === 'contact_type' && f['api.required'] === 1));
    const options = ok(await call(crm, 'Phone', 'getoptions', { field: 'phone_type_id' }));
    assert.ok(options.values.some((o) => o.key === '2' && o.value === 'Mobile'), JSON.stringify(options.values));
    const actions = ok(await call(crm, 'Contact', 'getactions', {}));
    assert.ok(actions.values.includes('getsingle'));
    const entities = ok(await call(crm, 'Entity', 'get', {}));
    assert.ok(entities.values.includes('Contact'));
  });

  test('errors reach the client in CiviCRM\'s envelope', async () => {
    const viewer = client('viewer');
    const denied = await viaHelper('create', viewer, 'Contact', { contact_type: 'Individual', first_name: 'No' });
    assert.equal(denied.is_error, 1);
    assert.equal(denied.error_code, 'unauthorized');
    const missing = await viaHelper('create', client(), 'Contact', { first_name: 'No' });
    assert.deepEqual(missing.fields, ['contact_type']);
    const wrongKey = crmFactory({ server: kith.baseUrl, path: REST_PATH, key: kith.siteKey, api_key: 'nope' });
    const refused = await viaHelper('get', wrongKey, 'Contact', {});
    assert.equal(refused.error_message, 'ERROR: No CMS user associated with given api-key');
  });

  test('the same client on /civicrm/ajax/rest', async () => {
    const crm = client('viewer', AJAX_PATH);
    const me = ok(await viaHelper('getSingle', crm, 'Contact', { id: 'user_contact_id', return: 'display_name' }));
    assert.equal(me.id, String(kith.users.viewer.contactId));
  });
});
