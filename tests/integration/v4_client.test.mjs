// APIv4 through a real client: the npm package civicrm@3.2.2 (installed as
// the alias civicrm-v4, unmodified). It posts params=<JSON> (and index) as a
// form to /civicrm/ajax/api4/<Entity>/<action> with X-Requested-With,
// X-Civi-Auth and Authorization bearer headers and X-Civi-Key, through Node's
// fetch, and throws on any status but 2xx. Every entity of the foundation and
// groups issues is driven through get/create/update/save/delete, with joins,
// chains and errors.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startKith } from './harness.mjs';

const require = createRequire(import.meta.url);
const crmFactory = require('civicrm-v4');

// The client prints its headers (api key included) on every call.
const quietLog = console.log;
console.log = (...args) => {
  if (args[0] !== 'headers') quietLog(...args);
};

let kith;
let n = 0;

before(async () => {
  kith = await startKith();
});

after(async () => {
  console.log = quietLog;
  if (kith) {
    const exit = await kith.stop();
    assert.equal(exit.code, 0, `kith serve exited with ${JSON.stringify(exit)}; stderr: ${kith.stderr}`);
  }
});

function uniq(prefix) {
  n += 1;
  return `${prefix}${Date.now().toString(36)}${n}`;
}

function client(role = 'admin', { siteKey = true } = {}) {
  const options = { server: kith.baseUrl, api_key: kith.users[role].apiKey };
  if (siteKey) options.key = kith.siteKey;
  return crmFactory(options);
}

