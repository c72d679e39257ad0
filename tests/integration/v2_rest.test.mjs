// The CiviCRM 3.2 REST interface (q=civicrm/<entity>/<action>, login,
// PHPSESSID, v2 envelopes) over real HTTP against a real `kith serve`.
// Facts under test: shared/PROTOCOL.md sections A and C.1.
//
// One server serves the whole file (the body-limit test starts its own).
// Tests share its database, so every test works on contacts it creates
// itself, with names no other test uses.

import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  startKith, parseXmlStrict, childrenNamed, child, leafMap, REST_PATH, AJAX_PATH, kithForSuite,
} from './harness.mjs';
import { v2Calls } from './v2_client.mjs';

const SITE_KEY_ERROR =
  '{"error_message":"Could not authenticate user, invalid site key. More info at: ' +
  'http://wiki.civicrm.org/confluence/display/CRMDOC/Command-line+Script+Configuration","is_error":1}';
const NO_AUTH_ERROR = '{"error_message":"Valid session, or user api_key required","is_error":1}';

const kith = kithForSuite();
const { creds, raw, api, apiXml, assertError } = v2Calls(kith);

// ---------------------------------------------------------------------------
// Helpers

// The rows of a contact search: 3.2 answers a JSON array, or {"is_error":0}
// when nothing matched (an empty flat result).
function rowsOf(body) {
  if (Array.isArray(body)) return body;
  assert.deepEqual(body, { is_error: 0 }, `not a search result: ${JSON.stringify(body)}`);
  return [];
}

async function search(params = {}, opts = {}) {
  return rowsOf(await api('contact/search', params, opts));
}

async function count(params = {}) {
  const body = await api('contact/search_count', params);
  assert.deepEqual(Object.keys(body), ['is_error', 'result']);
  assert.equal(body.is_error, 0);
  assert.ok(Number.isInteger(body.result), JSON.stringify(body));
  return body.result;
}

