// APIv4 saves of many records through the real server. A save of 100
// records or more writes its new rows through the store's bulk path (on
// SQLite a thread of its own) and answers from what it wrote, without
// reading each record back: its answer and its rows must be those of the
// same records saved one a call; a record that fails must fail the call as
// it would alone, leaving nothing; and the multi-call endpoint must take a
// save of 10,000 records in one request.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { kithForSuite, PG_URL } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';
// On PostgreSQL under the sanitizers 10,000 records take minutes.
const MANY = PG_URL ? 2500 : 10000;
const kith = kithForSuite({ settings: { max_request_seconds: 600 } });

function headers() {
  return { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'X-Civi-Key': kith.siteKey };
}

async function post(path, form) {
  const body = Object.entries(form)
    .map(([k, v]) => `${k}=${encodeURIComponent(JSON.stringify(v))}`).join('&');
  return kith.raw(API4 + path, {
    method: 'POST',
    headers: { ...headers(), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

async function api4(entity, action, params) {
  const r = await post(`/${entity}/${action}`, { params });
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text.slice(0, 300)}`);
  return r.json();
}

// What differs between two saves of the same record: its id, its random
// hash and the time it was written.
function masked(row) {
  const out = { ...row };
  for (const k of ['id', 'contact_id', 'hash', 'created_date', 'modified_date']) {
    if (k in out) out[k] = typeof out[k];
  }
  return out;
}

// Records of many shapes: names given or made from the email, the other
// contact types, flags, dates, options and primary blocks.
function records(lastName, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    switch (i % 6) {
      case 0: out.push({ first_name: `F${i}`, last_name: lastName, 'email_primary.email': `B${i}@Bulk.example` }); break;
      case 1: out.push({ contact_type: 'Individual', 'email_primary.email': `${lastName}-${i}@bulk.example`, source: lastName }); break;
      case 2: out.push({ organization_name: `${lastName} Org ${i}`, do_not_email: true, 'phone_primary.phone': '(555) 010-1234' }); break;
      case 3: out.push({ first_name: `F${i}`, last_name: lastName, birth_date: '1980-02-03', gender_id: 2, is_opt_out: 1, prefix_id: 3 }); break;
      case 4: out.push({ household_name: `${lastName} Home ${i}`, 'address_primary.city': 'Springfield' }); break;
      default: out.push({ first_name: `F${i}`, last_name: lastName, preferred_language: 'en_US', do_not_phone: '1', job_title: 'Clerk' });
    }
  }
  return out;
}

describe('bulk APIv4 saves', () => {
  test('a save of many records answers and stores what the same records saved one a call do', async () => {
    const n = 150;
    const bulk = await api4('Contact', 'save', { records: records('Bulkone', n) });
    assert.equal(bulk.values.length, n);
    const single = [];
    for (const record of records('Bulkone', n)) {
      const one = await api4('Contact', 'save', { records: [record] });
      single.push(one.values[0]);
    }
    assert.deepEqual(bulk.values.map(masked), single.map(masked));
    const stored = async (ids) => (await api4('Contact', 'get', {
      select: ['*', 'email_primary.email', 'phone_primary.phone', 'address_primary.city'],
      where: [['id', 'IN', ids]], orderBy: { id: 'ASC' }, limit: 0,
    })).values.map(masked);
    assert.deepEqual(await stored(bulk.values.map((v) => v.id)), await stored(single.map((v) => v.id)));
    // The names made from the email (the contact written again after it).
    assert.equal(bulk.values[1].display_name, 'bulkone-1@bulk.example');
  });

  test('a failed record fails a bulk save as it fails alone, and nothing is kept', async () => {
    const many = records('Bulkfail', 130).map((r, i) => ({ ...r, external_identifier: `bulkfail-${i}` }));
    many[120].external_identifier = 'bulkfail-5';  // a unique key clash, found by the database
    const r = await post('/Contact/save', { params: { records: many } });
    const alone = await post('/Contact/save', {
      params: { records: [{ ...many[5], external_identifier: 'bulkfail-x' }, { ...many[120], external_identifier: 'bulkfail-x' }] },
    });
    assert.notEqual(r.status, 200);
    assert.equal(r.status, alone.status, r.text);
    const [got, want] = [r.json(), alone.json()];
    assert.equal(got.error_code, want.error_code);
    assert.equal(got.error_message, want.error_message.replaceAll('bulkfail-x', 'bulkfail-5'));
    // A record refused by the rules after others were queued.
    many[120].external_identifier = 'bulkfail-120';
    many[125].birth_date = 'nope';
    const rules = await post('/Contact/save', { params: { records: many } });
    assert.equal(rules.status, 400, rules.text);
    assert.match(rules.json().error_message, /birth_date/);
    const left = await api4('Contact', 'get', { select: ['row_count'], where: [['external_identifier', 'LIKE', 'bulkfail-%']] });
    assert.equal(left.count, 0);
  });

  test('a bulk save of records that each read (matches, updates) saves them all', async () => {
    const made = await api4('Contact', 'save', { records: records('Bulkmatch', 120).map((r, i) => ({ ...r, external_identifier: `bulkmatch-${i}` })) });
    const again = await api4('Contact', 'save', {
      records: made.values.map((v, i) => ({ external_identifier: v.external_identifier, nick_name: `N${i}` })),
      match: ['external_identifier'],
    });
    assert.equal(again.countMatched, 120);
    assert.deepEqual(again.values.map((v) => v.id), made.values.map((v) => v.id));
    const emails = await api4('Email', 'save', {
      records: made.values.map((v, i) => ({ contact_id: v.id, email: `second-${i}@bulk.example`, location_type_id: 2 })),
    });
    assert.equal(emails.values.length, 120);
    const count = await api4('Email', 'get', { select: ['row_count'], where: [['email', 'LIKE', 'second-%@bulk.example']] });
    assert.equal(count.count, 120);
  });

  test(`the multi-call endpoint takes a save of ${MANY} records in one request`, async () => {
    const many = [];
    for (let i = 0; i < MANY; i++) {
      many.push({ first_name: `M${i}`, last_name: 'Bulkmulti', 'email_primary.email': `m${i}@multi.example` });
    }
    const where = [['last_name', '=', 'Bulkmulti']];
    const r = await post('', {
      calls: {
        saved: ['Contact', 'save', { records: many }],
        count: ['Contact', 'get', { select: ['row_count'], where }],
      },
    });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const body = r.json();
    assert.equal(body.saved.count, MANY);
    assert.equal(body.saved.values[MANY - 1].first_name, `M${MANY - 1}`);
    assert.equal(body.count.count, MANY);
    const emails = await api4('Email', 'get', { select: ['row_count'], where: [['email', 'LIKE', '%@multi.example']] });
    assert.equal(emails.count, MANY);
  });
});