describe('civicrm@3.2.2 against kith', () => {
  test('Contact: create (type guessed), get, update, save with match, delete', async () => {
    const crm = client();
    const last = uniq('Npm');
    const created = await crm.create('Contact', { values: { first_name: 'Ada', last_name: last } });
    assert.equal(created.entity, 'Contact');
    assert.equal(created.action, 'create');
    assert.equal(created.values.length, 1);
    const ada = created.values[0];
    assert.equal(ada.contact_type, 'Individual');
    assert.equal(ada.display_name, `Ada ${last}`);
    assert.equal(ada.sort_name, `${last}, Ada`);
    assert.equal(ada.is_deleted, false);

    const org = await crm.create('Contact', { values: { organization_name: `Org ${last}` } });
    assert.equal(org.values[0].contact_type, 'Organization');

    const got = await crm.get('Contact', {
      select: ['id', 'display_name', 'contact_type'], where: [['last_name', '=', last]],
    });
    assert.deepEqual(got.values, [{ id: ada.id, display_name: `Ada ${last}`, contact_type: 'Individual' }]);
    assert.equal(got.count, 1);

    const updated = await crm.update('Contact', { values: { nick_name: 'Countess' }, where: [['id', '=', ada.id]] });
    assert.equal(updated.values[0].nick_name, 'Countess');

    const saved = await crm.api4('Contact', 'save', {
      records: [{ first_name: 'Augusta', external_identifier: `ext-${last}` }],
      defaults: { last_name: last, contact_type: 'Individual' }, match: ['external_identifier'],
    });
    assert.equal(saved.countMatched, 0);
    const again = await crm.api4('Contact', 'save', {
      records: [{ first_name: 'Augusta Ada', external_identifier: `ext-${last}` }], match: ['external_identifier'],
    });
    assert.equal(again.countMatched, 1);
    assert.equal(again.values[0].id, saved.values[0].id);
    assert.equal(again.values[0].display_name, `Augusta Ada ${last}`);

    const deleted = await crm.delete('Contact', { where: [['id', '=', ada.id]] });
    assert.deepEqual(deleted.values, [{ id: ada.id }]);  // CiviCRM's Contact delete: ids as numbers
    const gone = await crm.get('Contact', { select: ['id'], where: [['id', '>=', ada.id], ['id', '<=', ada.id]] });
    assert.deepEqual(gone.values, []);
    // A get naming the id finds it in the trash, as CiviCRM's does.
    const byId = await crm.get('Contact', { select: ['id'], where: [['id', '=', ada.id]] });
    assert.deepEqual(byId.values, [{ id: ada.id }]);
    const trashed = await crm.get('Contact', { select: ['id', 'is_deleted'], where: [['id', '=', ada.id], ['is_deleted', '=', true]] });
    assert.deepEqual(trashed.values, [{ id: ada.id, is_deleted: true }]);
  });

  test('Contact with its primary email, phone and address in values; implicit joins', async () => {
    const crm = client();
    const last = uniq('Loc');
    const created = await crm.create('Contact', {
      values: {
        first_name: 'Grace', last_name: last, 'email_primary.email': `Grace.${last}@Example.org`,
        'phone_primary.phone': '+1 555 0100', 'address_primary.city': 'Boston',
        'address_primary.country_id:abbr': 'US', 'address_primary.state_province_id': 1031,
      },
    });
    const id = created.values[0].id;
    assert.equal(created.values[0]['address_primary.country_id'], 1228);
    const got = await crm.get('Contact', {
      select: ['email_primary.email', 'phone_primary.phone', 'address_primary.city',
        'address_primary.country_id:abbr', 'address_primary.country_id:label',
        'address_primary.state_province_id:label', 'email_primary.location_type_id:name'],
      where: [['id', '=', id]],
    });
    assert.deepEqual(got.values, [{
      id,
      'email_primary.email': `grace.${last.toLowerCase()}@example.org`,
      'phone_primary.phone': '+1 555 0100',
      'address_primary.city': 'Boston',
      'address_primary.country_id:abbr': 'US',
      'address_primary.country_id:label': 'United States',
      'address_primary.state_province_id:label': 'New York',
      'email_primary.location_type_id:name': 'Home',
    }]);
    // Updating email_primary.email changes that record, not a new one.
    await crm.update('Contact', { values: { 'email_primary.email': `g.${last}@example.org` }, where: [['id', '=', id]] });
    const emails = await crm.get('Email', { select: ['email', 'is_primary'], where: [['contact_id', '=', id]] });
    assert.equal(emails.values.length, 1);
    assert.equal(emails.values[0].email, `g.${last.toLowerCase()}@example.org`);
    // Where and orderBy through a join.
    const byCity = await crm.get('Contact', {
      select: ['first_name'], where: [['address_primary.city', '=', 'Boston'], ['last_name', '=', last]],
      orderBy: { 'address_primary.city': 'ASC' },
    });
    assert.deepEqual(byCity.values, [{ id, first_name: 'Grace' }]);
  });

  test('Email, Phone, Address: create, get with pseudo-fields, update, save, delete', async () => {
    const crm = client();
    const last = uniq('Blk');
    const contact = (await crm.create('Contact', { values: { first_name: 'Bea', last_name: last } })).values[0].id;
    for (const [entity, values, update] of [
      ['Email', { email: `bea.${last}@example.org` }, { on_hold: 1 }],
      ['Phone', { phone: '555-0199', phone_type_id: 2 }, { phone_ext: '42' }],
      ['Address', { street_address: '1 Main St', city: 'Oslo', country_id: 1161 }, { postal_code: '0150' }],
    ]) {
      const created = await crm.create(entity, { values: { contact_id: contact, 'location_type_id:name': 'Work', ...values } });
      const row = created.values[0];
      assert.equal(row.contact_id, contact, entity);
      assert.equal(row.location_type_id, 2, entity);
      const got = await crm.get(entity, {
        select: ['location_type_id:label', 'contact_id.display_name', 'is_primary'], where: [['id', '=', row.id]],
      });
      assert.deepEqual(got.values, [{
        id: row.id, 'location_type_id:label': 'Work', 'contact_id.display_name': `Bea ${last}`, is_primary: true,
      }], entity);
      const updated = await crm.update(entity, { values: { id: row.id, ...update } });
      for (const [k, v] of Object.entries(update)) assert.equal(updated.values[0][k], v, `${entity}.${k}`);
      const saved = await crm.api4(entity, 'save', { records: [{ id: row.id, is_billing: true }] });
      assert.equal(saved.countMatched, 1);
      await crm.delete(entity, { where: [['id', '=', row.id]] });
      const gone = await crm.get(entity, { select: ['row_count'], where: [['contact_id', '=', contact]] });
      assert.equal(gone.count, 0, entity);
    }
  });

  test('reference data: LocationType, Country, StateProvince, OptionValue', async () => {
    const crm = client('viewer');
    const types = await crm.get('LocationType', { select: ['name'], orderBy: { id: 'ASC' } });
    assert.deepEqual(types.values.map((t) => t.name), ['Home', 'Work', 'Main', 'Other', 'Billing']);
    const us = await crm.get('Country', { select: ['id', 'name'], where: [['iso_code', '=', 'US']] });
    assert.deepEqual(us.values, [{ id: 1228, name: 'United States' }]);
    const ny = await crm.get('StateProvince', {
      select: ['name', 'country_id:abbr'], where: [['id', '=', 1031]],
    });
    assert.deepEqual(ny.values, [{ id: 1031, name: 'New York', 'country_id:abbr': 'US' }]);
    const genders = await crm.get('OptionValue', {
      select: ['label'], where: [['option_group_id:name', '=', 'gender']], orderBy: { weight: 'ASC' },
    }, 'label');
    assert.ok('Female' in genders.values, JSON.stringify(genders.values));
  });

  test('Group and GroupContact: create, save several, get, count, update, delete', async () => {
    const crm = client();
    const last = uniq('Grp');
    const group = (await crm.create('Group', { values: { title: `Readers ${last}`, description: 'via npm' } })).values[0];
    assert.equal(group.title, `Readers ${last}`);
    assert.equal(group.frontend_title, `Readers ${last}`);
    const people = await crm.api4('Contact', 'save', {
      records: [{ first_name: 'Ann' }, { first_name: 'Ben' }, { first_name: 'Cid' }],
      defaults: { contact_type: 'Individual', last_name: last },
    });
    const ids = people.values.map((p) => p.id);
    const members = await crm.api4('GroupContact', 'save', {
      records: ids.map((id) => ({ contact_id: id })), defaults: { group_id: group.id, status: 'Added' },
    });
    assert.equal(members.values.length, 3);
    const count = await crm.get('GroupContact', { select: ['row_count'], where: [['group_id', '=', group.id], ['status', '=', 'Added']] });
    assert.equal(count.count, 3);
    assert.deepEqual(count.values, []);
    await crm.update('GroupContact', { values: { status: 'Removed' }, where: [['group_id', '=', group.id], ['contact_id', '=', ids[1]]] });
    const inGroup = await crm.get('Contact', { select: ['first_name'], where: [['groups', 'IN', [group.id]]], orderBy: { id: 'ASC' } });
    assert.deepEqual(inGroup.values.map((v) => v.first_name), ['Ann', 'Cid']);
    const byStatus = await crm.get('GroupContact', {
      select: ['contact_id.first_name', 'status'], where: [['group_id', '=', group.id]], orderBy: { contact_id: 'ASC' },
    });
    assert.deepEqual(byStatus.values.map((v) => [v['contact_id.first_name'], v.status]),
      [['Ann', 'Added'], ['Ben', 'Removed'], ['Cid', 'Added']]);
    const renamed = await crm.update('Group', { values: { id: group.id, description: 'renamed' } });
    assert.equal(renamed.values[0].description, 'renamed');
    await crm.delete('Group', { where: [['id', '=', group.id]] });
    assert.deepEqual((await crm.get('Group', { select: ['id'], where: [['id', '=', group.id]] })).values, []);
    assert.equal((await crm.get('GroupContact', { select: ['row_count'], where: [['group_id', '=', group.id]] })).count, 0);
  });

  test('explicit join, groupBy, chains and index', async () => {
    const crm = client();
    const last = uniq('Chn');
    const mail = `nia.${last}@example.org`.toLowerCase();  // emails are stored lower-cased (A.11)
    const created = await crm.create('Contact', {
      values: { first_name: 'Nia', last_name: last },
      chain: { email: ['Email', 'create', { values: { contact_id: '$id', email: mail } }] },
    });
    const nia = created.values[0];
    assert.equal(nia.email.length, 1);
    assert.equal(nia.email[0].contact_id, nia.id);
    assert.equal(nia.email[0].is_primary, true);
    await crm.create('Contact', { values: { first_name: 'Ned', last_name: last } });

    const joined = await crm.get('Contact', {
      select: ['first_name', 'e.email', 'e.location_type_id:name'],
      join: [['Email AS e', 'LEFT', ['e.contact_id', '=', 'id']]],
      where: [['last_name', '=', last]], orderBy: { id: 'ASC' },
    });
    assert.deepEqual(joined.values.map((v) => [v.first_name, v['e.email'], v['e.location_type_id:name']]),
      [['Nia', mail, 'Home'], ['Ned', null, null]]);
    const inner = await crm.get('Contact', {
      select: ['first_name'], join: [['Email AS e', 'INNER', ['e.contact_id', '=', 'id']]], where: [['last_name', '=', last]],
    });
    assert.deepEqual(inner.values.map((v) => v.first_name), ['Nia']);

    const chained = await crm.get('Contact', {
      select: ['first_name'], where: [['last_name', '=', last]], orderBy: { id: 'ASC' },
      chain: {
        emails: ['Email', 'get', { select: ['email'], where: [['contact_id', '=', '$id']] }],
        first: ['Email', 'get', { select: ['email'], where: [['contact_id', '=', '$id']] }, 0],
      },
    });
    assert.deepEqual(chained.values[0].emails.map((e) => e.email), [mail]);
    assert.equal(chained.values[0].first.email, mail);
    assert.deepEqual(chained.values[1].emails, []);
    assert.equal(chained.values[1].first, null);

    const grouped = await crm.get('Contact', {
      select: ['last_name', 'COUNT(id) AS n'], where: [['last_name', '=', last]], groupBy: ['last_name'],
    });
    assert.deepEqual(grouped.values, [{ last_name: last, n: 2 }]);

    // index: as the client sends it (a field, or index[key]=value).
    const byName = await crm.get('Contact', { select: ['first_name'], where: [['last_name', '=', last]] }, 'first_name');
    assert.deepEqual(Object.keys(byName.values).sort(), ['Ned', 'Nia']);
    const map = await crm.get('Contact', { select: ['first_name'], where: [['last_name', '=', last]] }, { first_name: 'id' });
    assert.equal(map.values.Nia, nia.id);
  });

  test('getFields and getActions', async () => {
    const crm = client('viewer');
    const fields = await crm.api4('Email', 'getFields', {
      select: ['name', 'options'], where: [['name', '=', 'location_type_id']], loadOptions: ['id', 'name', 'label'],
    });
    assert.deepEqual(fields.values[0].options.map((o) => o.name), ['Billing', 'Home', 'Main', 'Other', 'Work']);
    const create = await crm.api4('Contact', 'getFields', { action: 'create', select: ['name', 'required', 'data_type'] });
    const byName = Object.fromEntries(create.values.map((f) => [f.name, f]));
    assert.equal(byName.first_name.data_type, 'String');
    assert.equal(byName.do_not_email.data_type, 'Boolean');
    const actions = await crm.api4('GroupContact', 'getActions', { select: ['name'] });
    assert.deepEqual(actions.values.map((a) => a.name).sort(),
      ['checkAccess', 'create', 'delete', 'get', 'getActions', 'getFields', 'replace', 'save', 'update']);
  });

  test('errors reach the client as HTTP statuses', async () => {
    const crm = client();
    await assert.rejects(crm.get('Contact', { where: [['no_such_field', '=', 1]] }), /HTTP error! Status: 400/);
    await assert.rejects(crm.get('Contact', { where: [['id', 'FOO', 1]] }), /HTTP error! Status: 400/);
    await assert.rejects(crm.get('NoSuchThing', {}), /HTTP error! Status: 404/);
    await assert.rejects(crm.api4('Contact', 'frobnicate', {}), /HTTP error! Status: 404/);
    await assert.rejects(client('viewer').create('Contact', { values: { first_name: 'No' } }),
      /HTTP error! Status: 403/);
    const wrong = crmFactory({ server: kith.baseUrl, api_key: 'not-a-key' });
    await assert.rejects(wrong.get('Contact', {}), /HTTP error! Status: 401/);
    // Without X-Civi-Key, a viewer passes the permission guard.
    const noKey = client('viewer', { siteKey: false });
    const r = await noKey.get('Contact', { select: ['row_count'] });
    assert.ok(r.count >= 1);
  });

  test('a failed chained call undoes the whole call', async () => {
    const crm = client();
    const last = uniq('Undo');
    await assert.rejects(crm.create('Contact', {
      values: { first_name: 'Una', last_name: last },
      chain: { bad: ['Email', 'create', { values: { contact_id: '$id' } }] },
    }), /HTTP error! Status: 400/);
    const none = await crm.get('Contact', { select: ['row_count'], where: [['last_name', '=', last]] });
    assert.equal(none.count, 0);
  });
});