async function addContact(params, opts = {}) {
  const body = await api('contact/add', params, opts);
  assert.equal(body.is_error, 0, `contact/add failed: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['contact_id', 'is_error']);
  assert.ok(Number.isInteger(body.contact_id) && body.contact_id > 0);
  return body.contact_id;
}

async function getOne(id, params = {}) {
  const rows = await search({ contact_id: id, ...params });
  assert.equal(rows.length, 1, `contact ${id}: ${JSON.stringify(rows)}`);
  return rows[0];
}

function ids(rows) {
  return rows.map((r) => Number(r.contact_id)).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------

describe('site key', () => {
  test('missing or wrong site key is refused with the 3.2 message, HTTP 200', async () => {
    const cases = [
      { q: 'civicrm/contact/search', api_key: kith.users.admin.apiKey, json: 1 },
      { q: 'civicrm/contact/search', key: 'wrong-site-key', api_key: kith.users.admin.apiKey, json: 1 },
      { q: 'civicrm/contact/search', key: '', api_key: kith.users.admin.apiKey, json: 1 },
      { q: 'civicrm/contact/search', key: kith.siteKey.toLowerCase() === kith.siteKey ? kith.siteKey.toUpperCase() : kith.siteKey.toLowerCase(), api_key: kith.users.admin.apiKey, json: 1 },
      { q: 'civicrm/contact/add', key: 'wrong-site-key', api_key: kith.users.admin.apiKey, json: 1, contact_type: 'Household', household_name: 'Keyless' },
      { q: 'civicrm/login', name: 'admin', pass: kith.users.admin.password, json: 1 },
      { q: 'civicrm/login', key: 'wrong-site-key', name: 'admin', pass: kith.users.admin.password, json: 1 },
      { q: 'civicrm/ping', json: 1 },
      { q: 'civicrm/ping', key: 'wrong-site-key', json: 1 },
    ];
    for (const params of cases) {
      const r = await kith.call(params);
      assert.equal(r.status, 200, JSON.stringify(params));
      assert.equal(r.text, SITE_KEY_ERROR, JSON.stringify(params));
    }
    // The refused add wrote nothing.
    assert.deepEqual(await search({ household_name: 'Keyless' }), []);
  });

  test('the site key error in XML', async () => {
    const root = await apiXml('ping', { key: 'nope' }, { auth: false });
    assert.equal(root.children.length, 1);
    assert.deepEqual(leafMap(root.children[0]), {
      error_message: JSON.parse(SITE_KEY_ERROR).error_message,
      is_error: '1',
    });
  });
});

describe('ping', () => {
  test('ping answers PONG', async () => {
    const body = await api('ping', {}, {});
    assert.deepEqual(Object.keys(body), ['is_error', 'message']);
    assert.equal(body.is_error, 0);
    assert.match(body.message, /^PONG: /);
  });

  test('ping needs no user', async () => {
    const r = await kith.call({ q: 'civicrm/ping', key: kith.siteKey, json: 1 });
    assert.equal(r.status, 200);
    const body = r.json();
    assert.equal(body.is_error, 0);
    assert.match(body.message, /^PONG: /);
  });

  test('ping in XML', async () => {
    const root = await apiXml('ping', { key: kith.siteKey }, { auth: false });
    const m = leafMap(root.children[0]);
    assert.equal(m.is_error, '0');
    assert.match(m.message, /^PONG: /);
  });
});

describe('login and sessions', () => {
  async function login(name, pass, extra = {}) {
    const r = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name, pass, json: 1, ...extra });
    assert.equal(r.status, 200);
    return r;
  }

  test('empty name or password', async () => {
    for (const [name, pass] of [['', ''], ['admin', ''], ['', 'x'], [undefined, undefined]]) {
      const r = await login(name, pass);
      assert.equal(r.text, '{"error_message":"Invalid name / password.","is_error":1}', `${name}/${pass}`);
      assert.equal(r.headers.get('set-cookie'), null);
    }
  });

  test('wrong password or unknown user', async () => {
    for (const [name, pass] of [['admin', 'not-the-password'], ['nobody', 'whatever'], ['admin', kith.users.editor.password]]) {
      const r = await login(name, pass);
      assert.equal(r.text, '{"error_message":"Could not authenticate user, invalid name or password.","is_error":1}');
      assert.equal(r.headers.get('set-cookie'), null);
    }
  });

  test('successful login: keys in order, a working api_key and PHPSESSID, Set-Cookie, logout', async () => {
    const r = await login('editor', kith.users.editor.password);
    const body = r.json();
    assert.deepEqual(Object.keys(body), ['is_error', 'api_key', 'PHPSESSID', 'key']);
    assert.equal(body.is_error, 0);
    for (const k of ['api_key', 'PHPSESSID', 'key']) {
      assert.equal(typeof body[k], 'string');
      assert.ok(body[k].length >= 16, `${k} too short: ${body[k]}`);
    }
    // A fresh key bound to the session (A.2), not the permanent one; `key`
    // is a random value, not the site key.
    assert.notEqual(body.api_key, kith.users.editor.apiKey);
    assert.notEqual(body.key, kith.siteKey);

    const setCookie = r.headers.get('set-cookie');
    assert.ok(setCookie, 'login sends Set-Cookie');
    assert.match(setCookie, new RegExp(`(^|[ ,])PHPSESSID=${body.PHPSESSID}(;|$)`));

    const expected = await count();
    // The returned api_key works for a search.
    const byKey = await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, api_key: body.api_key, json: 1 });
    assert.deepEqual(byKey.json(), { is_error: 0, result: expected });
    const rowsByKey = rowsOf((await kith.call({ q: 'civicrm/contact/search', key: kith.siteKey, api_key: body.api_key, json: 1, contact_id: kith.users.editor.contactId })).json());
    assert.deepEqual(ids(rowsByKey), [kith.users.editor.contactId]);
    // PHPSESSID as a parameter, no api_key.
    const byParam = await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, PHPSESSID: body.PHPSESSID, json: 1 });
    assert.deepEqual(byParam.json(), { is_error: 0, result: expected });
    // PHPSESSID as a cookie, no api_key.
    const byCookie = await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, json: 1 }, { cookie: `PHPSESSID=${body.PHPSESSID}` });
    assert.deepEqual(byCookie.json(), { is_error: 0, result: expected });
    // The session acts as the editor: it may write.
    const added = (await kith.call({ q: 'civicrm/contact/add', key: kith.siteKey, json: 1, contact_type: 'Household', household_name: 'Session Household' }, { cookie: `PHPSESSID=${body.PHPSESSID}` })).json();
    assert.equal(added.is_error, 0, JSON.stringify(added));
    assert.deepEqual(ids(await search({ household_name: 'Session Household' })), [added.contact_id]);

    // Logout ends the session.
    const out = await kith.call({ q: 'civicrm/logout', key: kith.siteKey, PHPSESSID: body.PHPSESSID, json: 1 });
    assert.equal(out.status, 200);
    assert.equal(out.json().is_error, 0, out.text);
    const afterParam = await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, PHPSESSID: body.PHPSESSID, json: 1 });
    assert.equal(afterParam.text, NO_AUTH_ERROR);
    const afterCookie = await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, json: 1 }, { cookie: `PHPSESSID=${body.PHPSESSID}` });
    assert.equal(afterCookie.text, NO_AUTH_ERROR);
    // The session's api_key ends with it (A.2: "until logout or expiry").
    const afterKey = await kith.call({ q: 'civicrm/contact/search_count', key: kith.siteKey, api_key: body.api_key, json: 1 });
    assert.equal(afterKey.text, NO_AUTH_ERROR);
    // The permanent key is untouched.
    assert.equal(await count({}), expected + 1);
  });

  test('a viewer session keeps the viewer role', async () => {
    const body = (await login('viewer', kith.users.viewer.password)).json();
    assert.equal(body.is_error, 0);
    const r = await kith.call({ q: 'civicrm/contact/add', key: kith.siteKey, PHPSESSID: body.PHPSESSID, json: 1, contact_type: 'Household', household_name: 'Viewer Session House' });
    const res = r.json();
    assert.equal(res.is_error, 1);
    assert.ok(res.error_message.startsWith('API permission check failed for Contact/add call; insufficient permission'), res.error_message);
    assert.deepEqual(await search({ household_name: 'Viewer Session House' }), []);
  });

  test('login and logout in XML', async () => {
    const root = await apiXml('login', { key: kith.siteKey, name: 'admin', pass: kith.users.admin.password }, { auth: false });
    assert.equal(root.children.length, 1);
    const result = root.children[0];
    assert.deepEqual(result.children.map((c) => c.name), ['is_error', 'api_key', 'PHPSESSID', 'key']);
    const m = leafMap(result);
    assert.equal(m.is_error, '0');
    const out = await apiXml('logout', { key: kith.siteKey, PHPSESSID: m.PHPSESSID }, { auth: false });
    assert.equal(leafMap(out.children[0]).is_error, '0');
    const bad = await apiXml('login', { key: kith.siteKey, name: 'admin', pass: 'wrong' }, { auth: false });
    assert.deepEqual(leafMap(bad.children[0]), { error_message: 'Could not authenticate user, invalid name or password.', is_error: '1' });
  });
});

describe('authentication of ordinary calls', () => {
  test('no api_key and no session', async () => {
    for (const fn of ['contact/search', 'contact/get', 'contact/search_count', 'contact/add', 'contact/delete']) {
      const r = await kith.call({ q: `civicrm/${fn}`, key: kith.siteKey, json: 1, contact_type: 'Household', household_name: 'Anonymous House', contact_id: kith.users.viewer.contactId });
      assert.equal(r.status, 200);
      assert.equal(r.text, NO_AUTH_ERROR, fn);
    }
    assert.deepEqual(await search({ household_name: 'Anonymous House' }), []);
    await getOne(kith.users.viewer.contactId);
  });

  test('wrong api_key, wrong session', async () => {
    for (const extra of [{ api_key: 'wrong' }, { api_key: '' }, { api_key: kith.siteKey }, { PHPSESSID: 'not-a-session' }]) {
      const r = await kith.call({ q: 'civicrm/contact/search', key: kith.siteKey, json: 1, ...extra });
      assert.equal(r.text, NO_AUTH_ERROR, JSON.stringify(extra));
    }
    const r = await kith.call({ q: 'civicrm/contact/search', key: kith.siteKey, json: 1 }, { cookie: 'PHPSESSID=not-a-session' });
    assert.equal(r.text, NO_AUTH_ERROR);
  });

  test('auth error in XML', async () => {
    const root = await apiXml('contact/search', { key: kith.siteKey }, { auth: false });
    assert.deepEqual(leafMap(root.children[0]), { error_message: 'Valid session, or user api_key required', is_error: '1' });
  });

  test('the permanent api key works on every call with no login', async () => {
    const opts = { role: 'editor' };
    const id = await addContact({ contact_type: 'Individual', first_name: 'Perm', last_name: 'Keyholder' }, opts);
    assert.deepEqual(ids(rowsOf(await api('contact/search', { last_name: 'Keyholder' }, opts))), [id]);
    assert.deepEqual(ids(rowsOf(await api('contact/get', { last_name: 'Keyholder' }, opts))), [id]);
    assert.deepEqual(await api('contact/search_count', { last_name: 'Keyholder' }, opts), { is_error: 0, result: 1 });
    assert.deepEqual(await api('contact/update', { contact_id: id, contact_type: 'Individual', first_name: 'Permanent' }, opts), { contact_id: id, is_error: 0 });
    assert.deepEqual(await api('contact/add', { contact_id: id, contact_type: 'Individual', middle_name: 'K' }, opts), { contact_id: id, is_error: 0 });
    const row = rowsOf(await api('contact/get', { contact_id: id }, opts))[0];
    assert.equal(row.display_name, 'Permanent Keyholder');
    assert.equal(row.middle_name, 'K');
    assert.deepEqual(await api('contact/delete', { contact_id: id }, opts), { is_error: 0, result: 1 });
    const ping = await api('ping', {}, opts);
    assert.equal(ping.is_error, 0);
  });
});

describe('contact/add', () => {
  test('validation messages, in 3.2 order', async () => {
    assertError(await api('contact/add', {}), 'Input Parameters empty');
    assertError(await api('contact/add', { first_name: 'No', last_name: 'Type' }), 'Contact Type not specified');
    assertError(await api('contact/add', { contact_type: 'Robot', first_name: 'R', last_name: 'Two' }), 'Invalid Contact Type: Robot');
    assertError(await api('contact/add', { contact_type: 'Individual' }), 'Required fields not found for Individual : first_name');
    assertError(await api('contact/add', { contact_type: 'Individual', last_name: 'Onlylast' }), 'Required fields not found for Individual : first_name');
    assertError(await api('contact/add', { contact_type: 'Individual', first_name: 'Onlyfirst' }), 'Required fields not found for Individual : last_name');
    assertError(await api('contact/add', { contact_type: 'Household', first_name: 'Hh' }), 'Required fields not found for Household : ');
    assertError(await api('contact/add', { contact_type: 'Organization', first_name: 'Org' }), 'Required fields not found for Organization : ');
    assertError(await api('contact/create', { contact_type: 'Individual', first_name: 'Onlyfirst' }), 'Required fields not found for Individual : last_name');
    assert.deepEqual(await search({ first_name: 'Onlyfirst' }), []);
    assert.deepEqual(await search({ last_name: 'Onlylast' }), []);
  });

  test('success is exactly {"contact_id":N,"is_error":0}; ids grow', async () => {
    const r = await kith.call({ q: 'civicrm/contact/add', ...creds(), json: 1, contact_type: 'Individual', first_name: 'Exact', last_name: 'Reply' });
    assert.equal(r.status, 200);
    const m = /^\{"contact_id":(\d+),"is_error":0\}$/.exec(r.text);
    assert.ok(m, r.text);
    const first = Number(m[1]);
    const second = await addContact({ contact_type: 'Individual', first_name: 'Exact', last_name: 'Reply2' });
    assert.ok(second > first);
    const row = await getOne(first);
    assert.equal(row.contact_id, String(first));
    assert.equal(row.display_name, 'Exact Reply');
  });

  test('create with contact_id is refused; add and update with contact_id update', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Charles', last_name: 'Babbage' });
    assertError(await api('contact/create', { contact_id: id, contact_type: 'Individual', first_name: 'X' }),
      'Cannot create new contact when contact_id is present');
    assert.equal((await getOne(id)).first_name, 'Charles');

    assert.deepEqual(await api('contact/add', { contact_id: id, contact_type: 'Individual', first_name: 'Charlie' }), { contact_id: id, is_error: 0 });
    let row = await getOne(id);
    assert.equal(row.first_name, 'Charlie');
    assert.equal(row.last_name, 'Babbage');
    assert.equal(row.display_name, 'Charlie Babbage');
    assert.equal(row.sort_name, 'Babbage, Charlie');

    assert.deepEqual(await api('contact/update', { contact_id: id, contact_type: 'Individual', last_name: 'Babbage-King' }), { contact_id: id, is_error: 0 });
    row = await getOne(id);
    assert.equal(row.display_name, 'Charlie Babbage-King');
    assert.equal(row.sort_name, 'Babbage-King, Charlie');

    // contact_type is required on updates too (3.2).
    assertError(await api('contact/add', { contact_id: id, first_name: 'Typeless' }), 'Contact Type not specified');
    assert.equal((await getOne(id)).first_name, 'Charlie');
    // Only one contact was ever made.
    assert.deepEqual(ids(await search({ first_name: 'Charlie' })), [id]);
  });

  test('Household and Organization names', async () => {
    const hh = await addContact({ contact_type: 'Household', household_name: 'The Lovelace Household' });
    const org = await addContact({ contact_type: 'Organization', organization_name: 'Analytical Engines Ltd' });
    let row = await getOne(hh);
    assert.equal(row.contact_type, 'Household');
    assert.equal(row.display_name, 'The Lovelace Household');
    assert.equal(row.sort_name, 'The Lovelace Household');
    assert.equal(row.household_name, 'The Lovelace Household');
    row = await getOne(org);
    assert.equal(row.contact_type, 'Organization');
    assert.equal(row.display_name, 'Analytical Engines Ltd');
    assert.equal(row.sort_name, 'Analytical Engines Ltd');
    assert.equal(row.organization_name, 'Analytical Engines Ltd');
    // Renaming rebuilds display_name.
    await api('contact/add', { contact_id: org, contact_type: 'Organization', organization_name: 'Difference Engines plc' });
    row = await getOne(org);
    assert.equal(row.display_name, 'Difference Engines plc');
    assert.equal(row.sort_name, 'Difference Engines plc');
  });

  test('an Individual with only an email is named by the lower-cased email', async () => {
    const id = await addContact({ contact_type: 'Individual', email: 'Only.Email@Example.ORG' });
    const row = await getOne(id);
    assert.equal(row.display_name, 'only.email@example.org');
    assert.equal(row.sort_name, 'only.email@example.org');
    assert.equal(row.email, 'only.email@example.org');
    assert.equal(row.first_name, undefined);
    // email[1][email] counts as an email too.
    const id2 = await addContact({ contact_type: 'Individual', email: { 1: { email: 'Block.Only@Example.ORG' } } });
    assert.equal((await getOne(id2)).display_name, 'block.only@example.org');
  });

  test('prefix and suffix in the names', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Ada', last_name: 'Lovelace', individual_prefix: 'Dr.' });
    let row = await getOne(id);
    assert.equal(row.display_name, 'Dr. Ada Lovelace');
    assert.equal(row.sort_name, 'Lovelace, Ada');
    assert.equal(row.individual_prefix, 'Dr.');
    const id2 = await addContact({ contact_type: 'Individual', first_name: 'Sammy', last_name: 'Suffixson', prefix: 'Mr.', suffix: 'Jr.' });
    row = await getOne(id2);
    assert.equal(row.display_name, 'Mr. Sammy Suffixson Jr.');
    assert.equal(row.individual_prefix, 'Mr.');
    assert.equal(row.individual_suffix, 'Jr.');
    assert.ok(row.sort_name.startsWith('Suffixson, Sammy'), row.sort_name);
  });

  test('emails are stored lower-cased and matched case-insensitively', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Mixed', last_name: 'Case', email: 'Mixed.Case@Example.COM' });
    assert.equal((await getOne(id)).email, 'mixed.case@example.com');
    assert.deepEqual(ids(await search({ email: 'MIXED.CASE@EXAMPLE.COM' })), [id]);
    assert.deepEqual(ids(await search({ email: 'mixed.case@example.com' })), [id]);
  });

  test('email blocks by location type: a second add with the same type updates that email', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Block', last_name: 'Emailer', email: 'home.emailer@example.net' });
    const homeRow = await getOne(id);
    assert.equal(homeRow.email, 'home.emailer@example.net');

    await addContact({ contact_id: id, contact_type: 'Individual', email: { 1: { email: 'Work.Emailer@Example.NET', location_type_id: 'Work' } } });
    // Both exist: the Work one is a new record, the Home one stays primary.
    assert.deepEqual(ids(await search({ email: 'work.emailer@example.net' })), [id]);
    assert.deepEqual(ids(await search({ email: 'home.emailer@example.net' })), [id]);
    let row = await getOne(id);
    assert.equal(row.email, 'home.emailer@example.net');
    assert.equal(row.email_id, homeRow.email_id);

    // Same location type again (Work is id 2, CiviCRM's id): updates it.
    // A value with % is matched with LIKE as given, so 'x%' finds only
    // emails that start with x.
    assert.deepEqual(ids(await search({ email: 'work.emailer@example.net%' })), [id]);
    await addContact({ contact_id: id, contact_type: 'Individual', email: { 1: { email: 'new.work.emailer@example.net', location_type_id: 2 } } });
    assert.deepEqual(await search({ email: 'work.emailer@example.net%' }), []);
    assert.deepEqual(ids(await search({ email: 'new.work.emailer@example.net' })), [id]);
    assert.deepEqual(ids(await search({ email: 'home.emailer@example.net' })), [id]);
    row = await getOne(id);
    assert.equal(row.email, 'home.emailer@example.net');
    assert.equal(row.email_id, homeRow.email_id);
  });

  test('phone blocks by location type: add, then update in place', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Block', last_name: 'Phoner',
      phone: { 1: { phone: '+1 212 555 0100', location_type_id: 'Work', phone_type_id: 1 } } });
    let row = await getOne(id);
    assert.equal(row.phone, '+1 212 555 0100');
    assert.equal(row.phone_type_id, '1');
    const phoneId = row.phone_id;
    assert.ok(phoneId);
    assert.deepEqual(ids(await search({ phone: '+1 212 555 0100' })), [id]);

    await addContact({ contact_id: id, contact_type: 'Individual', phone: { 1: { phone: '+1 212 555 0199', location_type_id: 'Work', phone_type_id: 2 } } });
    row = await getOne(id);
    assert.equal(row.phone, '+1 212 555 0199');
    assert.equal(row.phone_type_id, '2');
    assert.equal(row.phone_id, phoneId);
    assert.deepEqual(await search({ phone: '+1 212 555 0100' }), []);
    assert.deepEqual(ids(await search({ phone: '+1 212 555 0199' })), [id]);

    // A Home phone is another record; the Work phone stays.
    await addContact({ contact_id: id, contact_type: 'Individual', phone: { 1: { phone: '+1 212 555 0142', location_type_id: 'Home' } } });
    assert.deepEqual(ids(await search({ phone: '+1 212 555 0142' })), [id]);
    assert.deepEqual(ids(await search({ phone: '+1 212 555 0199' })), [id]);
  });

  test('address blocks by location type: add, then update in place', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Block', last_name: 'Addresser',
      address: { 1: { street_address: '5 Navy Way', city: 'Blockton', postal_code: '22201', country: 'US', state_province: 'VA', location_type_id: 'Work' } } });
    let row = await getOne(id);
    assert.equal(row.street_address, '5 Navy Way');
    assert.equal(row.city, 'Blockton');
    assert.equal(row.postal_code, '22201');
    assert.equal(row.state_province, 'VA');
    assert.equal(row.country, 'United States');
    assert.equal(row.country_id, '1228');
    const addressId = row.address_id;
    assert.ok(addressId);

    await addContact({ contact_id: id, contact_type: 'Individual', address: { 1: { city: 'Newblockton', location_type_id: 'Work' } } });
    row = await getOne(id);
    assert.equal(row.address_id, addressId);
    assert.equal(row.city, 'Newblockton');
    assert.equal(row.street_address, '5 Navy Way');
    assert.deepEqual(await search({ city: 'Blockton' }), []);
    assert.deepEqual(ids(await search({ city: 'Newblockton' })), [id]);
  });

  test('plain street_address/city/postal_code/country/state_province make an address', async () => {
    const us = await addContact({ contact_type: 'Individual', first_name: 'Plain', last_name: 'Albany',
      street_address: '1 Main St', city: 'Albany', postal_code: '12207', country: 'US', state_province: 'NY' });
    let row = await getOne(us);
    assert.equal(row.street_address, '1 Main St');
    assert.equal(row.city, 'Albany');
    assert.equal(row.postal_code, '12207');
    assert.equal(row.state_province, 'NY');
    assert.equal(row.state_province_id, '1031');
    assert.equal(row.country, 'United States');
    assert.equal(row.country_id, '1228');

    const fr = await addContact({ contact_type: 'Individual', first_name: 'Plain', last_name: 'Parisienne',
      street_address: '1 Rue de Rivoli', city: 'Paris', postal_code: '75001', country: 'France' });
    row = await getOne(fr);
    assert.equal(row.country, 'France');
    assert.equal(row.country_id, '1076');
    assert.equal(row.city, 'Paris');
    assert.equal(row.state_province, undefined);
  });

  test('dupe_check=1 refuses a duplicate with its ids in error_data', async () => {
    const a = await addContact({ contact_type: 'Individual', first_name: 'Dupe', last_name: 'Twin' });
    let body = await api('contact/add', { contact_type: 'Individual', first_name: 'Dupe', last_name: 'Twin', dupe_check: 1 });
    assert.deepEqual(body, { is_error: 1, error_message: `Found matching contacts: ${a}`, error_data: String(a) });

    // Without dupe_check a duplicate is made; then both are reported.
    const b = await addContact({ contact_type: 'Individual', first_name: 'Dupe', last_name: 'Twin' });
    body = await api('contact/add', { contact_type: 'Individual', first_name: 'Dupe', last_name: 'Twin', dupe_check: 1 });
    assert.equal(body.is_error, 1);
    const m = /^Found matching contacts: ([\d,]+)$/.exec(body.error_message);
    assert.ok(m, body.error_message);
    assert.deepEqual(m[1].split(',').map(Number).sort((x, y) => x - y), [a, b]);
    assert.equal(body.error_data, m[1]);
    assert.deepEqual(ids(await search({ last_name: 'Twin' })), [a, b]);

    // By email for Individuals; a non-duplicate passes the check.
    const e = await addContact({ contact_type: 'Individual', first_name: 'Mail', last_name: 'Dupe', email: 'dupe.by.mail@example.com' });
    body = await api('contact/add', { contact_type: 'Individual', first_name: 'Other', last_name: 'Name', email: 'DUPE.BY.MAIL@example.com', dupe_check: 1 });
    assert.deepEqual(body, { is_error: 1, error_message: `Found matching contacts: ${e}`, error_data: String(e) });
    const org = await addContact({ contact_type: 'Organization', organization_name: 'Unique Dupecheck Org', dupe_check: 1 });
    body = await api('contact/add', { contact_type: 'Organization', organization_name: 'Unique Dupecheck Org', dupe_check: 1 });
    assert.deepEqual(body, { is_error: 1, error_message: `Found matching contacts: ${org}`, error_data: String(org) });
  });

  test('a bad birth_date is an error naming it, and nothing is written', async () => {
    const before = await count();
    const body = await api('contact/add', { contact_type: 'Individual', first_name: 'Leap', last_name: 'Nodate', birth_date: '1990-02-30' });
    assert.equal(body.is_error, 1);
    assert.match(body.error_message, /birth_date/);
    assert.deepEqual(await search({ last_name: 'Nodate' }), []);
    assert.equal(await count(), before);
    // A real date is kept.
    const id = await addContact({ contact_type: 'Individual', first_name: 'Leap', last_name: 'Hasdate', birth_date: '1992-02-29' });
    assert.equal((await getOne(id)).birth_date, '1992-02-29');
  });

  test('a label changed, added or deleted is answered by the next search, JSON and XML', async () => {
    // Option labels are kept in memory between requests: a change must show at once.
    const v3 = async (action, params) => {
      const r = await kith.call({ entity: 'OptionValue', action, json: JSON.stringify(params), ...creds() },
        { method: 'POST', path: AJAX_PATH });
      const body = r.json();
      assert.equal(body.is_error, 0, r.text);
      return body;
    };
    const label = `Rev32 ${Date.now()}`;
    const id = await addContact({ contact_type: 'Individual', first_name: 'Opal', last_name: 'Relabel', gender: 'Female' });
    // No option has value 95 yet: no label, the key is left out.
    await addContact({ contact_id: id, contact_type: 'Individual', prefix_id: '95' });
    assert.ok(!('individual_prefix' in (await getOne(id))));
    const option = await v3('create', { option_group_id: 'individual_prefix', label, value: '95', name: `rev32_${Date.now()}` });
    const prefixOf = async () => (await getOne(id)).individual_prefix;
    const asked = async () => (await getOne(id, { return: { individual_prefix: 1, gender: 1 } }));
    const xmlPrefix = async () => {
      const root = await apiXml('contact/search', { contact_id: id });
      return leafMap(root.children[0]).individual_prefix;
    };
    assert.equal(await prefixOf(), label);
    assert.equal(await xmlPrefix(), label);
    await v3('create', { id: option.id, label: `${label} II` });
    assert.equal(await prefixOf(), `${label} II`);
    assert.equal(await xmlPrefix(), `${label} II`);
    assert.deepEqual(await asked(), { contact_id: String(id), individual_prefix: `${label} II`, gender: 'Female' });
    await v3('delete', { id: option.id });
    assert.equal(await prefixOf(), undefined);
    assert.equal(await xmlPrefix(), undefined);
    assert.deepEqual(await asked(), { contact_id: String(id), gender: 'Female' });
  });

  test('an unknown option label is an error; known labels resolve', async () => {
    const body = await api('contact/add', { contact_type: 'Individual', first_name: 'Gen', last_name: 'Robotic', gender: 'Robot' });
    assert.equal(body.is_error, 1);
    assert.match(body.error_message, /Robot/);
    assert.match(body.error_message, /gender/);
    assert.deepEqual(await search({ last_name: 'Robotic' }), []);
    const bad = await api('contact/add', { contact_type: 'Individual', first_name: 'Pre', last_name: 'Fixless', individual_prefix: 'Grand Vizier' });
    assert.equal(bad.is_error, 1);
    assert.match(bad.error_message, /Grand Vizier/);
    assert.deepEqual(await search({ last_name: 'Fixless' }), []);

    const id = await addContact({ contact_type: 'Individual', first_name: 'Gen', last_name: 'Known', gender: 'Female' });
    assert.equal((await getOne(id)).gender, 'Female');
  });

  test('an unknown field in a write is an error naming it (A.6)', async () => {
    const body = await api('contact/add', { contact_type: 'Individual', first_name: 'Unknown', last_name: 'Fielder', frobnication_level: '11' });
    assert.equal(body.is_error, 1);
    assert.match(body.error_message, /frobnication_level/);
    assert.deepEqual(await search({ last_name: 'Fielder' }), []);
  });
});

describe('contact/search and contact/get', () => {
  const PAGER = 'Pagerson';
  let pagerIds = [];

  before(async () => {
    pagerIds = [];
    for (let i = 0; i < 30; i++) {
      pagerIds.push(await addContact({ contact_type: 'Individual', first_name: `P${String(i).padStart(2, '0')}`, last_name: PAGER }));
    }
  });

  test('no filter: every contact, 25 at most', async () => {
    const total = await count();
    assert.ok(total >= 33, `only ${total} contacts`);
    const rows = await search();
    assert.equal(rows.length, 25);
    const got = await api('contact/get');
    assert.ok(Array.isArray(got));
    assert.equal(got.length, 25);
    // With a filter matching 30, still 25; search_count sees all 30.
    assert.equal((await search({ last_name: PAGER })).length, 25);
    assert.equal(await count({ last_name: PAGER }), 30);
    assert.equal((await search({ last_name: PAGER, rowCount: 100 })).length, 30);
  });

  test('rowCount and offset page through the results', async () => {
    const page = await search({ last_name: PAGER, rowCount: 5, offset: 5, return: { first_name: 1 } });
    assert.deepEqual(page, pagerIds.slice(5, 10).map((id, i) => ({ contact_id: String(id), first_name: `P0${5 + i}` })));
    const last = await search({ last_name: PAGER, rowCount: 5, offset: 28 });
    assert.deepEqual(ids(last), pagerIds.slice(28));
    assert.deepEqual(await search({ last_name: PAGER, offset: 30 }), []);
    const bad = await api('contact/search', { last_name: PAGER, rowCount: 'many' });
    assert.equal(bad.is_error, 1);
  });

  test('sort orders the rows; a bad sort is an error', async () => {
    const desc = await search({ last_name: PAGER, sort: 'sort_name DESC', rowCount: 30, return: { sort_name: 1 } });
    assert.deepEqual(desc.map((r) => r.sort_name),
      Array.from({ length: 30 }, (_, i) => `${PAGER}, P${String(29 - i).padStart(2, '0')}`));
    const asc = await search({ last_name: PAGER, sort: 'sort_name', rowCount: 3, return: { sort_name: 1 } });
    assert.deepEqual(asc.map((r) => r.sort_name), [`${PAGER}, P00`, `${PAGER}, P01`, `${PAGER}, P02`]);

    for (const sort of ['id; DROP TABLE x', 'sort_name; DELETE FROM civicrm_contact', 'nosuchfield', 'sort_name SIDEWAYS', "sort_name' --"]) {
      const body = await api('contact/search', { last_name: PAGER, sort });
      assert.equal(body.is_error, 1, `sort=${sort}: ${JSON.stringify(body)}`);
      assert.equal(typeof body.error_message, 'string');
    }
    // Nothing was harmed.
    assert.equal(await count({ last_name: PAGER }), 30);
  });

  describe('filters', () => {
    let a;
    let b;
    before(async () => {
      a = await addContact({
        contact_type: 'Individual', first_name: 'Filippa', last_name: 'Quuxfilter', external_identifier: 'FILT-EXT-0001',
        email: 'filippa.quux@filters.example', phone: { 1: { phone: '+47 2212 3456', location_type_id: 'Home' } },
        street_address: 'Karl Johans gate 1', city: 'Filterby', postal_code: '0154', country: 'NO',
      });
      b = await addContact({
        contact_type: 'Individual', first_name: 'Alaskan', last_name: 'Statefilter',
        city: 'Juneau', postal_code: '99801', country: 'United States', state_province: 'AK',
      });
    });

    const cases = () => [
      [{ last_name: 'Quuxfilter' }, [a]],
      [{ last_name: 'Quuxfilte' }, []],
      [{ first_name: 'Filippa', last_name: 'Quuxfilter' }, [a]],
      [{ contact_id: a }, [a]],
      [{ external_identifier: 'FILT-EXT-0001' }, [a]],
      [{ external_identifier: 'FILT-EXT-000' }, []],
      [{ email: 'filippa.quux@filters.example' }, [a]],
      [{ email: 'ppa.quux@filt' }, [a]],
      [{ display_name: 'ippa Quuxfil' }, [a]],
      [{ sort_name: 'uxfilter, Filip' }, [a]],
      [{ phone: '+47 2212 3456' }, [a]],
      [{ city: 'Filterby' }, [a]],
      [{ postal_code: '0154' }, [a]],
      [{ country: 'NO' }, [a]],
      [{ country: 'Norway' }, [a]],
      [{ city: 'Juneau' }, [b]],
      [{ postal_code: '99801' }, [b]],
      [{ state_province: 'AK' }, [b]],
      [{ state_province: 'Alaska' }, [b]],
      [{ state_province_id: '1001' }, [b]],  // Alaska's id in CiviCRM's reference data
      [{ last_name: 'Statefilter', country: 'US' }, [b]],
      [{ last_name: 'Statefilter', country: 'United States' }, [b]],
      [{ last_name: 'Statefilter', country: 'NO' }, []],
      [{ last_name: 'Quuxfilter', city: 'Juneau' }, []],
      // Unknown filters are ignored, as 3.2 ignores them (A.6).
      [{ last_name: 'Quuxfilter', no_such_filter: 'x' }, [a]],
    ];

    test('each filter selects exactly its contacts (search and get)', async () => {
      for (const [filter, expected] of cases()) {
        assert.deepEqual(ids(await search(filter)), expected, `search ${JSON.stringify(filter)}`);
        assert.deepEqual(ids(rowsOf(await api('contact/get', filter))), expected, `get ${JSON.stringify(filter)}`);
      }
    });

    test('contact_type filter', async () => {
      const hh = await addContact({ contact_type: 'Household', household_name: 'Filter Household' });
      const rows = await search({ contact_type: 'Household', rowCount: 1000 });
      assert.ok(rows.length >= 1);
      for (const r of rows) assert.equal(r.contact_type, 'Household');
      assert.ok(ids(rows).includes(hh));
      assert.ok(!ids(rows).includes(a));
      assert.equal(await count({ contact_type: 'Household' }), rows.length);
    });

    test('return fields: return[x]=1, return.x=1 and return_x=1; contact_id always comes back', async () => {
      assert.deepEqual(await search({ contact_id: a, return: { email: 1 } }), [{ contact_id: String(a), email: 'filippa.quux@filters.example' }]);
      assert.deepEqual(await search({ contact_id: a, 'return.display_name': 1 }), [{ contact_id: String(a), display_name: 'Filippa Quuxfilter' }]);
      assert.deepEqual(await search({ contact_id: a, return_display_name: 1 }), [{ contact_id: String(a), display_name: 'Filippa Quuxfilter' }]);
      assert.deepEqual(await search({ contact_id: a, return: { sort_name: 1, city: 1, country: 1 } }),
        [{ contact_id: String(a), sort_name: 'Quuxfilter, Filippa', city: 'Filterby', country: 'Norway' }]);
      assert.deepEqual(rowsOf(await api('contact/get', { contact_id: a, return: { external_identifier: 1 } })),
        [{ contact_id: String(a), external_identifier: 'FILT-EXT-0001' }]);
      // A field the contact does not have is left out, contact_id stays.
      assert.deepEqual(await search({ contact_id: b, return: { email: 1 } }), [{ contact_id: String(b) }]);
      // A field asked for twice comes back once; contact_id and unknown names change nothing.
      // (Read as text: JSON.parse would hide a repeated key.)
      const twice = await raw('contact/search', {
        contact_id: a, return: { display_name: 1, contact_id: 1, no_such_field: 1 }, 'return.display_name': 1, return_email: 1,
      });
      assert.equal(twice.text, `[{"contact_id":"${a}","display_name":"Filippa Quuxfilter","email":"filippa.quux@filters.example"}]`);
    });

    test('the default row', async () => {
      const row = await getOne(a);
      assert.equal(row.contact_id, String(a));
      assert.equal(row.contact_type, 'Individual');
      assert.equal(row.sort_name, 'Quuxfilter, Filippa');
      assert.equal(row.display_name, 'Filippa Quuxfilter');
      assert.equal(row.first_name, 'Filippa');
      assert.equal(row.last_name, 'Quuxfilter');
      assert.equal(row.email, 'filippa.quux@filters.example');
      assert.equal(row.phone, '+47 2212 3456');
      assert.equal(row.external_identifier, 'FILT-EXT-0001');
      assert.equal(row.city, 'Filterby');
      assert.equal(row.country, 'Norway');
      assert.equal(row.country_id, '1161');
      assert.equal(Object.keys(row)[0], 'contact_id');
      // Values are strings; NULL columns are left out.
      for (const [k, v] of Object.entries(row)) assert.equal(typeof v, 'string', `${k}: ${JSON.stringify(v)}`);
      for (const k of ['middle_name', 'birth_date', 'job_title', 'nick_name', 'household_name', 'organization_name', 'individual_prefix', 'state_province', 'deceased_date']) {
        assert.ok(!(k in row), `${k} should be omitted: ${JSON.stringify(row)}`);
      }
    });

    test('the default row shows the primary email', async () => {
      const id = await addContact({ contact_type: 'Individual', first_name: 'Primo', last_name: 'Mailson', email: 'primo.first@filters.example' });
      await addContact({ contact_id: id, contact_type: 'Individual', email: { 1: { email: 'primo.second@filters.example', location_type_id: 'Work' } } });
      assert.equal((await getOne(id)).email, 'primo.first@filters.example');
      await addContact({ contact_id: id, contact_type: 'Individual', email: { 1: { email: 'primo.second@filters.example', location_type_id: 'Work', is_primary: 1 } } });
      assert.equal((await getOne(id)).email, 'primo.second@filters.example');
      assert.deepEqual(ids(await search({ email: 'primo.first@filters.example' })), [id]);
    });

    test('search and get give the same rows, as a JSON array with 3.2 line breaks', async () => {
      const r = await kith.call({ q: 'civicrm/contact/search', ...creds(), json: 1, last_name: PAGER, rowCount: 3 });
      const s = r.json();
      assert.ok(Array.isArray(s));
      assert.equal(s.length, 3);
      assert.equal(r.text.split('\n,{').length, 3, r.text);
      assert.deepEqual(await api('contact/get', { last_name: PAGER, rowCount: 3 }), s);
    });

    test('search_count', async () => {
      assert.deepEqual(await api('contact/search_count', { last_name: 'Quuxfilter' }), { is_error: 0, result: 1 });
      assert.deepEqual(await api('contact/search_count', { last_name: 'Nobody-Has-This-Name' }), { is_error: 0, result: 0 });
      assert.deepEqual(await api('contact/search_count', { state_province: 'AK' }), { is_error: 0, result: 1 });
      const r = await kith.call({ q: 'civicrm/contact/search_count', ...creds(), json: 1, last_name: PAGER });
      assert.equal(r.text, '{"is_error":0,"result":30}');
    });

    test('no match', async () => {
      const r = await kith.call({ q: 'civicrm/contact/search', ...creds(), json: 1, last_name: 'Nobody-Has-This-Name' });
      assert.equal(r.text, '{"is_error":0}');
    });
  });
});

describe('contact/delete', () => {
  test('delete moves to the trash', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Doomed', last_name: 'Deletee' });
    const before = await count();
    const r = await kith.call({ q: 'civicrm/contact/delete', ...creds(), json: 1, contact_id: id });
    assert.equal(r.text, '{"is_error":0,"result":1}');
    assert.deepEqual(await search({ contact_id: id }), []);
    assert.deepEqual(await search({ last_name: 'Deletee' }), []);
    assert.equal(await count(), before - 1);
    // In the trash, with is_deleted=1.
    const trashed = await search({ contact_id: id, is_deleted: 1, return: { display_name: 1, is_deleted: 1 } });
    assert.deepEqual(trashed, [{ contact_id: String(id), display_name: 'Doomed Deletee', is_deleted: '1' }]);
    // Live contacts say is_deleted=0.
    assert.deepEqual(await search({ contact_id: kith.users.admin.contactId, return: { is_deleted: 1 } }),
      [{ contact_id: String(kith.users.admin.contactId), is_deleted: '0' }]);
    // A second delete fails.
    assertError(await api('contact/delete', { contact_id: id }), 'Could not delete contact');
    assertError(await api('contact/delete', { contact_id: 99999999 }), 'Could not delete contact');
  });

  test('the caller\'s own contact cannot be deleted', async () => {
    for (const role of ['admin', 'editor']) {
      const own = kith.users[role].contactId;
      assertError(await api('contact/delete', { contact_id: own }, { role }),
        'This contact record is linked to the currently logged in user account - and cannot be deleted.');
      await getOne(own);
    }
  });

  test('missing contact_id', async () => {
    assertError(await api('contact/delete'), 'Could not find contact_id in input parameters');
  });
});

describe('roles', () => {
  test('a viewer can search but not write', async () => {
    const rows = rowsOf(await api('contact/search', { contact_id: kith.users.admin.contactId }, { role: 'viewer' }));
    assert.deepEqual(ids(rows), [kith.users.admin.contactId]);
    assert.ok((await api('contact/search_count', {}, { role: 'viewer' })).result >= 3);

    const add = await api('contact/add', { contact_type: 'Household', household_name: 'Viewer Made This' }, { role: 'viewer' });
    assert.equal(add.is_error, 1);
    assert.ok(add.error_message.startsWith('API permission check failed for Contact/add call; insufficient permission'), add.error_message);
    assert.deepEqual(await search({ household_name: 'Viewer Made This' }), []);

    const victim = await addContact({ contact_type: 'Household', household_name: 'Viewer Cannot Delete' });
    const del = await api('contact/delete', { contact_id: victim }, { role: 'viewer' });
    assert.equal(del.is_error, 1);
    assert.ok(del.error_message.startsWith('API permission check failed for Contact/delete call; insufficient permission'), del.error_message);
    await getOne(victim);

    const upd = await api('contact/add', { contact_id: victim, contact_type: 'Household', household_name: 'Renamed By Viewer' }, { role: 'viewer' });
    assert.equal(upd.is_error, 1);
    assert.equal((await getOne(victim)).household_name, 'Viewer Cannot Delete');
  });

  test('an editor can add, update and delete', async () => {
    const id = await addContact({ contact_type: 'Household', household_name: 'Editor Made This' }, { role: 'editor' });
    assert.deepEqual(ids(await search({ household_name: 'Editor Made This' })), [id]);
    await addContact({ contact_id: id, contact_type: 'Household', household_name: 'Editor Renamed This' }, { role: 'editor' });
    assert.equal((await getOne(id)).display_name, 'Editor Renamed This');
    assert.deepEqual(await api('contact/delete', { contact_id: id }, { role: 'editor' }), { is_error: 0, result: 1 });
  });
});

describe('routing', () => {
  test('unknown function and unknown invocation', async () => {
    const frob = await kith.call({ q: 'civicrm/contact/frobnicate', ...creds(), json: 1 });
    assert.equal(frob.status, 200);
    assert.equal(frob.text, '{"error_message":"Unknown function called: civicrm_contact_frobnicate","is_error":1}');
    for (const q of ['civicrm/nosuch/get', 'bogus', 'civicrm/contact', 'civicrm/contact/search/extra', 'drupal/contact/search', '']) {
      const r = await kith.call({ q, ...creds(), json: 1 });
      assert.equal(r.status, 200);
      assert.equal(r.text, '{"error_message":"Unknown function invocation.","is_error":1}', `q=${q}`);
    }
    const none = await kith.call({ ...creds(), json: 1 });
    assert.equal(none.text, '{"error_message":"Unknown function invocation.","is_error":1}');
  });

  test('unknown function in XML', async () => {
    const root = await apiXml('contact/frobnicate');
    assert.deepEqual(leafMap(root.children[0]), { error_message: 'Unknown function called: civicrm_contact_frobnicate', is_error: '1' });
  });
});

describe('XML answers', () => {
  const ORG = `A&B <"Zoë's"> 日本 Ltd`;
  const FIRST = `O'Brien & "Sons"`;
  const LAST = '<Zoë> 日本語 & Co';

  test('success, search_count and delete answers in XML', async () => {
    const root = await apiXml('contact/add', { contact_type: 'Household', household_name: 'Xml Household' });
    assert.equal(root.children.length, 1);
    const result = root.children[0];
    assert.deepEqual(result.children.map((c) => c.name), ['contact_id', 'is_error']);
    const id = Number(child(result, 'contact_id').text);
    assert.ok(Number.isInteger(id) && id > 0);
    assert.equal(child(result, 'is_error').text, '0');

    const cnt = await apiXml('contact/search_count', { household_name: 'Xml Household' });
    assert.deepEqual(leafMap(cnt.children[0]), { is_error: '0', result: '1' });

    const del = await apiXml('contact/delete', { contact_id: id });
    assert.deepEqual(leafMap(del.children[0]), { is_error: '0', result: '1' });

    const empty = await apiXml('contact/search', { household_name: 'Xml Household' });
    assert.equal(empty.children.length, 1);
    assert.deepEqual(leafMap(empty.children[0]), { is_error: '0' });
  });

  test('error answers in XML, with error_data', async () => {
    let root = await apiXml('contact/add', { contact_type: 'Robot' });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: 'Invalid Contact Type: Robot' });
    root = await apiXml('contact/add', { first_name: 'x' });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: 'Contact Type not specified' });
    const id = await addContact({ contact_type: 'Organization', organization_name: 'Xml Dupe Org' });
    root = await apiXml('contact/add', { contact_type: 'Organization', organization_name: 'Xml Dupe Org', dupe_check: 1 });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: `Found matching contacts: ${id}`, error_data: String(id) });
    root = await apiXml('contact/delete', {});
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: 'Could not find contact_id in input parameters' });
  });

  test('special characters round-trip exactly through XML and JSON', async () => {
    const org = await addContact({ contact_type: 'Organization', organization_name: ORG });
    const ind = await addContact({ contact_type: 'Individual', first_name: FIRST, last_name: LAST, external_identifier: `x&y<z>"'` });

    // JSON.
    const jOrg = await getOne(org);
    assert.equal(jOrg.organization_name, ORG);
    assert.equal(jOrg.display_name, ORG);
    const jInd = await getOne(ind);
    assert.equal(jInd.first_name, FIRST);
    assert.equal(jInd.last_name, LAST);
    assert.equal(jInd.display_name, `${FIRST} ${LAST}`);
    assert.equal(jInd.sort_name, `${LAST}, ${FIRST}`);
    assert.equal(jInd.external_identifier, `x&y<z>"'`);

    // XML.
    let root = await apiXml('contact/search', { contact_id: org });
    assert.equal(root.children.length, 1);
    let m = leafMap(root.children[0]);
    assert.equal(m.contact_id, String(org));
    assert.equal(m.organization_name, ORG);
    assert.equal(m.display_name, ORG);
    assert.equal(m.sort_name, ORG);

    root = await apiXml('contact/get', { contact_id: ind });
    m = leafMap(root.children[0]);
    assert.equal(m.first_name, FIRST);
    assert.equal(m.last_name, LAST);
    assert.equal(m.display_name, `${FIRST} ${LAST}`);
    assert.equal(m.sort_name, `${LAST}, ${FIRST}`);
    assert.equal(m.external_identifier, `x&y<z>"'`);

    // Filters with these characters match (they travel URL-encoded).
    assert.deepEqual(ids(await search({ sort_name: `B <"Zoë's"> 日本` })), [org]);
    assert.deepEqual(ids(await search({ last_name: LAST })), [ind]);
    assert.deepEqual(ids(await search({ external_identifier: `x&y<z>"'` })), [ind]);

    // A value with these characters inside an error message stays well-formed.
    root = await apiXml('contact/add', { contact_type: `<Robot & "Friends">` });
    assert.deepEqual(leafMap(root.children[0]), { is_error: '1', error_message: `Invalid Contact Type: <Robot & "Friends">` });
  });

  test('several contacts give one <Result> per contact', async () => {
    const made = [];
    for (const name of ['Xmlmulti Alpha', 'Xmlmulti Beta & Co', 'Xmlmulti Gamma <3>', 'Xmlmulti Zoë']) {
      made.push(await addContact({ contact_type: 'Organization', organization_name: name }));
    }
    const root = await apiXml('contact/search', { sort_name: 'Xmlmulti' });
    const results = childrenNamed(root, 'Result');
    assert.equal(results.length, 4);
    assert.deepEqual(results.map((r) => Number(child(r, 'contact_id').text)), made);
    assert.deepEqual(results.map((r) => child(r, 'organization_name').text),
      ['Xmlmulti Alpha', 'Xmlmulti Beta & Co', 'Xmlmulti Gamma <3>', 'Xmlmulti Zoë']);
    // The XML rows hold what the JSON rows hold.
    const json = await search({ sort_name: 'Xmlmulti' });
    assert.deepEqual(results.map((r) => leafMap(r)), json);
  });
});

