// APIv3 REST (entity=&action=, json={...}, chaining, v3 envelopes) over raw
// HTTP against a real `kith serve`: every refusal, each endpoint's
// authentication, the GET/POST rule, both reply formats (XML parsed
// strictly), and the actions of the contact family.
// Facts under test: shared/PROTOCOL.md sections A, B and C.2.
//
// One server serves the whole file; every test works on records it creates
// itself, with names no other test uses.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  startKith, parseXmlStrict, childrenNamed, child, leafMap, REST_PATH, AJAX_PATH, kithForSuite,
} from './harness.mjs';

const kith = kithForSuite();
let run = 0;

// ---------------------------------------------------------------------------
// Helpers

function creds(role = 'admin') {
  return { key: kith.siteKey, api_key: kith.users[role].apiKey };
}

// A unique lower-case token for names.
function uniq(prefix) {
  run += 1;
  return `${prefix}${Date.now().toString(36)}${run}`;
}

// An APIv3 call answered as JSON, on /civicrm/ajax/rest by default. Reads
// use GET, writes POST (as CiviCRM requires).
async function v3(entity, action, params = {}, { role = 'admin', path = AJAX_PATH, method } = {}) {
  const m = method ?? (/^get/i.test(action) ? 'GET' : 'POST');
  const r = await kith.call({ entity, action, json: 1, ...creds(role), ...params }, { method: m, path });
  assert.equal(r.status, 200, `HTTP status of ${entity}.${action}: ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'application/json');
  return r.json();
}

// The same with the parameters as json={...} (nested values, chains).
async function v3json(entity, action, params, opts = {}) {
  const { role = 'admin', path = AJAX_PATH } = opts;
  const m = opts.method ?? (/^get/i.test(action) ? 'GET' : 'POST');
  const r = await kith.call({ entity, action, json: JSON.stringify(params), ...creds(role) }, { method: m, path });
  assert.equal(r.status, 200, r.text);
  return r.json();
}

function ok(body) {
  assert.equal(body.is_error, 0, JSON.stringify(body));
  return body;
}

async function newContact(params = {}) {
  const last = uniq('Lst');
  const body = ok(await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'Test', last_name: last, ...params }));
  return { id: body.id, last, body };
}

// ---------------------------------------------------------------------------

describe('authentication', () => {
  test('extern/rest.php wants the site key first, then the api key', async () => {
    const noKey = await kith.call({ entity: 'Contact', action: 'get', json: 1, api_key: kith.users.admin.apiKey });
    assert.equal(noKey.status, 200);
    assert.equal(noKey.headers.get('content-type'), 'application/json');
    assert.equal(noKey.text, '{"error_message":"Failed to authenticate key","is_error":1}');

    // A valid api key does not make up for a wrong site key here (A.7).
    const wrongKey = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: 'wrong', api_key: kith.users.admin.apiKey });
    assert.equal(wrongKey.text, '{"error_message":"Failed to authenticate key","is_error":1}');

    const noApiKey = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey });
    assert.equal(noApiKey.text, `{"error_message":"FATAL: mandatory param 'api_key' (user key) missing","is_error":1}`);

    const badApiKey = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey, api_key: 'nope' });
    assert.equal(badApiKey.text, '{"error_message":"ERROR: No CMS user associated with given api-key","is_error":1}');
  });

  test('extern/rest.php refusals come as XML when json is not asked for', async () => {
    const r = await kith.call({ entity: 'Contact', action: 'get', key: kith.siteKey, api_key: 'nope' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/xml;charset=UTF-8');
    const root = parseXmlStrict(r.text);
    assert.equal(root.name, 'ResultSet');
    const results = childrenNamed(root, 'Result');
    assert.equal(results.length, 1);
    assert.deepEqual(leafMap(results[0]), {
      error_message: 'ERROR: No CMS user associated with given api-key', is_error: '1',
    });
  });

  test('ajax/rest: a wrong api key is an authx failure served as text/javascript', async () => {
    const r = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey, api_key: 'WRONG' }, { path: AJAX_PATH });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/javascript;charset=UTF-8');
    assert.equal(r.text, '{"error_message":"FATAL: Invalid credential","is_error":1}');
    const onlyKey = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey }, { path: AJAX_PATH });
    assert.equal(onlyKey.text, '{"error_message":"FATAL: Invalid credential","is_error":1}');
  });

  test('ajax/rest: a valid api key with a wrong site key is accepted (the perm guard)', async () => {
    const { last } = await newContact();
    const r = await kith.call({ entity: 'Contact', action: 'getcount', json: 1, last_name: last, key: 'WRONG', api_key: kith.users.viewer.apiKey }, { path: AJAX_PATH });
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"is_error":0,"result":1}');
  });

  test('ajax/rest without credentials is a 403 page', async () => {
    const r = await kith.call({ entity: 'Contact', action: 'get', json: 1 }, { path: AJAX_PATH });
    assert.equal(r.status, 403);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.match(r.text, /<title>Log In<\/title>/);
  });

  test('ajax/rest takes a 3.2 login session, from scripts only', async () => {
    const login = await kith.call({ q: 'civicrm/login', json: 1, key: kith.siteKey, name: 'editor', pass: kith.users.editor.password });
    const session = login.json().PHPSESSID;
    assert.ok(session, login.text);
    const cookie = `PHPSESSID=${session}`;

    const csrf = await kith.call({ entity: 'Contact', action: 'getcount', json: 1 }, { path: AJAX_PATH, cookie });
    assert.equal(csrf.status, 200);
    const body = csrf.json();
    assert.deepEqual(Object.keys(body), ['IP', 'level', 'referer', 'reason', 'is_error', 'error_message']);
    assert.equal(body.IP, '127.0.0.1');
    assert.equal(body.referer, null);
    assert.equal(body.reason, 'CSRF suspected');
    assert.equal(body.error_message, 'SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3().');

    const xhr = await kith.call({ entity: 'Contact', action: 'get', json: 1, id: 'user_contact_id', return: 'id' },
      { path: AJAX_PATH, cookie, headers: { 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(xhr.status, 200);
    assert.equal(xhr.json().id, kith.users.editor.contactId);

    // The session key does not open extern/rest.php (no api key there).
    const extern = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey }, { cookie });
    assert.match(extern.text, /mandatory param 'api_key'/);

    await kith.call({ q: 'civicrm/logout', json: 1, key: kith.siteKey, PHPSESSID: session });
    const after = await kith.call({ entity: 'Contact', action: 'get', json: 1 },
      { path: AJAX_PATH, cookie, headers: { 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(after.status, 403);
  });

  test('the api key of a login session works like the permanent key', async () => {
    const login = await kith.call({ q: 'civicrm/login', json: 1, key: kith.siteKey, name: 'viewer', pass: kith.users.viewer.password });
    const sessionKey = login.json().api_key;
    const r = await kith.call({ entity: 'Contact', action: 'getsingle', json: 1, key: kith.siteKey, api_key: sessionKey, id: 'user_contact_id', return: 'id' });
    assert.equal(r.json().id, String(kith.users.viewer.contactId));
  });

  test('honest statuses when asked for', async () => {
    const headers = { 'x-kith-honest-status': '1' };
    const noKey = await kith.call({ entity: 'Contact', action: 'get', json: 1 }, { headers });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.text, '{"error_message":"Failed to authenticate key","is_error":1}');
    const missing = await kith.call({ entity: 'Contact', action: 'create', json: 1, ...creds() }, { method: 'POST', headers });
    assert.equal(missing.status, 400);
    const denied = await kith.call({ entity: 'Contact', action: 'create', json: 1, contact_type: 'Individual', first_name: 'x', ...creds('viewer') }, { method: 'POST', headers });
    assert.equal(denied.status, 403);
    const unknown = await kith.call({ entity: 'NoSuchThing', action: 'get', json: 1, ...creds() }, { headers });
    assert.equal(unknown.status, 404);
    const destructive = await kith.call({ entity: 'Contact', action: 'delete', json: 1, id: 1, ...creds() }, { headers });
    assert.equal(destructive.status, 405);
    const none = await kith.call({ entity: 'Contact', action: 'getsingle', json: 1, last_name: uniq('Nobody'), ...creds() }, { headers });
    assert.equal(none.status, 400);
    assert.equal(none.json().error_message, 'Expected one Contact but found 0');
  });
});

describe('requests', () => {
  test('GET runs only reading actions', async () => {
    const { id } = await newContact();
    for (const action of ['create', 'delete', 'replace']) {
      const r = await kith.call({ entity: 'Contact', action, json: 1, id, ...creds() }, { path: AJAX_PATH });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), {
        IP: '127.0.0.1', level: 'security', referer: null, reason: 'Destructive HTTP GET', is_error: 1,
        error_message: 'SECURITY: All requests that modify the database must be http POST, not GET.',
      });
    }
    // The contact is still there, and POST may read.
    const got = await v3('Contact', 'get', { id, return: 'id' }, { method: 'POST' });
    assert.equal(got.count, 1);
  });

  test('only POST writes: HEAD and PUT are refused as GET is', async () => {
    const { id } = await newContact();
    for (const method of ['HEAD', 'PUT']) {
      const query = new URLSearchParams({ entity: 'Contact', action: 'delete', json: '1', id: String(id), ...creds() });
      const r = await kith.raw(`${AJAX_PATH}?${query}`, { method });
      assert.equal(r.status, 200, method);
    }
    assert.equal((await v3('Contact', 'get', { id })).count, 1);
  });

  test('unreadable parameters are refused in the v3 envelope', async () => {
    const r = await kith.raw(`${AJAX_PATH}?entity=Contact&action=get&json=1&key=${kith.siteKey}&api_key=${kith.users.admin.apiKey}&last_name=%zz`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.text, '{"error_message":"Malformed %-escape in parameter last_name","is_error":1}');
    const xml = await kith.raw(`${REST_PATH}?entity=Contact&action=get&last_name=%C3%28`);
    assert.equal(xml.headers.get('content-type'), 'text/xml;charset=UTF-8');
    assert.match(leafMap(childrenNamed(parseXmlStrict(xml.text), 'Result')[0]).error_message, /last_name/);
  });

  test('entity and action names as CiviCRM matches them', async () => {
    const { id } = await newContact();
    for (const entity of ['Contact', 'contact']) {
      for (const action of ['get', 'Get', 'GET']) {
        const body = await v3(entity, action, { id, return: 'id' });
        assert.equal(body.count, 1, `${entity}.${action}`);
      }
    }
    assert.equal((await v3('location_type', 'getcount', {})).result, 5);
    const unknown = await v3('CONTACT', 'get', { id });
    assert.deepEqual(unknown, {
      error_code: 'not-found', entity: 'CONTACT', action: 'get', is_error: 1,
      error_message: 'API (CONTACT, get) does not exist (join the API team and implement it!)',
    });
    const action = await v3('Contact', 'frobnicate', {}, { method: 'POST' });
    assert.equal(action.error_message, 'API (Contact, frobnicate) does not exist (join the API team and implement it!)');
  });

  test('missing entity or action', async () => {
    const r = await kith.call({ action: 'get', json: 1, ...creds() }, { path: AJAX_PATH });
    assert.equal(r.text, '{"error_message":"missing mandatory params \\"entity=\\" or \\"action=\\"","is_error":1}');
    // q= is not read on ajax/rest.
    const q = await kith.call({ q: 'civicrm/contact/get', json: 1, ...creds() }, { path: AJAX_PATH });
    assert.equal(q.json().error_message, 'missing mandatory params "entity=" or "action="');
  });

  test('q=civicrm/<entity>/<action> with version=3 on extern/rest.php is APIv3', async () => {
    const { id, last } = await newContact();
    const r = await kith.call({ q: 'civicrm/contact/get', version: 3, json: 1, id, return: 'last_name', ...creds() });
    assert.deepEqual(r.json(), {
      is_error: 0, version: 3, count: 1, id,
      values: { [id]: { contact_id: String(id), last_name: last, id: String(id) } },
    });
    // Without version=3 it is the 3.2 dialect.
    const v2 = await kith.call({ q: 'civicrm/contact/get', json: 1, contact_id: id, ...creds() });
    assert.ok(Array.isArray(v2.json()), v2.text);
  });

  test('json={...} carries the parameters; form fields win', async () => {
    const { id, last } = await newContact();
    const r = await kith.call({
      entity: 'Contact', action: 'get', ...creds(), sequential: 1,
      json: JSON.stringify({ last_name: 'Nobody', return: ['last_name'], sequential: 0 }),
      last_name: last,
    }, { path: AJAX_PATH });
    const body = r.json();
    assert.equal(body.count, 1);
    assert.ok(Array.isArray(body.values));
    assert.equal(body.values[0].id, String(id));

    const bad = await kith.call({ entity: 'Contact', action: 'get', ...creds(), json: '{"last_name":' }, { path: AJAX_PATH });
    assert.equal(bad.status, 200);
    assert.equal(bad.text, '{"error_message":"Unable to decode supplied JSON.","is_error":1}');
  });

  test('entity=api3 runs several calls, each on its own', async () => {
    const { id, last } = await newContact();
    const calls = {
      one: ['Contact', 'get', { id, return: 'last_name', sequential: 1 }],
      two: ['Contact', 'getcount', { last_name: last }],
      bad: ['NoSuchThing', 'get', {}],
    };
    const r = await kith.call({ entity: 'api3', action: 'call', json: JSON.stringify(calls), ...creds() }, { method: 'POST', path: AJAX_PATH });
    const body = r.json();
    assert.deepEqual(Object.keys(body), ['one', 'two', 'bad']);
    assert.equal(body.one.values[0].last_name, last);
    assert.deepEqual(body.two, { is_error: 0, result: 1 });
    assert.equal(body.bad.error_code, 'not-found');
    // GET applies per call.
    const get = await kith.call({ entity: 'api3', action: 'call', json: JSON.stringify({ c: ['Contact', 'create', {}] }), ...creds() }, { path: AJAX_PATH });
    assert.equal(get.json().c.reason, 'Destructive HTTP GET');
  });
});

describe('envelopes', () => {
  test('get: keyed by id, sequential lists, id only for one value, [] when empty', async () => {
    const a = await newContact();
    const b = await newContact({ last_name: a.last, first_name: 'Other' });
    const both = await v3('Contact', 'get', { last_name: a.last, return: 'first_name', options: { sort: 'id' } });
    assert.deepEqual(Object.keys(both), ['is_error', 'version', 'count', 'values']);
    assert.deepEqual(Object.keys(both.values), [String(a.id), String(b.id)].sort((x, y) => Number(x) - Number(y)));
    assert.deepEqual(both.values[a.id], {
      contact_id: String(a.id), first_name: 'Test', last_name: a.last, contact_is_deleted: '0', id: String(a.id),
    });
    const seq = await v3('Contact', 'get', { id: a.id, sequential: 1, return: 'first_name' });
    assert.deepEqual(seq, { is_error: 0, version: 3, count: 1, id: a.id, values: [{ contact_id: String(a.id), first_name: 'Test', id: String(a.id) }] });
    const none = await v3('Contact', 'get', { last_name: uniq('Nobody') });
    assert.deepEqual(none, { is_error: 0, version: 3, count: 0, values: [] });
    const noneSeq = await v3('Contact', 'get', { last_name: uniq('Nobody'), sequential: 1 });
    assert.deepEqual(noneSeq, { is_error: 0, version: 3, count: 0, values: [] });
  });

  test('the default contact row: every key of CiviCRM 6, values as strings', async () => {
    const { id, last } = await newContact({ email: `${uniq('row')}@Example.org`, gender_id: 'Female', prefix_id: 'Dr.' });
    const body = await v3('Contact', 'get', { id });
    const row = body.values[id];
    assert.deepEqual(Object.keys(row), [
      'contact_id', 'contact_type', 'contact_sub_type', 'sort_name', 'display_name', 'external_identifier',
      'organization_name', 'first_name', 'middle_name', 'last_name', 'do_not_email', 'do_not_phone',
      'do_not_mail', 'do_not_sms', 'do_not_trade', 'is_opt_out', 'legal_identifier', 'nick_name',
      'legal_name', 'image_URL', 'preferred_communication_method', 'preferred_language', 'contact_source',
      'prefix_id', 'suffix_id', 'formal_title', 'communication_style_id', 'job_title', 'gender_id',
      'birth_date', 'is_deceased', 'deceased_date', 'household_name', 'sic_code', 'contact_is_deleted',
      'current_employer', 'address_id', 'street_address', 'supplemental_address_1', 'supplemental_address_2',
      'supplemental_address_3', 'city', 'postal_code_suffix', 'postal_code', 'geo_code_1', 'geo_code_2',
      'state_province_id', 'country_id', 'phone_id', 'phone_type_id', 'phone', 'email_id', 'email',
      'on_hold', 'im_id', 'provider_id', 'im', 'worldregion_id', 'world_region', 'languages',
      'individual_prefix', 'individual_suffix', 'communication_style', 'gender', 'state_province_name',
      'state_province', 'country', 'id',
    ]);
    for (const [k, v] of Object.entries(row)) assert.equal(typeof v, 'string', k);
    assert.equal(row.display_name, `Dr. Test ${last}`);
    assert.equal(row.individual_prefix, 'Dr.');
    assert.equal(row.gender, 'Female');
    assert.equal(row.gender_id, '1');
    assert.equal(row.languages, 'English (United States)');
    assert.equal(row.communication_style, 'Formal');
    assert.match(row.email, /^row.*@example\.org$/);  // stored lower-cased (A.11)
    assert.equal(row.city, '');

    // A language given by name or by label is stored as its name.
    for (const given of ['de_DE', 'German']) {
      const other = await newContact({ preferred_language: given });
      const got = (await v3('Contact', 'get', { id: other.id })).values[other.id];
      assert.equal(got.preferred_language, 'de_DE', given);
      assert.equal(got.languages, 'German', given);
    }
  });

  test('a label changed or added is answered by the next get, JSON and XML', async () => {
    // Option labels are kept in memory between requests: a change must show at once.
    const label = uniq('Rev');
    const option = ok(await v3('OptionValue', 'create', { option_group_id: 'individual_prefix', label, value: '97', name: label }));
    const { id } = await newContact({ prefix_id: '97' });
    const prefixOf = async () => (await v3('Contact', 'get', { id })).values[id].individual_prefix;
    assert.equal(await prefixOf(), label);
    ok(await v3('OptionValue', 'create', { id: option.id, label: `${label} II` }));
    assert.equal(await prefixOf(), `${label} II`);
    const xml = await kith.call({ entity: 'Contact', action: 'get', id, ...creds() }, { method: 'GET', path: AJAX_PATH });
    assert.match(xml.text, new RegExp(`<individual_prefix>${label} II</individual_prefix>`));
    ok(await v3('OptionValue', 'delete', { id: option.id }));
    assert.equal(await prefixOf(), '');
  });

  test('getsingle, getcount, getvalue', async () => {
    const a = await newContact();
    const single = await v3('Contact', 'getsingle', { id: a.id, return: 'last_name' });
    assert.deepEqual(single, { contact_id: String(a.id), last_name: a.last, id: String(a.id), is_error: 0 });
    await newContact({ last_name: a.last });
    assert.deepEqual(await v3('Contact', 'getsingle', { last_name: a.last }),
      { count: 2, is_error: 1, error_message: 'Expected one Contact but found 2' });
    assert.deepEqual(await v3('Contact', 'getcount', { last_name: a.last }), { is_error: 0, result: 2 });
    assert.deepEqual(await v3('Contact', 'getcount', { last_name: uniq('Nobody') }), { is_error: 0, result: 0 });
    assert.deepEqual(await v3('Contact', 'getvalue', { id: a.id, return: 'last_name' }), { is_error: 0, result: a.last });
    assert.deepEqual(await v3('Contact', 'getvalue', { last_name: a.last, return: 'id' }),
      { count: 2, is_error: 1, error_message: 'Expected one Contact but found 2' });
    const noReturn = await v3('Contact', 'getvalue', { id: a.id });
    assert.equal(noReturn.error_message, 'missing param return=field you want to read the value of');
  });

  test('errors: extra data first, then error_code, entity, action', async () => {
    const r = await kith.call({ entity: 'Contact', action: 'create', json: 1, first_name: 'NoType', ...creds() }, { method: 'POST', path: AJAX_PATH });
    assert.equal(r.text, '{"fields":["contact_type"],"error_code":"mandatory_missing","entity":"Contact","action":"create","is_error":1,"error_message":"Mandatory key(s) missing from params array: contact_type"}');
    const noName = await v3('Contact', 'create', { contact_type: 'Individual', job_title: 'Nobody' });
    assert.deepEqual(noName.fields, ['one of (first_name, last_name, email, display_name)']);
    const unknownField = await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'x', no_such_field: 1 });
    assert.equal(unknownField.error_message, 'Unknown field: no_such_field');
    assert.equal(unknownField.error_field, 'no_such_field');
    const denied = await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'x' }, { role: 'viewer' });
    assert.deepEqual(denied, {
      error_code: 'unauthorized', entity: 'Contact', action: 'create', is_error: 1,
      error_message: 'API permission check failed for Contact/create call; insufficient permission: require access CiviCRM and add contacts',
    });
    // An update is checked against the edit permission.
    const { id } = await newContact();
    const viewerUpdate = await v3('Contact', 'create', { id, first_name: 'x' }, { role: 'viewer' });
    assert.match(viewerUpdate.error_message, /require access CiviCRM and edit all contacts$/);
  });
});

describe('XML', () => {
  test('one <Result> per value, CiviCRM opening text, content types per endpoint', async () => {
    const a = await newContact();
    const b = await newContact({ last_name: a.last });
    const r = await kith.call({ entity: 'Contact', action: 'get', last_name: a.last, return: 'first_name', ...creds() }, { path: AJAX_PATH });
    assert.equal(r.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.ok(r.text.startsWith('<?xml version="1.0"?>\n      <ResultSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"  count="2" >\n      <Result>\n    <contact_id>'), r.text);
    const root = parseXmlStrict(r.text);
    assert.equal(root.attributes.count, '2');
    const results = childrenNamed(root, 'Result');
    assert.deepEqual(results.map((x) => leafMap(x).id), [String(a.id), String(b.id)]);
    assert.deepEqual(leafMap(results[0]), { contact_id: String(a.id), first_name: 'Test', last_name: a.last, contact_is_deleted: '0', id: String(a.id) });

    const extern = await kith.call({ entity: 'Contact', action: 'getcount', last_name: a.last, ...creds() });
    assert.equal(extern.headers.get('content-type'), 'text/xml;charset=UTF-8');
    const count = parseXmlStrict(extern.text);
    assert.equal(count.attributes.count, undefined);
    assert.deepEqual(leafMap(childrenNamed(count, 'Result')[0]), { is_error: '0', result: '2' });

    const none = await kith.call({ entity: 'Contact', action: 'get', last_name: uniq('Nobody'), ...creds() });
    assert.equal(none.text, '<?xml version="1.0"?>\n      <ResultSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"  count="0" >\n      </ResultSet>\n');
  });

  test('errors keep their text; lists render as <item>', async () => {
    const r = await kith.call({ entity: 'Contact', action: 'create', first_name: 'x', ...creds() }, { method: 'POST' });
    const root = parseXmlStrict(r.text);
    const result = childrenNamed(root, 'Result');
    assert.equal(result.length, 1);
    const leaves = leafMap(result[0]);
    assert.equal(leaves.error_message, 'Mandatory key(s) missing from params array: contact_type');
    assert.equal(leaves.error_code, 'mandatory_missing');
    const fields = child(result[0], 'fields');
    assert.deepEqual(fields.children.map((c) => [c.name, c.attributes.key, c.text]), [['item', '0', 'contact_type']]);

    const unknown = parseXmlStrict((await kith.call({ entity: 'NoSuchThing', action: 'get', ...creds() }, { path: AJAX_PATH })).text);
    assert.equal(leafMap(childrenNamed(unknown, 'Result')[0]).error_code, 'not-found');
  });

  test('values with markup, quotes and getfields lists stay well-formed', async () => {
    const { id } = await newContact({ nick_name: '<b>"Tom" & \'Jerry\'</b>' });
    const r = await kith.call({ entity: 'Contact', action: 'get', id, return: 'nick_name', ...creds() });
    const row = leafMap(childrenNamed(parseXmlStrict(r.text), 'Result')[0]);
    assert.equal(row.nick_name, '<b>"Tom" & \'Jerry\'</b>');
    const fields = await kith.call({ entity: 'Email', action: 'getfields', api_action: 'get', ...creds() });
    const root = parseXmlStrict(fields.text);
    const idField = childrenNamed(root, 'Result').find((res) => leafMap(res).name === 'id');
    assert.deepEqual(child(idField, 'api.aliases').children.map((c) => c.text), ['email_id']);
  });

  test('chained results nest inside their row', async () => {
    const last = uniq('Xch');
    const r = await kith.call({
      entity: 'Contact', action: 'create', ...creds(),
      contact_type: 'Individual', first_name: 'X', last_name: last,
      'api.Email.create[email]': `${last}@example.org`,
    }, { method: 'POST' });
    const result = childrenNamed(parseXmlStrict(r.text), 'Result')[0];
    // PHP turns api.Email.create[...] into api_Email_create.
    const chained = child(result, 'api_Email_create');
    assert.ok(chained, r.text);
    assert.equal(leafMap(chained).count, '1');
  });
});

describe('parameters', () => {
  test('return in every form', async () => {
    const { id, last } = await newContact({ job_title: 'Editor', email: `${uniq('ret')}@example.org` });
    const expectKeys = async (params, keys) => {
      const body = await v3('Contact', 'get', { id, ...params });
      assert.deepEqual(Object.keys(body.values[id]), keys, JSON.stringify(params));
      return body.values[id];
    };
    await expectKeys({ return: 'first_name,job_title,email' }, ['contact_id', 'first_name', 'job_title', 'email_id', 'email', 'id']);
    await expectKeys({ return: 'first_name, job_title' }, ['contact_id', 'first_name', 'job_title', 'id']);
    await expectKeys({ 'return[0]': 'first_name', 'return[1]': 'last_name' }, ['contact_id', 'first_name', 'last_name', 'id']);
    await expectKeys({ 'return[display_name]': 1, 'return[email]': 1 }, ['contact_id', 'display_name', 'email_id', 'email', 'id']);
    await expectKeys({ return: 'first_name,no_such_field' }, ['contact_id', 'first_name', 'id']);
    const viaJson = await v3json('Contact', 'get', { id, return: ['nick_name', 'job_title'], 'return.last_name': 1 });
    assert.deepEqual(Object.keys(viaJson.values[id]), ['contact_id', 'last_name', 'nick_name', 'job_title', 'id']);
    assert.equal(viaJson.values[id].last_name, last);
  });

  test('options: limit (25 by default, 0 for all), offset, sort, and their checks', async () => {
    const last = uniq('Opt');
    const ids = [];
    for (const first of ['Dora', 'Anna', 'Carl', 'Bea']) {
      ids.push((await newContact({ first_name: first, last_name: last })).id);
    }
    const names = (body) => body.values.map((v) => v.first_name);
    assert.deepEqual(names(await v3('Contact', 'get', { last_name: last, sequential: 1, return: 'first_name', 'options[limit]': 2, 'options[sort]': 'first_name' })), ['Anna', 'Bea']);
    assert.deepEqual(names(await v3('Contact', 'get', { last_name: last, sequential: 1, return: 'first_name', 'options[limit]': 2, 'options[offset]': 2, 'options[sort]': 'first_name' })), ['Carl', 'Dora']);
    assert.deepEqual(names(await v3('Contact', 'get', { last_name: last, sequential: 1, return: 'first_name', 'options[sort]': 'first_name DESC' })), ['Dora', 'Carl', 'Bea', 'Anna']);
    assert.deepEqual(names(await v3json('Contact', 'get', { last_name: last, sequential: 1, return: 'first_name', options: { limit: 1, offset: 1, sort: 'id DESC' } })), ['Carl']);
    assert.equal((await v3('Contact', 'get', { last_name: last, 'options[limit]': 0 })).count, 4);
    assert.deepEqual(await v3('Contact', 'getcount', { last_name: last, 'options[limit]': 1 }), { is_error: 0, result: 4 });
    // the default page is 25
    for (let i = 0; i < 22; i += 1) await newContact({ last_name: last });
    assert.equal((await v3('Contact', 'get', { last_name: last })).count, 25);
    assert.equal((await v3('Contact', 'get', { last_name: last, option_limit: 30 })).count, 26);

    const unknown = await v3('Contact', 'get', { last_name: last, 'options[sort]': 'nope DESC' });
    assert.equal(unknown.error_message, "Unknown field specified for sort. Cannot order by 'nope DESC'");
    const injected = await v3('Contact', 'get', { last_name: last, 'options[sort]': '(SELECT 1)' });
    assert.equal(injected.error_message, 'invalid string in sort options');
    const badLimit = await v3('Contact', 'get', { last_name: last, 'options[limit]': '-1' });
    assert.equal(badLimit.is_error, 1);
  });

  test('filters with operators', async () => {
    const last = uniq('Ops');
    const olga = (await newContact({ first_name: 'Olga', last_name: last, birth_date: '1970-01-15' })).id;
    const otto = (await newContact({ first_name: 'Otto', middle_name: 'M', last_name: last, birth_date: '1985-06-30' })).id;
    const oona = (await newContact({ first_name: 'Oona', last_name: last })).id;
    const idsOf = async (filter) => {
      const body = await v3json('Contact', 'get', { last_name: last, sequential: 1, return: 'first_name', options: { sort: 'id' }, ...filter });
      assert.equal(body.is_error, 0, JSON.stringify(body));
      return body.values.map((v) => Number(v.id));
    };
    assert.deepEqual(await idsOf({ first_name: { IN: ['Olga', 'Oona'] } }), [olga, oona]);
    assert.deepEqual(await idsOf({ first_name: { 'NOT IN': ['Olga'] } }), [otto, oona]);
    assert.deepEqual(await idsOf({ first_name: { LIKE: 'O%a' } }), [olga, oona]);
    assert.deepEqual(await idsOf({ first_name: { 'NOT LIKE': 'O%a' } }), [otto]);
    assert.deepEqual(await idsOf({ id: { '>=': otto } }), [otto, oona]);
    assert.deepEqual(await idsOf({ id: { BETWEEN: [olga, otto] } }), [olga, otto]);
    assert.deepEqual(await idsOf({ birth_date: { BETWEEN: ['1960-01-01', '1980-12-31'] } }), [olga]);
    assert.deepEqual(await idsOf({ birth_date: { 'IS NULL': 1 } }), [oona]);
    assert.deepEqual(await idsOf({ middle_name: { 'IS NOT NULL': 1 } }), [otto]);
    assert.deepEqual(await idsOf({ first_name: { '!=': 'Otto' } }), [olga, oona]);
    // the bracket form of a form post
    const form = await v3('Contact', 'get', { last_name: last, sequential: 1, 'first_name[IN][0]': 'Otto', 'first_name[IN][1]': 'Oona' });
    assert.deepEqual(form.values.map((v) => Number(v.id)), [otto, oona]);
    // An unknown operator is refused rather than guessed (CiviCRM drops it).
    const bad = await v3json('Contact', 'get', { last_name: last, first_name: { FOO: 'Otto' } });
    assert.equal(bad.is_error, 1);
    assert.match(bad.error_message, /invalid operator FOO/);
  });

  test('debug=1 reports the filters it ignored', async () => {
    const { id } = await newContact();
    const body = await v3('Contact', 'get', { id, no_such_filter: 'x', debug: 1, return: 'id' });
    assert.equal(body.count, 1);
    assert.deepEqual(body.undefined_fields, ['no_such_filter']);
    const quiet = await v3('Contact', 'get', { id, no_such_filter: 'x', return: 'id' });
    assert.equal(quiet.undefined_fields, undefined);
  });

  test('id=user_contact_id is the caller', async () => {
    const body = await v3('Contact', 'get', { id: 'user_contact_id', return: 'id' }, { role: 'viewer' });
    assert.equal(body.id, kith.users.viewer.contactId);
  });
});

describe('contacts', () => {
  test('create answers every column; update with id', async () => {
    const { id, body } = await newContact({ email: `${uniq('c')}@example.org` });
    const row = body.values[id];
    assert.deepEqual(Object.keys(row).slice(0, 4), ['id', 'contact_type', 'external_identifier', 'display_name']);
    assert.equal(row.api_key, '');
    assert.equal(row.preferred_mail_format, 'Both');
    assert.match(row.hash, /^[0-9a-z]{32}$/);
    assert.match(row.created_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const updated = ok(await v3('Contact', 'create', { id, job_title: 'Pilot' }));
    assert.equal(updated.values[id].job_title, 'Pilot');
    assert.equal(updated.values[id].first_name, 'Test');
    const viaAlias = ok(await v3('Contact', 'create', { contact_id: id, nick_name: 'Ace' }));
    assert.equal(viaAlias.id, id);
    const missing = await v3('Contact', 'create', { id: 999999999, first_name: 'x' });
    assert.equal(missing.is_error, 1);
  });

  test('organisations and households get their greeting defaults', async () => {
    const org = ok(await v3('Contact', 'create', { contact_type: 'Organization', organization_name: uniq('Org') }));
    const o = org.values[org.id];
    assert.equal(o.display_name, o.organization_name);
    assert.equal(o.sort_name, o.organization_name);
    const missing = await v3('Contact', 'create', { contact_type: 'Household' });
    assert.equal(missing.error_message, 'Mandatory key(s) missing from params array: household_name');
  });

  test('dupe_check refuses a matching contact', async () => {
    const email = `${uniq('dupe')}@example.org`;
    const { id } = await newContact({ email });
    const dupe = await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'Other', email, dupe_check: 1 });
    assert.deepEqual(dupe, {
      ids: [String(id)], error_code: 'duplicate', entity: 'Contact', action: 'create', is_error: 1,
      error_message: `Found matching contacts: ${id}`,
    });
    ok(await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'Other', email }));
  });

  test('options.match updates the matching contact instead of creating one', async () => {
    const ext = uniq('ext');
    const first = ok(await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'A', last_name: ext, external_identifier: ext, 'options[match]': 'external_identifier' }));
    const second = ok(await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'B', external_identifier: ext, 'options[match]': 'external_identifier' }));
    assert.equal(second.id, first.id);
    assert.equal(second.values[second.id].first_name, 'B');
    assert.deepEqual(await v3('Contact', 'getcount', { external_identifier: ext }), { is_error: 0, result: 1 });
  });

  test('delete: to the trash, restore, for good', async () => {
    const { id, last } = await newContact();
    assert.deepEqual(ok(await v3('Contact', 'delete', { id })), { is_error: 0, version: 3, count: 1, values: 1 });
    assert.equal((await v3('Contact', 'get', { id })).count, 0);
    assert.deepEqual(await v3('Contact', 'getcount', { last_name: last }), { is_error: 0, result: 0 });
    // kith finds trashed contacts when asked (CiviCRM's REST does not).
    assert.equal((await v3('Contact', 'get', { id, is_deleted: 1 })).count, 1);
    assert.equal((await v3('Contact', 'get', { last_name: last, showAll: 'trash' })).count, 1);
    ok(await v3('Contact', 'delete', { id, restore: 1 }));
    assert.equal((await v3('Contact', 'get', { id, return: 'contact_is_deleted', sequential: 1 })).values[0].contact_is_deleted, '0');
    ok(await v3('Contact', 'delete', { id }));
    ok(await v3('Contact', 'create', { id, is_deleted: 0 }));
    assert.equal((await v3('Contact', 'get', { id })).count, 1);
    ok(await v3('Contact', 'delete', { id, skip_undelete: 1 }));
    assert.equal((await v3('Contact', 'get', { id, is_deleted: 1 })).count, 0);
    assert.deepEqual(await v3('Contact', 'delete', { id }), {
      error_code: 0, entity: 'Contact', action: 'delete', is_error: 1, error_message: 'Could not delete contact',
    });
    const self = await v3('Contact', 'delete', { id: kith.users.admin.contactId });
    assert.match(self.error_message, /linked to the currently logged in user account/);
    assert.deepEqual((await v3('Contact', 'delete', {})).fields, ['id']);
  });
});

describe('locations and reference data', () => {
  test('Email create/get/replace/delete with location types by id and name', async () => {
    const { id } = await newContact();
    const home = ok(await v3('Email', 'create', { contact_id: id, email: `Home.${id}@example.org`, location_type_id: 1, is_primary: 1 }));
    assert.deepEqual(home.values[home.id], {
      id: String(home.id), contact_id: String(id), location_type_id: '1', email: `home.${id}@example.org`,
      is_primary: '1', is_billing: '', on_hold: '0', is_bulkmail: '', hold_date: '', reset_date: '',
      signature_text: '', signature_html: '',
    });
    const work = ok(await v3('Email', 'create', { contact_id: id, email: `work.${id}@example.org`, location_type_id: 'Work' }));
    assert.equal(work.values[work.id].location_type_id, '2');
    assert.equal(work.values[work.id].is_primary, '0');
    const got = ok(await v3('Email', 'get', { contact_id: id, 'options[sort]': 'id' }));
    assert.deepEqual(got.values[home.id], {
      id: String(home.id), contact_id: String(id), location_type_id: '1', email: `home.${id}@example.org`,
      is_primary: '1', is_billing: '0', on_hold: '0', is_bulkmail: '0',
    });
    const byName = ok(await v3('Email', 'get', { contact_id: id, location_type_id: 'Work', return: 'email' }));
    assert.deepEqual(Object.keys(byName.values), [String(work.id)]);
    const missing = await v3('Email', 'create', { email: 'x@example.org' });
    assert.deepEqual(missing.fields, ['contact_id']);
    const badType = await v3('Email', 'create', { contact_id: id, email: 'y@example.org', location_type_id: 'Spaceship' });
    assert.equal(badType.error_message, "'Spaceship' is not a valid option for field location_type_id");

    const replaced = ok(await v3json('Email', 'replace', { contact_id: id, values: [{ email: `new.${id}@example.org`, location_type_id: 1, is_primary: 1 }] }));
    assert.equal(replaced.count, 1);
    const after = ok(await v3('Email', 'get', { contact_id: id, sequential: 1, return: 'email,is_primary' }));
    assert.deepEqual(after.values, [{ id: String(replaced.id), email: `new.${id}@example.org`, is_primary: '1' }]);
    assert.deepEqual(ok(await v3('Email', 'delete', { id: replaced.id })), { is_error: 0, version: 3, count: 1, values: 1 });
    assert.deepEqual(await v3('Email', 'getcount', { contact_id: id }), { is_error: 0, result: 0 });
    const again = await v3('Email', 'delete', { id: replaced.id });
    assert.equal(again.error_message, `Could not delete entity id ${replaced.id}`);
  });

  test('Address: CiviCRM columns, default location type, contact row, replace', async () => {
    const { id } = await newContact();
    const home = ok(await v3('Address', 'create', { contact_id: id, street_address: '1 Main St', city: 'Springfield', country_id: 'US', is_primary: 1 }));
    const row = home.values[home.id];
    assert.equal(row.location_type_id, '1');
    assert.equal(row.country_id, '1228');
    assert.equal(row.street_number, '');
    assert.deepEqual(Object.keys(row).slice(-4), ['manual_geo_code', 'timezone', 'name', 'master_id']);
    const work = ok(await v3('Address', 'create', { contact_id: id, location_type_id: 2, city: 'Albany', state_province_id: 1031, country_id: 1228 }));
    const got = ok(await v3('Address', 'get', { contact_id: id, sequential: 1, 'options[sort]': 'id' }));
    assert.deepEqual(got.values[1], {
      id: String(work.id), contact_id: String(id), location_type_id: '2', is_primary: '0', is_billing: '0',
      city: 'Albany', state_province_id: '1031', country_id: '1228', manual_geo_code: '0',
    });
    const contact = ok(await v3('Contact', 'get', { id, sequential: 1, return: 'city,country,state_province' }));
    assert.deepEqual(contact.values[0], {
      contact_id: String(id), address_id: String(home.id), city: 'Springfield', state_province_id: '',
      country_id: '1228', state_province_name: '', state_province: '', country: 'United States', id: String(id),
    });
    const replaced = ok(await v3json('Address', 'replace', { contact_id: id, values: [{ location_type_id: 1, city: 'Shelbyville' }] }));
    const after = ok(await v3('Address', 'get', { contact_id: id, return: 'city,is_primary' }));
    assert.deepEqual(after.values, { [replaced.id]: { id: String(replaced.id), city: 'Shelbyville', is_primary: '1' } });
  });

  test('Phone create and get', async () => {
    const { id } = await newContact();
    const phone = ok(await v3('Phone', 'create', { contact_id: id, phone: '+1 (555) 010-2030', phone_type_id: 'Mobile' }));
    const row = phone.values[phone.id];
    assert.equal(row.phone_numeric, '15550102030');
    assert.equal(row.phone_type_id, '2');
    assert.equal(row.is_primary, '1');
    const contact = ok(await v3('Contact', 'getsingle', { id, return: 'phone' }));
    assert.equal(contact.phone, '+1 (555) 010-2030');
    assert.equal(contact.phone_id, String(phone.id));
  });

  test('reference data with CiviCRM ids', async () => {
    const types = ok(await v3('LocationType', 'get', { sequential: 1, 'options[sort]': 'id' }));
    assert.deepEqual(types.values.map((t) => t.name), ['Home', 'Work', 'Main', 'Other', 'Billing']);
    assert.deepEqual(types.values[0], {
      id: '1', name: 'Home', display_name: 'Home', vcard_name: 'HOME', description: 'Place of residence',
      is_reserved: '0', is_active: '1', is_default: '1',
    });
    const us = ok(await v3('Country', 'get', { iso_code: 'US' }));
    assert.equal(us.id, 1228);
    assert.equal(us.values['1228'].name, 'United States');
    const ny = ok(await v3('StateProvince', 'get', { abbreviation: 'NY', country_id: 1228 }));
    assert.equal(ny.id, 1031);
    const gender = ok(await v3('OptionValue', 'get', { option_group_id: 'gender', sequential: 1, return: 'label,value' }));
    assert.deepEqual(gender.values.map((g) => g.label), ['Female', 'Male', 'Other']);
    const group = ok(await v3('OptionGroup', 'getsingle', { name: 'gender' }));
    assert.equal(group.name, 'gender');
  });

  test('getfields, getoptions, getactions, Entity.get', async () => {
    const fields = ok(await v3('Email', 'getfields', { api_action: 'create' }));
    assert.deepEqual(Object.keys(fields.values).slice(0, 3), ['id', 'contact_id', 'location_type_id']);
    assert.equal(fields.values.email.type, 2);
    assert.equal(fields.values.email['api.required'], 1);
    assert.equal(fields.values.is_primary.type, 16);
    assert.deepEqual(fields.values.id['api.aliases'], ['email_id']);
    // CiviCRM's titles and order, from the schema: the address before is_primary.
    assert.deepEqual(Object.keys(fields.values).slice(3, 6), ['email', 'is_primary', 'is_billing']);
    assert.deepEqual(['id', 'location_type_id', 'is_billing'].map((f) => fields.values[f].title),
      ['Email ID', 'Email Location Type', 'Is Billing Email?']);
    const seq = ok(await v3('Contact', 'getfields', { api_action: 'create', sequential: 1 }));
    assert.equal(seq.values[0].name, 'id');
    assert.equal(seq.values[0].title, 'Contact ID');
    assert.equal(seq.values.find((f) => f.name === 'contact_type')['api.required'], 1);

    const options = ok(await v3('Email', 'getoptions', { field: 'location_type_id' }));
    assert.deepEqual(options.values, { 1: 'Home', 2: 'Work', 3: 'Main', 4: 'Other', 5: 'Billing' });
    const gender = ok(await v3('Contact', 'getoptions', { field: 'gender_id', sequential: 1 }));
    assert.deepEqual(gender.values[0], { key: '1', value: 'Female' });
    const statuses = ok(await v3('GroupContact', 'getoptions', { field: 'status' }));
    assert.deepEqual(statuses.values, { Added: 'Added', Removed: 'Removed', Pending: 'Pending' });
    // Keyed by name where CiviCRM's pseudoconstant says keyColumn "name".
    const languages = ok(await v3('Contact', 'getoptions', { field: 'preferred_language' }));
    assert.equal(languages.values.en_US, 'English (United States)');
    assert.equal(languages.values.en, undefined);
    const contactFields = ok(await v3('Contact', 'getfields', {}));
    assert.deepEqual(contactFields.values.preferred_language.pseudoconstant,
      { optionGroupName: 'languages', keyColumn: 'name' });
    const none = await v3('Contact', 'getoptions', { field: 'first_name' });
    assert.equal(none.error_message, "The field 'first_name' has no associated option list.");

    const actions = ok(await v3('Email', 'getactions', {}));
    for (const a of ['create', 'delete', 'get', 'getactions', 'getcount', 'getfields', 'getoptions', 'getsingle', 'getvalue', 'replace']) {
      assert.ok(actions.values.includes(a), a);
    }
    assert.deepEqual([...actions.values].sort(), actions.values);
    const entities = ok(await v3('Entity', 'get', {}));
    for (const e of ['Address', 'Contact', 'Country', 'Email', 'LocationType', 'OptionGroup', 'OptionValue', 'Phone', 'StateProvince']) {
      assert.ok(entities.values.includes(e), e);
    }
  });
});

describe('chaining', () => {
  test('api.Email.create with $value.id, nested as CiviCRM nests it', async () => {
    const last = uniq('Chn');
    const body = ok(await v3json('Contact', 'create', {
      contact_type: 'Individual', first_name: 'Cora', last_name: last,
      'api.Email.create': { email: `cora.${last}@example.org`, location_type_id: 1, contact_id: '$value.id' },
      'api.Phone.create': [{ phone: '111' }, { phone: '222', location_type_id: 2 }],
    }));
    const row = body.values[body.id];
    const email = row['api.Email.create'];
    assert.deepEqual(Object.keys(email), ['is_error', 'version', 'count', 'id', 'values']);
    assert.ok(Array.isArray(email.values));
    assert.equal(email.values[0].contact_id, String(body.id));
    assert.equal(email.values[0].is_primary, '1');
    assert.equal(row['api.Phone.create'].length, 2);
    assert.equal(row['api.Phone.create'][1].values[0].phone, '222');

    const got = ok(await v3json('Contact', 'get', { last_name: last, return: 'display_name', 'api.Email.get': { return: 'email' } }));
    assert.deepEqual(got.values[body.id]['api.Email.get'].values, [{ id: String(email.id), email: `cora.${last.toLowerCase()}@example.org` }]);
  });

  test('the form field form api.Email.create[...] arrives as api_Email_create', async () => {
    const last = uniq('Frm');
    const body = ok(await v3('Contact', 'create', {
      contact_type: 'Individual', first_name: 'F', last_name: last, 'api.Email.create[email]': `${last}@example.org`,
    }));
    const chained = body.values[body.id].api_Email_create;
    assert.equal(chained.count, 1);
    assert.equal(chained.values[0].contact_id, String(body.id));
  });

  test('a failing child fails and rolls back the whole call', async () => {
    const last = uniq('Rbk');
    const bad = await v3json('Contact', 'create', {
      contact_type: 'Individual', first_name: 'R', last_name: last,
      'api.Email.create': { email: 'not-an-email' },
    });
    assert.equal(bad.is_error, 1);
    assert.equal(bad.entity, 'Contact');
    assert.match(bad.error_message, /^Error in call to Email_create : /);
    assert.deepEqual(await v3('Contact', 'getcount', { last_name: last }), { is_error: 0, result: 0 });

    const unknown = await v3json('Contact', 'get', { id: kith.users.admin.contactId, 'api.NoSuchThing.get': {} });
    assert.deepEqual(unknown, {
      error_code: 'not-found', entity: 'Contact', action: 'get', is_error: 1,
      error_message: 'Error in call to NoSuchThing_get : API (NoSuchThing, get) does not exist (join the API team and implement it!)',
    });
  });

  test('each child call is checked against the caller\'s permissions', async () => {
    const last = uniq('Prm');
    // An editor may add contacts but not location types.
    const denied = await v3json('Contact', 'create', {
      contact_type: 'Individual', first_name: 'P', last_name: last,
      'api.LocationType.create': { name: last },
    }, { role: 'editor' });
    assert.equal(denied.error_code, 'unauthorized');
    assert.match(denied.error_message, /^Error in call to LocationType_create : API permission check failed for LocationType\/create call/);
    assert.deepEqual(await v3('Contact', 'getcount', { last_name: last }), { is_error: 0, result: 0 });
  });
});

describe('groups', () => {
  test('Group create names the group after its title and id; get, update, delete', async () => {
    const title = `${uniq('grp')} Grp A`;
    const made = ok(await v3('Group', 'create', { title, description: 'first' }));
    const row = made.values[made.id];
    const munged = title.replace(/[^A-Za-z0-9_]+/g, '_');
    assert.equal(row.name, `${munged.slice(0, -4)}_${made.id}`);
    assert.equal(row.is_active, '1');
    assert.equal(row.visibility, '');  // not written by the call: CiviCRM's DAO answer
    assert.equal(row.created_id, String(kith.users.admin.contactId));
    assert.deepEqual(Object.keys(row).slice(0, 4), ['id', 'name', 'title', 'description']);
    const got = ok(await v3('Group', 'get', { title }));
    assert.equal(got.values[made.id].visibility, 'User and User Admin Only');
    const typed = ok(await v3('Group', 'create', { title: uniq('Typed'), group_type: 'Mailing List' }));
    assert.deepEqual(typed.values[typed.id].group_type, ['2']);
    const missing = await v3('Group', 'create', { description: 'no title' });
    assert.deepEqual(missing.fields, ['title']);
    const updated = ok(await v3('Group', 'create', { id: made.id, is_active: 0 }));
    assert.equal(updated.values[made.id].is_active, '0');
    assert.equal(updated.values[made.id].name, '');
    assert.deepEqual(ok(await v3('Group', 'delete', { id: made.id })), { is_error: 0, version: 3, count: 1, values: true });
    assert.equal((await v3('Group', 'get', { id: made.id })).count, 0);
    const denied = await v3('Group', 'create', { title: uniq('Denied') }, { role: 'viewer' });
    assert.equal(denied.error_message, 'API permission check failed for Group/create call; insufficient permission: require access CiviCRM and edit groups');
  });

  test('GroupContact create counts, get by contact, contact get by group, delete', async () => {
    const group = ok(await v3('Group', 'create', { title: uniq('Club') })).id;
    const a = await newContact();
    const b = await newContact();
    assert.deepEqual(ok(await v3('GroupContact', 'create', { group_id: group, contact_id: a.id })),
      { is_error: 0, version: 3, count: 1, values: 1, total_count: 1, added: 1, not_added: 0 });
    // contact_id.2 arrives as contact_id_2: both count.
    assert.deepEqual(ok(await v3('GroupContact', 'create', { group_id: group, contact_id: a.id, 'contact_id.2': b.id })),
      { is_error: 0, version: 3, count: 1, values: 1, total_count: 2, added: 1, not_added: 1 });
    const mine = ok(await v3('GroupContact', 'get', { contact_id: a.id }));
    const row = Object.values(mine.values)[0];
    assert.deepEqual(Object.keys(row), ['id', 'group_id', 'title', 'visibility', 'is_hidden', 'saved_search_id', 'in_date', 'in_method']);
    assert.equal(row.group_id, String(group));
    assert.equal(row.in_method, 'API');
    assert.deepEqual(ok(await v3('GroupContact', 'getcount', { group_id: group })), { is_error: 0, result: 2 });
    const members = ok(await v3('Contact', 'get', { group, return: 'id', 'options[sort]': 'id' }));
    assert.deepEqual(Object.keys(members.values).map(Number), [a.id, b.id]);
    const groups = ok(await v3('Contact', 'get', { id: a.id, return: 'group', sequential: 1 }));
    assert.equal(groups.values[0].groups, String(group));
    const missing = await v3('GroupContact', 'create', { contact_id: a.id });
    assert.deepEqual(missing.fields, ['group_id']);

    const removed = ok(await v3('GroupContact', 'delete', { group_id: group, contact_id: b.id }));
    assert.equal(removed.removed, 1);
    assert.deepEqual(ok(await v3('GroupContact', 'getcount', { group_id: group })), { is_error: 0, result: 1 });
    const history = ok(await v3('GroupContact', 'get', { contact_id: b.id, status: 'Removed' }));
    assert.ok('out_date' in Object.values(history.values)[0]);

    const other = ok(await v3('Group', 'create', { title: uniq('Other') })).id;
    const replaced = ok(await v3json('GroupContact', 'replace', { contact_id: a.id, values: [{ group_id: other }] }));
    assert.deepEqual(Object.values(replaced.values).map((v) => v.group_id), [String(other)]);
    assert.deepEqual(ok(await v3('GroupContact', 'getcount', { group_id: group })), { is_error: 0, result: 0 });
  });
});

describe('relationships', () => {
  test('Relationship create, refusals in v3 words, get both ways, delete', async () => {
    const person = await newContact();
    const org = ok(await v3('Contact', 'create', { contact_type: 'Organization', organization_name: uniq('Acme') })).id;
    const type = ok(await v3('RelationshipType', 'getsingle', { name_a_b: 'Employee of' }));
    assert.equal(type.id, '5');
    const rel = ok(await v3('Relationship', 'create', { contact_id_a: person.id, contact_id_b: org, relationship_type_id: 5, start_date: '2020-01-01' }));
    const row = rel.values[rel.id];
    assert.equal(row.start_date, '20200101000000');
    assert.equal(row.end_date, 'NULL');
    assert.equal(row.is_active, '1');
    const dupe = await v3('Relationship', 'create', { contact_id_a: person.id, contact_id_b: org, relationship_type_id: 5 });
    assert.deepEqual(dupe, {
      duplicate_id: rel.id, error_code: 'duplicate', entity: 'Relationship', action: 'create', is_error: 1,
      error_message: 'Duplicate Relationship',
    });
    const wrong = await v3('Relationship', 'create', { contact_id_a: person.id, contact_id_b: (await newContact()).id, relationship_type_id: 5 });
    assert.equal(wrong.error_message, 'Invalid Relationship');
    const missing = await v3('Relationship', 'create', { contact_id_a: person.id });
    assert.deepEqual(missing.fields, ['contact_id_b', 'relationship_type_id']);

    const byA = ok(await v3('Relationship', 'get', { contact_id_a: person.id }));
    assert.equal(byA.values[rel.id].start_date, '2020-01-01');
    const both = ok(await v3('Relationship', 'get', { contact_id: org, sequential: 1 }));
    assert.equal(both.values[0].cid, String(person.id));
    assert.equal(both.values[0].relation, 'Employer of');
    assert.equal(both.values[0].rtype, 'b_a');
    assert.equal(both.values[0].name, `${person.last}, Test`);
    const fromA = ok(await v3('Relationship', 'get', { contact_id: person.id, sequential: 1 }));
    assert.equal(fromA.values[0].relation, 'Employee of');
    assert.equal(fromA.values[0].rtype, 'a_b');
    assert.deepEqual(ok(await v3('Relationship', 'getcount', { contact_id: org })), { is_error: 0, result: 1 });

    ok(await v3('Relationship', 'delete', { id: rel.id }));
    assert.deepEqual(ok(await v3('Relationship', 'getcount', { contact_id_a: person.id })), { is_error: 0, result: 0 });
    // A type may be named instead of numbered.
    const named = ok(await v3('Relationship', 'create', { contact_id_a: person.id, contact_id_b: org, relationship_type: 'Employee of' }));
    assert.equal(named.values[named.id].relationship_type_id, '5');
    const unknownType = await v3('Relationship', 'create', { contact_id_a: person.id, contact_id_b: org, relationship_type: 'Nope' });
    assert.equal(unknownType.error_message, 'relationship_type is not valid: Nope');
  });

  test('RelationshipType create and delete', async () => {
    const name = uniq('Mentor');
    const made = ok(await v3('RelationshipType', 'create', { name_a_b: `${name} of`, name_b_a: `${name}ee of`, contact_type_a: 'Individual', contact_type_b: 'Individual' }));
    const row = made.values[made.id];
    assert.equal(row.label_a_b, `${name} of`);
    assert.equal(row.is_active, '1');
    ok(await v3('RelationshipType', 'delete', { id: made.id }));
    assert.deepEqual(ok(await v3('RelationshipType', 'getcount', { id: made.id })), { is_error: 0, result: 0 });
  });
});

describe('custom data', () => {
  test('CustomGroup and CustomField create, values on contacts, CustomValue, cleanup', async () => {
    const tag = uniq('cg');
    const group = ok(await v3('CustomGroup', 'create', { title: `CG ${tag}`, name: tag, extends: 'Individual' }));
    const g = group.values[group.id];
    assert.equal(g.table_name, `civicrm_value_${tag}_${group.id}`);
    assert.equal(g.is_active, '1');
    assert.equal(g.style, 'Inline');
    const str = ok(await v3('CustomField', 'create', { custom_group_id: group.id, label: 'Nickname', data_type: 'String', html_type: 'Text', is_searchable: 1 }));
    const int = ok(await v3('CustomField', 'create', { custom_group_id: group.id, label: 'Shoe size', data_type: 'Int', html_type: 'Text' }));
    const date = ok(await v3('CustomField', 'create', { custom_group_id: group.id, label: 'Joined', data_type: 'Date', html_type: 'Select Date' }));
    assert.equal(str.values[str.id].weight, '1');
    assert.equal(int.values[int.id].weight, '1');
    assert.equal(int.values[int.id].column_name, `shoe_size_${int.id}`);
    const missing = await v3('CustomField', 'create', { custom_group_id: group.id, data_type: 'String' });
    assert.deepEqual(missing.fields, ['label']);
    const [s, i, d] = [`custom_${str.id}`, `custom_${int.id}`, `custom_${date.id}`];

    const c1 = ok(await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'Cal', last_name: tag, [s]: 'Cally', [i]: 42, [d]: '2001-02-03' })).id;
    const c2 = ok(await v3('Contact', 'create', { contact_type: 'Individual', first_name: 'Cleo', last_name: tag, [s]: 'Clee', [i]: 38 })).id;
    const got = ok(await v3('Contact', 'get', { id: c1, return: `first_name,${s},${i},${d}` }));
    assert.deepEqual(got.values[c1], {
      contact_id: String(c1), first_name: 'Cal', [`civicrm_value_${tag}_${group.id}_id`]: got.values[c1][`civicrm_value_${tag}_${group.id}_id`],
      [d]: '2001-02-03 00:00:00', [s]: 'Cally', [i]: '42', id: String(c1),
    });
    const filtered = ok(await v3('Contact', 'get', { last_name: tag, [i]: 38, return: 'first_name', sequential: 1 }));
    assert.deepEqual(filtered.values.map((v) => v.first_name), ['Cleo']);
    const over = ok(await v3json('Contact', 'get', { last_name: tag, [i]: { '>': 40 }, return: 'first_name', sequential: 1 }));
    assert.deepEqual(over.values.map((v) => v.first_name), ['Cal']);

    ok(await v3('CustomValue', 'create', { entity_id: c2, [i]: 39 }));
    const values = ok(await v3('CustomValue', 'get', { entity_id: c2 }));
    assert.equal(values.count, 3);
    assert.deepEqual(values.values[int.id], { entity_id: String(c2), latest: '39', id: String(int.id), 0: '39' });
    assert.equal(values.values[date.id].latest, '');
    const one = ok(await v3json('CustomValue', 'get', { entity_id: c2, [`return.${s}`]: 1 }));
    assert.deepEqual(Object.keys(one.values), [String(str.id)]);
    assert.deepEqual((await v3('CustomValue', 'get', {})).fields, ['entity_id']);

    const fields = ok(await v3('CustomField', 'get', { custom_group_id: group.id, sequential: 1, return: 'label', 'options[sort]': 'id' }));
    assert.deepEqual(fields.values.map((f) => [f.label, f.serialize]), [['Nickname', '0'], ['Shoe size', '0'], ['Joined', '0']]);
    const described = ok(await v3('Contact', 'getfields', { api_action: 'create' }));
    assert.equal(described.values[i].data_type, 'Int');

    assert.deepEqual(ok(await v3('CustomField', 'delete', { id: date.id })), { is_error: 0, version: 3, count: 1, values: 1 });
    ok(await v3('CustomGroup', 'delete', { id: group.id }));
    assert.deepEqual(ok(await v3('CustomField', 'getcount', { custom_group_id: group.id })), { is_error: 0, result: 0 });
  });
});

describe('getfields as CiviCRM lists it', () => {
  test('type codes, schema requirements, links and defaults', async () => {
    const get = ok(await v3('Email', 'getfields', { api_action: 'get' })).values;
    assert.equal(get.on_hold.type, 1);  // a number in CiviCRM: 0, 1 bounce, 2 opt-out
    assert.deepEqual([get.hold_date.type, get.signature_text.type, get.is_bulkmail.type], [12, 32, 16]);
    assert.equal(get.is_primary.required, true);  // NOT NULL columns
    assert.equal(get.email.required, undefined);
    assert.equal(get.contact_id.required, undefined);
    assert.equal(get.contact_id.FKApiName, 'Contact');
    assert.equal(get.location_type_id.FKApiName, undefined);  // a pseudoconstant, not a key
    assert.equal(get.location_type_id.pseudoconstant, undefined);
    assert.equal(get.is_primary.default, '0');
    assert.equal(get.hold_date.readonly, true);
    assert.deepEqual(Object.keys(get.contact_id), ['name', 'type', 'title', 'where', 'table_name', 'entity',
      'is_core_field', 'FKApiName']);
    const create = ok(await v3('Email', 'getfields', { api_action: 'create' })).values;
    assert.equal(create.is_primary.default, undefined);
    assert.equal(create.email['api.required'], 1);
    const group = ok(await v3('Group', 'getfields', { api_action: 'get' })).values;
    assert.deepEqual([group.name.required, group.title.required, group.description.required], [true, true, undefined]);
    assert.equal(group.visibility.default, 'User and User Admin Only');
    const contact = ok(await v3('Contact', 'getfields', {})).values;
    assert.equal(contact.gender_id.pseudoconstant.optionGroupName, 'gender');
    assert.equal(contact.is_deleted.required, true);
  });
});