describe('bad input', () => {
  test('invalid UTF-8 is an error and the server keeps serving', async () => {
    const base = `q=civicrm/contact/search&key=${encodeURIComponent(kith.siteKey)}&api_key=${encodeURIComponent(kith.users.admin.apiKey)}&json=1`;
    for (const tail of ['last_name=%FF', 'last_name=Zo%C3', 'last_name=%E6%97', '%FF=1', 'last_name=%C0%AF']) {
      const r = await kith.call(`${base}&${tail}`);
      assert.equal(r.status, 200, tail);
      const body = r.json();
      assert.equal(body.is_error, 1, tail);
      assert.match(body.error_message, /UTF-8/, tail);
      assert.match(body.error_message, /parameter/, tail);
      assert.equal((await kith.healthz()).status, 200);
    }
    // Named parameter.
    const r = (await kith.call(`${base}&last_name=%FF`)).json();
    assert.match(r.error_message, /last_name/);
    // In XML, and in a POST body.
    const xr = await kith.call(`q=civicrm/contact/search&key=${encodeURIComponent(kith.siteKey)}&last_name=%FF`);
    const root = parseXmlStrict(xr.text);
    assert.equal(leafMap(root.children[0]).is_error, '1');
    const pr = await kith.raw(REST_PATH, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `${base}&contact_type=Household&household_name=Bad%FFName` });
    assert.equal(pr.status, 200);
    assert.equal(pr.json().is_error, 1);
    assert.equal((await kith.healthz()).status, 200);
    assert.equal((await api('ping')).is_error, 0);
  });

  test('malformed brackets do not crash', async () => {
    const base = `key=${encodeURIComponent(kith.siteKey)}&api_key=${encodeURIComponent(kith.users.admin.apiKey)}&json=1`;
    const raws = [
      `q=civicrm/contact/search&${base}&a[b=1`,
      `q=civicrm/contact/search&${base}&email[[x]=1`,
      `q=civicrm/contact/search&${base}&return[=1&sort[]=x`,
      `q=civicrm/contact/search&${base}&${'x'.padEnd(20, '[')}=1&]]]=2&[a]=3`,
      `q=civicrm/contact/add&${base}&contact_type=Individual&first_name=Bracket&last_name=Tester&a[b=1`,
      `q=civicrm/contact/add&${base}&contact_type=Individual&first_name=Bracket&last_name=Tester2&email[[x]=1`,
      `q=civicrm/contact/add&${base}&contact_type=Individual&first_name=Bracket&last_name=Tester3&email[1][email][x]=a@b.c`,
      `q=civicrm/contact/add&${base}&contact_type=Individual&first_name=Bracket&last_name=Tester4&address[1]=flat`,
      `q[]=civicrm/contact/search&${base}`,
      `q=civicrm/contact/search&${base}&contact_id[]=1&contact_id[]=2`,
      `q=civicrm/contact/search&${base}&${'a'.concat('[b]'.repeat(40))}=1`,
    ];
    for (const raw of raws) {
      const r = await kith.call(raw);
      assert.equal(r.status, 200, raw);
      const body = r.json();
      if (!Array.isArray(body)) assert.ok(body.is_error === 0 || body.is_error === 1, `${raw}: ${r.text}`);
      assert.equal((await kith.healthz()).status, 200, raw);
    }
    // Same via POST.
    for (const raw of raws.slice(0, 4)) {
      const r = await kith.raw(REST_PATH, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: raw });
      assert.equal(r.status, 200, raw);
      r.json();
    }
    assert.equal((await api('ping')).is_error, 0);
  });

  test('POST form bodies work like GET', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Posted', last_name: 'Formbody', email: 'posted@form.example', individual_prefix: 'Dr.' }, { method: 'POST' });
    const viaGet = await search({ last_name: 'Formbody' });
    const viaPost = await search({ last_name: 'Formbody' }, { method: 'POST' });
    assert.deepEqual(viaPost, viaGet);
    assert.deepEqual(ids(viaPost), [id]);
    assert.equal(viaPost[0].display_name, 'Dr. Posted Formbody');
    assert.equal(viaPost[0].email, 'posted@form.example');
    // Credentials in the query string, the rest in the body.
    const r = await kith.call({ q: 'civicrm/contact/search', last_name: 'Formbody', json: 1 }, { method: 'POST', query: `key=${encodeURIComponent(kith.siteKey)}&api_key=${encodeURIComponent(kith.users.admin.apiKey)}` });
    assert.deepEqual(rowsOf(r.json()), viaGet);
    // Errors over POST are the same envelopes.
    const bad = await kith.call({ q: 'civicrm/contact/search', key: 'wrong', json: 1 }, { method: 'POST' });
    assert.equal(bad.text, SITE_KEY_ERROR);
    // XML over POST.
    const xml = await apiXml('contact/search', { last_name: 'Formbody' }, { method: 'POST' });
    assert.deepEqual(leafMap(xml.children[0]), viaGet[0]);
    assert.deepEqual(await api('contact/delete', { contact_id: id }, { method: 'POST' }), { is_error: 0, result: 1 });
  });

  test('a body over the limit gets 413 and the server keeps serving', async () => {
    const small = await startKith({ bodyLimitBytes: 4096 });
    try {
      const A = { key: small.siteKey, api_key: small.users.admin.apiKey, json: 1 };
      const big = await small.call({ q: 'civicrm/contact/add', ...A, contact_type: 'Household', household_name: 'Too Big', source: 'x'.repeat(10_000) }, { method: 'POST' });
      assert.equal(big.status, 413);
      assert.equal((await small.healthz()).status, 200);
      // Nothing was written, and bodies under the limit work.
      const near = await small.call({ q: 'civicrm/contact/search', ...A, household_name: 'n'.repeat(3_500) }, { method: 'POST' });
      assert.equal(near.status, 200);
      assert.equal(near.text, '{"is_error":0}');
      const ok = await small.call({ q: 'civicrm/contact/add', ...A, contact_type: 'Household', household_name: 'Small Enough' }, { method: 'POST' });
      assert.equal(ok.status, 200);
      assert.equal(ok.json().is_error, 0, ok.text);
      const rows = rowsOf((await small.call({ q: 'civicrm/contact/search', ...A, contact_type: 'Household' })).json());
      assert.deepEqual(rows.map((r) => r.household_name), ['Small Enough']);
      // Again, then still serving.
      const big2 = await small.raw(REST_PATH, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'q=civicrm/ping&' + 'y'.repeat(50_000) });
      assert.equal(big2.status, 413);
      const ping = await small.call({ q: 'civicrm/ping', key: small.siteKey, json: 1 });
      assert.equal(ping.json().is_error, 0);
    } finally {
      const exit = await small.stop();
      assert.equal(exit.code, 0, JSON.stringify(exit));
    }
  });
});

describe('ajax path', () => {
  test('/civicrm/ajax/rest works with the login cookie and refuses without it', async () => {
    const login = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'viewer', pass: kith.users.viewer.password, json: 1 });
    const { PHPSESSID } = login.json();
    const cookie = `PHPSESSID=${PHPSESSID}`;

    const r = await kith.call({ fnName: 'civicrm/contact/search', json: 1, contact_id: kith.users.editor.contactId }, { path: AJAX_PATH, cookie });
    assert.equal(r.status, 200);
    const rows = r.json();
    assert.ok(Array.isArray(rows), r.text);
    assert.deepEqual(ids(rows), [kith.users.editor.contactId]);
    assert.equal(rows[0].display_name, 'editor');
    // Same rows as the REST endpoint.
    assert.deepEqual(rows, await search({ contact_id: kith.users.editor.contactId }));

    const all = await kith.call({ fnName: 'civicrm/contact/search', json: 1 }, { path: AJAX_PATH, cookie });
    assert.equal(all.json().length, Math.min(25, await count()));

    // Refused without the cookie, or with a bad one.
    for (const c of [undefined, 'PHPSESSID=forged-session', 'OTHER=1']) {
      const x = await kith.call({ fnName: 'civicrm/contact/search', json: 1 }, { path: AJAX_PATH, cookie: c });
      assert.equal(x.status, 200);
      assert.equal(x.text, NO_AUTH_ERROR, String(c));
    }
    // Routing errors look the same there.
    const frob = await kith.call({ fnName: 'civicrm/contact/frobnicate', json: 1 }, { path: AJAX_PATH, cookie });
    assert.equal(frob.text, '{"error_message":"Unknown function called: civicrm_contact_frobnicate","is_error":1}');

    // After logout the cookie no longer works.
    await kith.call({ q: 'civicrm/logout', key: kith.siteKey, json: 1 }, { cookie });
    const gone = await kith.call({ fnName: 'civicrm/contact/search', json: 1 }, { path: AJAX_PATH, cookie });
    assert.equal(gone.text, NO_AUTH_ERROR);
  });
});

describe('each API call is all-or-nothing', () => {
  test('an add whose address has an unknown country fails and creates no contact', async () => {
    const before = await count();
    for (const params of [
      { contact_type: 'Individual', first_name: 'Atlantean', last_name: 'Lostcity', country: 'Atlantis' },
      { contact_type: 'Individual', first_name: 'Atlantean', last_name: 'Lostcity', street_address: '1 Sunken Rd', city: 'Poseidonia', country: 'Atlantis' },
      { contact_type: 'Individual', first_name: 'Atlantean', last_name: 'Lostcity', email: 'atlantean@sea.example', address: { 1: { street_address: '1 Sunken Rd', country: 'Atlantis', location_type_id: 'Home' } } },
    ]) {
      const body = await api('contact/add', params);
      assert.equal(body.is_error, 1, `${JSON.stringify(params)} -> ${JSON.stringify(body)}`);
      assert.match(body.error_message, /Atlantis/);
      assert.deepEqual(await search({ last_name: 'Lostcity' }), []);
      assert.deepEqual(await search({ email: 'atlantean@sea.example' }), []);
    }
    assert.equal(await count(), before);
  });

  test('a failing update changes nothing', async () => {
    const id = await addContact({ contact_type: 'Individual', first_name: 'Steady', last_name: 'State', email: 'steady@state.example' });
    const before = await getOne(id);
    let body = await api('contact/add', { contact_id: id, contact_type: 'Individual', first_name: 'Changed', email: 'changed@state.example', country: 'Atlantis' });
    assert.equal(body.is_error, 1);
    body = await api('contact/add', { contact_id: id, contact_type: 'Individual', first_name: 'Changed', email: { 1: { email: 'not an email' } } });
    assert.equal(body.is_error, 1);
    assert.deepEqual(await getOne(id), before);
    assert.deepEqual(await search({ email: 'changed@state.example' }), []);
  });

  test('a bad email block fails the whole add', async () => {
    const body = await api('contact/add', { contact_type: 'Individual', first_name: 'Bad', last_name: 'Mailblock', street_address: '2 Good St', city: 'Fineville', email: 'not an email' });
    assert.equal(body.is_error, 1);
    assert.deepEqual(await search({ last_name: 'Mailblock' }), []);
    assert.deepEqual(await search({ city: 'Fineville' }), []);
  });
});
