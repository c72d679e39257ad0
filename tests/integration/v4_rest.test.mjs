// APIv4 REST (/civicrm/ajax/api4) over raw HTTP against a real `kith serve`:
// every authx flow and its failures, the GET/POST rule, multi-call, index,
// every where operator, typed values and the honest error statuses.
// Facts under test: shared/PROTOCOL.md A.5, A.7, A.10 and C.3.
//
// One server serves the file (the body-limit test starts its own). Tests
// share its database, so each works on contacts it creates, with a last
// name no other test uses.

import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startKith, encodeParams, KITH_BIN, kithForSuite, kithCli, REST_PATH } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';
const SECURITY_ALERT = {
  error_code: 400,
  error_message: 'SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api4().',
};
const POST_ONLY = {
  error_code: 405,
  error_message: 'SECURITY: All requests that modify the database must be http POST, not GET.',
};

const kith = kithForSuite();

// ---------------------------------------------------------------------------
// Helpers

function bearer(role = 'admin') {
  return { 'X-Civi-Auth': `Bearer ${kith.users[role].apiKey}`, 'X-Civi-Key': kith.siteKey };
}

// A raw POST (or GET) to /civicrm/ajax/api4/<entity>/<action>; `form` is
// sent as given (objects JSON-encoded, as the corpus and clients send them).
async function post(path, form, { headers = bearer(), method = 'POST', query } = {}) {
  const fields = {};
  for (const [k, v] of Object.entries(form ?? {})) {
    fields[k] = typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
  }
  const init = { method, headers: { ...headers }, redirect: 'manual' };
  let url = API4 + path;
  const encoded = encodeParams(fields);
  if (method === 'GET') {
    if (encoded) url += '?' + encoded;
  } else {
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = encoded;
    if (query) url += '?' + query;
  }
  return kith.raw(url, init);
}

// An APIv4 call expected to succeed: returns the parsed envelope.
async function api4(entity, action, params = {}, opts = {}) {
  const form = { params };
  if (opts.index !== undefined) form.index = opts.index;
  const r = await post(`/${entity}/${action}`, form, opts);
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'application/json');
  return r.json();
}

// An APIv4 call expected to fail with `status`: returns the error body.
async function api4Error(entity, action, params, status, opts = {}) {
  const r = await post(`/${entity}/${action}`, { params }, opts);
  assert.equal(r.status, status, `${entity}.${action}: ${r.text}`);
  assert.equal(r.headers.get('content-type'), 'application/json');
  const body = r.json();
  assert.deepEqual(Object.keys(body), ['error_id', 'error_code', 'error_message', 'status']);
  assert.match(body.error_id, /^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$/);
  assert.equal(body.status, status);
  return body;
}

async function makeContacts(lastName, records) {
  const r = await api4('Contact', 'save', {
    records: records.map((rec) => ({ last_name: lastName, ...rec })),
    defaults: { contact_type: 'Individual' },
  });
  return r.values.map((v) => v.id);
}

async function firstNames(where, extra = {}) {
  const r = await api4('Contact', 'get', {
    select: ['first_name'], where, orderBy: { id: 'ASC' }, ...extra,
  });
  return r.values.map((v) => v.first_name);
}

// ---------------------------------------------------------------------------
describe('authentication (authx)', () => {
  let me;
  before(async () => {
    [me] = await makeContacts('Authx', [{ first_name: 'Aldo' }]);
  });
  const select = () => ({ select: ['id'], where: [['id', '=', me]] });

  test('X-Civi-Auth bearer with the site key', async () => {
    const r = await api4('Contact', 'get', select());
    assert.deepEqual(r.values, [{ id: me }]);
  });

  test('X-Civi-Auth bearer without the site key passes the permission guard', async () => {
    for (const role of ['admin', 'editor', 'viewer']) {
      const r = await api4('Contact', 'get', select(), {
        headers: { 'X-Civi-Auth': `Bearer ${kith.users[role].apiKey}` },
      });
      assert.equal(r.count, 1, role);
    }
  });

  test('a wrong X-Civi-Key with a valid bearer is accepted (guards are OR-ed)', async () => {
    const r = await api4('Contact', 'get', select(), {
      headers: { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'X-Civi-Key': 'wrong' },
    });
    assert.equal(r.count, 1);
  });

  test('bad bearer: 401 text/plain', async () => {
    for (const headers of [
      { 'X-Civi-Auth': 'Bearer nope', 'X-Civi-Key': kith.siteKey },
      { 'X-Civi-Auth': 'Bearer', 'X-Civi-Key': kith.siteKey },
      { 'X-Civi-Auth': 'Token abc' },
      { Authorization: 'Bearer nope', 'X-Requested-With': 'XMLHttpRequest' },
    ]) {
      const r = await post('/Contact/get', { params: select() }, { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(r.headers.get('content-type'), /^text\/plain/);
      assert.equal(r.text, 'HTTP 401 Invalid credential');
    }
  });

  test('no credential and no X-Requested-With: 400 SECURITY ALERT', async () => {
    const r = await post('/Contact/get', { params: select() }, { headers: {} });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(r.json(), SECURITY_ALERT);
  });

  test('Authorization: Bearer needs X-Requested-With (CSRF guard)', async () => {
    const auth = { Authorization: `Bearer ${kith.users.admin.apiKey}` };
    const alone = await post('/Contact/get', { params: select() }, { headers: auth });
    assert.equal(alone.status, 400);
    assert.deepEqual(alone.json(), SECURITY_ALERT);
    const r = await api4('Contact', 'get', select(), {
      headers: { ...auth, 'X-Requested-With': 'XMLHttpRequest' },
    });
    assert.equal(r.count, 1);
  });

  test('Basic name:password, in X-Civi-Auth or Authorization', async () => {
    const basic = (role) =>
      'Basic ' + Buffer.from(`${role}:${kith.users[role].password}`).toString('base64');
    const r1 = await api4('Contact', 'get', select(), { headers: { 'X-Civi-Auth': basic('admin') } });
    assert.equal(r1.count, 1);
    const r2 = await api4('Contact', 'get', select(), {
      headers: { Authorization: basic('admin'), 'X-Requested-With': 'XMLHttpRequest' },
    });
    assert.equal(r2.count, 1);
    const wrong = await post('/Contact/get', { params: select() }, {
      headers: { 'X-Civi-Auth': 'Basic ' + Buffer.from('admin:nope').toString('base64') },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, 'HTTP 401 Invalid credential');
    // A viewer may not log in with a password: only the site key lets it.
    const guard = await post('/Contact/get', { params: select() }, {
      headers: { 'X-Civi-Auth': basic('viewer') },
    });
    assert.equal(guard.status, 401);
    assert.equal(guard.text, 'HTTP 401 Login not permitted. Must satisfy guard (site_key, perm).');
    const withKey = await api4('Contact', 'get', select(), {
      headers: { 'X-Civi-Auth': basic('viewer'), 'X-Civi-Key': kith.siteKey },
    });
    assert.equal(withKey.count, 1);
  });

  test('_authx parameter and api_key + key parameters', async () => {
    const r1 = await post('/Contact/get', {
      params: select(), _authx: `Bearer ${kith.users.admin.apiKey}`,
    }, { headers: {} });
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json().count, 1);
    const r2 = await post('/Contact/get', { params: select() }, {
      headers: {}, query: `api_key=${kith.users.admin.apiKey}&key=${kith.siteKey}`,
    });
    assert.equal(r2.status, 200, r2.text);
    assert.deepEqual(r2.json().values, [{ id: me }]);
    const bad = await post('/Contact/get', { params: select() }, {
      headers: {}, query: `api_key=nope&key=${kith.siteKey}`,
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.text, 'HTTP 401 Invalid credential');
  });

  test('the browser session of a 3.2 login, only with X-Requested-With', async () => {
    const login = await kith.call({
      q: 'civicrm/login', json: 1, key: kith.siteKey, name: 'viewer', pass: kith.users.viewer.password,
    });
    const session = login.json().PHPSESSID;
    assert.ok(session);
    const cookie = `PHPSESSID=${session}`;
    const r = await api4('Contact', 'get', select(), {
      headers: { cookie, 'X-Requested-With': 'XMLHttpRequest' },
    });
    assert.equal(r.count, 1);
    const noXhr = await post('/Contact/get', { params: select() }, { headers: { cookie } });
    assert.equal(noXhr.status, 400);
    assert.deepEqual(noXhr.json(), SECURITY_ALERT);
    // The session's viewer may read, not write: the reason is kept (A.10).
    const denied = await api4Error('Contact', 'create', { values: { first_name: 'X' } }, 403, {
      headers: { cookie, 'X-Requested-With': 'XMLHttpRequest' },
    });
    assert.equal(denied.error_message,
      'API permission check failed for Contact/create call; insufficient permission: require access CiviCRM and add contacts');
  });

  test('a key replaced or a user disabled by the CLI is refused at once by a running server', async () => {
    // Its own server: the test changes its admin's key.
    const own = await startKith();
    try {
      const getWith = (key) => own.raw(`${API4}/Contact/get`, {
        method: 'POST',
        headers: { 'X-Civi-Auth': `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'params=' + encodeURIComponent(JSON.stringify({ select: ['id'], limit: 1 })),
      });
      const v3With = (key) => own.call({
        entity: 'Contact', action: 'get', json: 1, key: own.siteKey, api_key: key, return: 'id',
      }, { path: REST_PATH });
      const old = own.users.admin.apiKey;
      // Twice: the second answer may come from what the server remembers of the key.
      for (let i = 0; i < 2; i++) assert.equal((await getWith(old)).status, 200);
      assert.equal((await v3With(old)).json().is_error, 0);

      const out = await kithCli(['user', 'key', 'admin', '--data', own.dataDir]);
      const fresh = out.trim().split('\n').pop();
      assert.notEqual(fresh, old);
      assert.equal((await getWith(old)).status, 401);
      assert.equal((await v3With(old)).json().is_error, 1);
      assert.equal((await getWith(fresh)).status, 200);
      assert.equal((await v3With(fresh)).json().is_error, 0);

      await kithCli(['user', 'disable', 'admin', '--data', own.dataDir]);
      assert.equal((await getWith(fresh)).status, 401);
      assert.equal((await v3With(fresh)).json().is_error, 1);
      await kithCli(['user', 'enable', 'admin', '--data', own.dataDir]);
      assert.equal((await getWith(fresh)).status, 200);

      // An unknown user is an error of the command, not a silent success.
      await assert.rejects(kithCli(['user', 'disable', 'nobody', '--data', own.dataDir]), /no user named nobody/);
    } finally {
      await own.stop();
    }
  });

  test('X-Requested-With without any credential runs as anonymous: 403', async () => {
    const body = await api4Error('Contact', 'get', select(), 403, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
    });
    assert.match(body.error_message, /^API permission check failed for Contact\/get call/);
  });
});

// ---------------------------------------------------------------------------
describe('HTTP methods, request forms, multi-call and index', () => {
  let ids;
  before(async () => {
    ids = await makeContacts('Forms', [{ first_name: 'Fay' }, { first_name: 'Fox' }]);
  });
  const where = [['last_name', '=', 'Forms']];

  test('GET works for get actions, with params in the query string', async () => {
    const r = await post('/Contact/get', { params: { select: ['first_name'], where } }, { method: 'GET' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json().values.map((v) => v.first_name), ['Fay', 'Fox']);
    const fields = await post('/Contact/getFields', { params: { select: ['name'] } }, { method: 'GET' });
    assert.equal(fields.status, 200);
  });

  test('GET for a write is 405, and so is any method but GET and POST', async () => {
    const r = await post('/Contact/create', { params: { values: { first_name: 'Getty' } } }, { method: 'GET' });
    assert.equal(r.status, 405);
    assert.deepEqual(r.json(), POST_ONLY);
    const put = await kith.raw(`${API4}/Contact/get`, { method: 'PUT', headers: bearer() });
    assert.equal(put.status, 405);
    const multi = await post('', { calls: { a: ['Contact', 'get', {}] } }, { method: 'GET' });
    assert.equal(multi.status, 405);
    // Nothing was written.
    assert.deepEqual(await firstNames([['first_name', '=', 'Getty']]), []);
  });

  test('a JSON request body', async () => {
    const r = await kith.raw(`${API4}/Contact/get`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ params: { select: ['first_name'], where }, index: 'first_name' }),
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json().values), ['Fay', 'Fox']);
    const bare = await kith.raw(`${API4}/Contact/get`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ select: ['first_name'], where, limit: 1 }),
    });
    assert.equal(bare.status, 200, bare.text);
    assert.deepEqual(bare.json().values, [{ id: ids[0], first_name: 'Fay' }]);
  });

  test('index: a field, a position, a key/value map', async () => {
    const params = { select: ['first_name'], where, orderBy: { id: 'ASC' } };
    // civicrm_api4: an index field the select leaves out keys the rows but
    // is left out of them; selected, it stays.
    const byId = await api4('Contact', 'get', params, { index: 'id' });
    assert.deepEqual(byId.values, { [ids[0]]: { first_name: 'Fay' }, [ids[1]]: { first_name: 'Fox' } });
    assert.equal(byId.count, 2);
    const byName = await api4('Contact', 'get', { ...params, select: ['id', 'first_name'] }, { index: 'first_name' });
    assert.deepEqual(byName.values, { Fay: { id: ids[0], first_name: 'Fay' }, Fox: { id: ids[1], first_name: 'Fox' } });
    const second = await api4('Contact', 'get', params, { index: 1 });
    assert.deepEqual(second.values, { id: ids[1], first_name: 'Fox' });
    assert.equal(second.count, 2);
    assert.equal(second.countFetched, 2);
    const r = await kith.raw(`${API4}/Contact/get`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `params=${encodeURIComponent(JSON.stringify(params))}&index%5Bid%5D=first_name`,
    });
    assert.deepEqual(r.json().values, { [ids[0]]: 'Fay', [ids[1]]: 'Fox' });
  });

  test('multi-call: each call its own envelope; 200 when any succeeded', async () => {
    const r = await post('', {
      calls: {
        names: ['Contact', 'get', { select: ['first_name'], where }, 'first_name'],
        count: ['Contact', 'get', { select: ['row_count'], where }],
        bad: ['Contact', 'nope', {}],
      },
    });
    assert.equal(r.status, 200, r.text);
    const body = r.json();
    assert.deepEqual(Object.keys(body), ['names', 'count', 'bad']);
    assert.deepEqual(Object.keys(body.names.values), ['Fay', 'Fox']);
    assert.deepEqual(body.count, {
      values: [], entity: 'Contact', action: 'get', debug: null, version: 4,
      count: 2, countFetched: 0, countMatched: 2,
    });
    assert.equal(body.bad.status, 404);
    assert.equal(body.bad.error_message, 'Api Contact nope version 4 does not exist.');
    const allBad = await post('', { calls: { x: ['Nothing', 'get', {}] } });
    assert.equal(allBad.status, 404);
    const malformed = await post('', { calls: { x: ['Contact'] } });
    assert.equal(malformed.status, 400);
  });

  test('a get with a chained write writes (one write transaction on either store)', async () => {
    const [id] = await makeContacts('Chainwrite', [{ first_name: 'Cid' }]);
    const r = await api4('Contact', 'get', {
      select: ['id'], where: [['id', '=', id]],
      chain: { mail: ['Email', 'create', { values: { contact_id: '$id', email: 'cid@example.org' } }] },
    });
    assert.equal(r.values.length, 1);
    assert.equal(r.values[0].mail[0].email, 'cid@example.org');
    const emails = await api4('Email', 'get', { select: ['email'], where: [['contact_id', '=', id]] });
    assert.deepEqual(emails.values.map((e) => e.email), ['cid@example.org']);
  });
});

// ---------------------------------------------------------------------------
describe('where operators', () => {
  let w;
  before(async () => {
    w = await makeContacts('Ops', [
      { first_name: 'Olga', birth_date: '1960-03-01', job_title: 'Judge', do_not_email: true },
      { first_name: 'Omar', birth_date: '1975-07-15', job_title: '' },
      { first_name: 'Otto', job_title: 'Clerk', preferred_communication_method: ['1', '2'] },
      { first_name: 'Oona', birth_date: '1990-12-24', job_title: 'Judge' },
    ]);
  });
  const mine = ['last_name', '=', 'Ops'];
  const cases = [
    [['first_name', '=', 'Omar'], ['Omar']],
    [['first_name', '!=', 'Omar'], ['Olga', 'Otto', 'Oona']],
    [['first_name', '<>', 'Omar'], ['Olga', 'Otto', 'Oona']],
    [['birth_date', '<', '1975-07-15'], ['Olga']],
    [['birth_date', '>', '1975-07-15'], ['Oona']],
    [['birth_date', '<=', '1975-07-15'], ['Olga', 'Omar']],
    [['birth_date', '>=', '1975-07-15'], ['Omar', 'Oona']],
    [['first_name', 'LIKE', 'O_t%'], ['Otto']],
    [['first_name', 'NOT LIKE', 'Ol%'], ['Omar', 'Otto', 'Oona']],
    [['first_name', 'IN', ['Olga', 'Oona', 'Nobody']], ['Olga', 'Oona']],
    [['first_name', 'NOT IN', ['Olga', 'Oona']], ['Omar', 'Otto']],
    [['birth_date', 'BETWEEN', ['1970-01-01', '1995-01-01']], ['Omar', 'Oona']],
    [['birth_date', 'NOT BETWEEN', ['1970-01-01', '1995-01-01']], ['Olga']],
    [['birth_date', 'IS NULL'], ['Otto']],
    [['birth_date', 'IS NOT NULL'], ['Olga', 'Omar', 'Oona']],
    [['job_title', 'IS EMPTY'], ['Omar']],
    [['job_title', 'IS NOT EMPTY'], ['Olga', 'Otto', 'Oona']],
    [['job_title', 'CONTAINS', 'ler'], ['Otto']],
    [['job_title', 'NOT CONTAINS', 'udg'], ['Omar', 'Otto']],
    [['preferred_communication_method', 'CONTAINS', '2'], ['Otto']],
    [['preferred_communication_method', 'CONTAINS ONE OF', ['5', '1']], ['Otto']],
    [['first_name', 'REGEXP', '^O[lm]'], ['Olga', 'Omar']],
    [['first_name', 'NOT REGEXP', '^O[lm]'], ['Otto', 'Oona']],
    [['do_not_email', '=', true], ['Olga']],
    [['do_not_email', '=', 0], ['Omar', 'Otto', 'Oona']],
    [['OR', [['first_name', '=', 'Otto'], ['AND', [['job_title', '=', 'Judge'], ['birth_date', '>', '1980-01-01']]]]], ['Otto', 'Oona']],
    [['NOT', [['job_title', '=', 'Judge']]], ['Omar', 'Otto']],
  ];
  for (const [clause, expected] of cases) {
    test(`${JSON.stringify(clause)}`, async () => {
      assert.deepEqual(await firstNames([mine, clause]), expected);
    });
  }

  test('id IN with ids as numbers and as strings', async () => {
    assert.deepEqual(await firstNames([mine, ['id', 'IN', [w[0], String(w[2])]]]), ['Olga', 'Otto']);
  });

  test('an unknown operator or field is a 400 (CiviCRM\'s words: the field named, not the operator)', async () => {
    const op = await api4Error('Contact', 'get', { where: [['id', 'FOO', 1]] }, 400);
    assert.equal(op.error_message, 'Illegal operator');
    const field = await api4Error('Contact', 'get', { where: [['no_such_field', '=', 1]] }, 400);
    assert.equal(field.error_message, "Invalid field 'no_such_field'");
    const between = await api4Error('Contact', 'get', { where: [['id', 'BETWEEN', [1]]] }, 400);
    assert.match(between.error_message, /BETWEEN needs a list of two values for id/);
  });
});

// ---------------------------------------------------------------------------
describe('values and answers', () => {
  test('a whole contact row holds the columns of its own contact type only', async () => {
    const org = (await api4('Contact', 'create', {
      values: { contact_type: 'Organization', organization_name: 'Kinds Ltd', legal_name: 'Kinds Limited' },
    })).values[0];
    const [personId] = await makeContacts('Kinds', [{ first_name: 'Kim', job_title: 'Clerk' }]);
    const got = await api4('Contact', 'get', {
      where: [['id', 'IN', [org.id, personId]]], orderBy: { id: 'ASC' },
    });
    const [orgRow, personRow] = got.values;
    assert.equal(orgRow.organization_name, 'Kinds Ltd');
    assert.equal(orgRow.legal_name, 'Kinds Limited');
    for (const column of ['first_name', 'last_name', 'job_title', 'birth_date', 'household_name']) {
      assert.ok(!(column in orgRow), `an organization has no ${column}`);
    }
    assert.equal(personRow.first_name, 'Kim');
    assert.equal(personRow.job_title, 'Clerk');
    for (const column of ['organization_name', 'legal_name', 'sic_code', 'household_name']) {
      assert.ok(!(column in personRow), `a person has no ${column}`);
    }
    // Columns every contact has stay, in CiviCRM's order.
    assert.deepEqual(Object.keys(orgRow).slice(0, 3), ['id', 'contact_type', 'external_identifier']);
    assert.ok('display_name' in orgRow && 'display_name' in personRow);
  });

  test('typed values: integers, booleans, null, lists', async () => {
    const created = await api4('Contact', 'create', {
      values: {
        first_name: 'Tia', last_name: 'Typed', do_not_phone: true, gender_id: 1,
        preferred_communication_method: ['2'],
      },
    });
    const [row] = created.values;
    assert.equal(typeof row.id, 'number');
    assert.equal(row.do_not_phone, true);
    assert.equal(row.do_not_email, false);
    assert.equal(row.gender_id, 1);
    assert.deepEqual(row.preferred_communication_method, ['2']);
    assert.equal(row.custom, null);
    const got = await api4('Contact', 'get', {
      select: ['do_not_phone', 'middle_name', 'gender_id:label', 'preferred_communication_method:label', 'is_deleted'],
      where: [['id', '=', row.id]],
    });
    assert.deepEqual(got.values, [{
      id: row.id, do_not_phone: true, middle_name: null, 'gender_id:label': 'Female',
      'preferred_communication_method:label': ['Email'], is_deleted: false,
    }]);
  });

  test('preferred_language is keyed by option name (en_US), not value (en)', async () => {
    // CiviCRM's pseudoconstant for this field has keyColumn "name": the
    // label of "fr_FR" is French (France), though that option's value is "fr".
    const created = await api4('Contact', 'create', {
      values: { first_name: 'Lea', last_name: 'Langkey', 'preferred_language:label': 'French (France)' },
    });
    assert.equal(created.values[0].preferred_language, 'fr_FR');
    const got = await api4('Contact', 'get', {
      select: ['preferred_language', 'preferred_language:label', 'preferred_language:name'],
      where: [['last_name', '=', 'Langkey'], ['preferred_language:label', '=', 'French (France)']],
    });
    assert.deepEqual(got.values, [{
      id: created.values[0].id, preferred_language: 'fr_FR',
      'preferred_language:label': 'French (France)', 'preferred_language:name': 'fr_FR',
    }]);
    const fields = await api4('Contact', 'getFields', {
      loadOptions: true, where: [['name', '=', 'preferred_language']], select: ['options'],
    });
    assert.equal(fields.values[0].options.fr_FR, 'French (France)');
    assert.equal(fields.values[0].options.fr, undefined);
  });

  test('the envelope and select *', async () => {
    const [id] = await makeContacts('Envelope', [{ first_name: 'Eli' }]);
    const r = await api4('Contact', 'get', { where: [['id', '=', id]] });
    assert.deepEqual(Object.keys(r), ['values', 'entity', 'action', 'debug', 'version', 'count', 'countFetched']);
    assert.equal(r.version, 4);
    const row = r.values[0];
    assert.equal(Object.keys(row)[0], 'id');
    assert.ok(!('organization_name' in row), 'fields of other contact types are left out');
    assert.equal(row.preferred_mail_format, 'Both');
    assert.equal(row.api_key, null);
    // A viewer may not see api_key at all.
    const viewer = await api4('Contact', 'get', { where: [['id', '=', id]] }, { headers: bearer('viewer') });
    assert.ok(!('api_key' in viewer.values[0]));
  });

  test('row_count, limit and offset (unlimited by default)', async () => {
    await makeContacts('Paged', Array.from({ length: 30 }, (_, i) => ({ first_name: `P${i}` })));
    const all = await api4('Contact', 'get', { select: ['id'], where: [['last_name', '=', 'Paged']] });
    assert.equal(all.values.length, 30);
    const page = await api4('Contact', 'get', {
      select: ['first_name', 'row_count'], where: [['last_name', '=', 'Paged']], limit: 5, offset: 10,
    });
    assert.deepEqual(page.values.map((v) => v.first_name), ['P10', 'P11', 'P12', 'P13', 'P14']);
    assert.equal(page.count, 30);
    assert.equal(page.countFetched, 5);
    assert.equal(page.countMatched, 30);
  });

  test('groupBy with COUNT', async () => {
    await makeContacts('Grouped', [
      { first_name: 'A', job_title: 'Cook' }, { first_name: 'B', job_title: 'Cook' }, { first_name: 'C', job_title: 'Maid' },
    ]);
    const r = await api4('Contact', 'get', {
      select: ['job_title', 'COUNT(id) AS n'], where: [['last_name', '=', 'Grouped']],
      groupBy: ['job_title'], orderBy: { job_title: 'ASC' },
    });
    assert.deepEqual(r.values, [{ job_title: 'Cook', n: 2 }, { job_title: 'Maid', n: 1 }]);
    // having: by alias, by the aggregate itself, by a grouped field; row_count counts groups.
    const having = async (clauses) => (await api4('Contact', 'get', {
      select: ['job_title', 'COUNT(id) AS n'], where: [['last_name', '=', 'Grouped']],
      groupBy: ['job_title'], having: clauses, orderBy: { job_title: 'ASC' },
    })).values;
    assert.deepEqual(await having([['n', '>', 1]]), [{ job_title: 'Cook', n: 2 }]);
    assert.deepEqual(await having([['COUNT(id)', '=', 1]]), [{ job_title: 'Maid', n: 1 }]);
    assert.deepEqual(await having([['OR', [['job_title', '=', 'Maid'], ['n', 'BETWEEN', [2, 5]]]]]),
      [{ job_title: 'Cook', n: 2 }, { job_title: 'Maid', n: 1 }]);
    const counted = await api4('Contact', 'get', {
      select: ['row_count', 'job_title', 'COUNT(id) AS n'], where: [['last_name', '=', 'Grouped']],
      groupBy: ['job_title'], having: [['n', '>=', 2]],
    });
    assert.equal(counted.count, 1);
    const noGroup = await api4Error('Contact', 'get', { select: ['COUNT(id) AS n'], having: [['n', '>', 1]] }, 400);
    assert.equal(noGroup.error_message, 'having needs groupBy');
    const badField = await api4Error('Contact', 'get', {
      select: ['job_title'], groupBy: ['job_title'], having: [['nope', '>', 1]],
    }, 400);
    assert.equal(badField.error_message, "Invalid field 'nope'");
  });

  test('explicit joins: LEFT, INNER, literal conditions, and what is refused', async () => {
    const [a, b] = await makeContacts('Joined', [{ first_name: 'Jan' }, { first_name: 'Jim' }]);
    await api4('Email', 'create', { values: { contact_id: a, email: 'jan@home.example', location_type_id: 1 } });
    await api4('Email', 'create', { values: { contact_id: a, email: 'jan@work.example', location_type_id: 2 } });
    // Suffixed paths through the join itself cannot be in its own conditions.
    const refused = await api4Error('Contact', 'get', {
      join: [['Email AS w', 'LEFT', ['w.contact_id', '=', 'id'], ['w.location_type_id:name', '=', "'Work'"]]],
    }, 400);
    assert.match(refused.error_message, /join conditions name the joined entity's own fields/);
    const byValue = await api4('Contact', 'get', {
      select: ['first_name', 'w.email'],
      join: [['Email AS w', 'LEFT', ['w.contact_id', '=', 'id'], ['w.location_type_id', '=', 2]]],
      where: [['last_name', '=', 'Joined']], orderBy: { id: 'ASC' },
    });
    assert.deepEqual(byValue.values, [
      { id: a, first_name: 'Jan', 'w.email': 'jan@work.example' }, { id: b, first_name: 'Jim', 'w.email': null }]);
    const inner = await api4('Contact', 'get', {
      select: ['first_name'], join: [['Email AS w', true, ['w.contact_id', '=', 'id']]],
      where: [['last_name', '=', 'Joined']],
    });
    assert.deepEqual(inner.values.map((v) => v.first_name), ['Jan', 'Jan']);
    const hidden = await api4Error('Contact', 'get', { join: [['User AS u', 'LEFT', ['u.contact_id', '=', 'id']]] }, 400);
    assert.equal(hidden.error_message, 'Invalid join entity: User');
  });

  test('update, save with match, delete to the trash and for real', async () => {
    const [id] = await makeContacts('Writes', [{ first_name: 'Wim' }]);
    const upd = await api4('Contact', 'update', { values: { nick_name: 'W' }, where: [['id', '=', id]] });
    assert.equal(upd.values[0].nick_name, 'W');
    assert.equal(upd.values[0].contact_id, null);
    const saved = await api4('Contact', 'save', {
      records: [{ first_name: 'Wilma', external_identifier: `w-${id}` }], match: ['external_identifier'],
      defaults: { last_name: 'Writes' },
    });
    assert.equal(saved.countMatched, 0);
    const again = await api4('Contact', 'save', {
      records: [{ first_name: 'Wilhelmina', external_identifier: `w-${id}` }], match: ['external_identifier'],
    });
    assert.equal(again.countMatched, 1);
    assert.equal(again.values[0].id, saved.values[0].id);
    const del = await api4('Contact', 'delete', { where: [['id', '=', id]] });
    assert.deepEqual(del.values, [{ id }]);  // Contact delete: ids as numbers
    assert.deepEqual(await firstNames([['last_name', '=', 'Writes'], ['first_name', '=', 'Wim']]), []);
    // naming the id finds it in the trash (CiviCRM drops its trash filter then)
    assert.deepEqual(await firstNames([['id', '=', id]]), ['Wim']);
    assert.deepEqual(await firstNames([['id', '=', id], ['is_deleted', '=', true]]), ['Wim']);
    await api4('Contact', 'delete', { where: [['id', '=', id], ['is_deleted', '=', true]], useTrash: false });
    assert.deepEqual(await firstNames([['id', '=', id], ['is_deleted', 'IN', [0, 1]]]), []);
  });

  test('a failed call leaves nothing behind', async () => {
    const body = await api4Error('Contact', 'save', {
      records: [{ first_name: 'Kept', last_name: 'Atomic' }, { first_name: 'Bad', last_name: 'Atomic', birth_date: 'nope' }],
    }, 400);
    assert.match(body.error_message, /birth_date/);
    assert.deepEqual(await firstNames([['last_name', '=', 'Atomic']]), []);
  });
});

// ---------------------------------------------------------------------------
describe('replace, Entity.get and custom data', () => {
  test('replace keeps the records given and deletes the rest; a primary is kept', async () => {
    const [id] = await makeContacts('Replaced', [{ first_name: 'Rae' }]);
    const where = [['contact_id', '=', id]];
    const first = await api4('Email', 'replace', { where, records: [{ email: 'a@replace.example' }, { email: 'b@replace.example' }] });
    assert.deepEqual(first.values.map((v) => v.contact_id), [id, id]);
    assert.deepEqual(first.deleted, []);
    const second = await api4('Email', 'replace', {
      where, records: [{ id: first.values[1].id, email: 'b2@replace.example' }, { email: 'c@replace.example' }],
    });
    assert.deepEqual(second.deleted, [{ id: first.values[0].id }]);
    const now = await api4('Email', 'get', { select: ['email', 'is_primary'], where, orderBy: { id: 'ASC' } });
    assert.deepEqual(now.values.map((v) => [v.email, v.is_primary]),
      [['b2@replace.example', true], ['c@replace.example', false]]);
  });

  test('Entity.get lists the entities', async () => {
    const r = await api4('Entity', 'get', { select: ['name', 'title_plural'], where: [['name', 'IN', ['Contact', 'Address']]] });
    assert.deepEqual(r.values, [{ name: 'Address', title_plural: 'Addresses' }, { name: 'Contact', title_plural: 'Contacts' }]);
    const names = (await api4('Entity', 'get', { select: ['name'] })).values.map((v) => v.name);
    assert.ok(!names.includes('User') && !names.includes('Session'), names.join());
  });

  test('custom fields as GroupName.field_name: write, read, labels, filter', async () => {
    const group = (await api4('CustomGroup', 'create', {
      values: { title: 'V4 Rest Info', name: 'v4_rest_info', extends: 'Individual' },
    })).values[0];
    await api4('CustomField', 'create', { values: { custom_group_id: group.id, label: 'Shoe', name: 'shoe', data_type: 'Int', html_type: 'Text' } });
    await api4('CustomField', 'create', {
      values: { custom_group_id: group.id, label: 'Colors', name: 'colors', data_type: 'String', html_type: 'Select',
        serialize: 1, option_values: { r: 'Red', g: 'Green', b: 'Blue' } },
    });
    const made = await api4('Contact', 'create', {
      values: { first_name: 'Cus', last_name: 'Tom', 'v4_rest_info.shoe': 44, 'v4_rest_info.colors:label': ['Red', 'Blue'] },
    });
    const id = made.values[0].id;
    assert.equal(made.values[0]['v4_rest_info.shoe'], null);  // CiviCRM's create answer shows them as null
    const got = await api4('Contact', 'get', {
      select: ['v4_rest_info.*', 'v4_rest_info.colors:label'], where: [['id', '=', id]],
    });
    assert.deepEqual(got.values, [{
      id, 'v4_rest_info.shoe': 44, 'v4_rest_info.colors': ['r', 'b'], 'v4_rest_info.colors:label': ['Red', 'Blue'],
    }]);
    const found = await api4('Contact', 'get', {
      select: ['id'], where: [['v4_rest_info.shoe', '>', 40], ['v4_rest_info.colors', 'CONTAINS', 'b']],
    });
    assert.deepEqual(found.values, [{ id }]);
    await api4('Contact', 'update', { values: { 'v4_rest_info.shoe': 45 }, where: [['id', '=', id]] });
    const after = await api4('Contact', 'get', { select: ['v4_rest_info.shoe'], where: [['id', '=', id]] });
    assert.equal(after.values[0]['v4_rest_info.shoe'], 45);
    const unknown = await api4Error('Contact', 'get', { where: [['v4_rest_info.nope', '=', 1]] }, 400);
    assert.equal(unknown.error_message, "Invalid field 'v4_rest_info.nope'");
    await api4('CustomGroup', 'delete', { where: [['id', '=', group.id]] });
    const gone = await api4Error('Contact', 'get', { where: [['v4_rest_info.shoe', '=', 45]] }, 400);
    assert.equal(gone.error_message, "Invalid field 'v4_rest_info.shoe'");
  });
});

// ---------------------------------------------------------------------------
describe('groups, memberships, relationships and custom fields as CiviCRM answers them', () => {
  test('RelationshipCache: each relationship seen from both sides, read-only', async () => {
    const [person] = await makeContacts('Cachedrel', [{ first_name: 'Ron' }]);
    const org = (await api4('Contact', 'create', {
      values: { contact_type: 'Organization', organization_name: 'Cachedrel Corp' },
    })).values[0].id;
    const rel = (await api4('Relationship', 'create', {
      values: { contact_id_a: person, contact_id_b: org, relationship_type_id: 5, start_date: '2021-02-03' },
    })).values[0].id;
    const r = await api4('RelationshipCache', 'get', {
      select: ['near_contact_id', 'far_contact_id', 'near_relation', 'far_relation', 'orientation',
        'relationship_type_id', 'is_active', 'start_date', 'end_date'],
      where: [['relationship_id', '=', rel]],
      orderBy: { orientation: 'ASC' },
    });
    assert.equal(r.values.length, 2);
    assert.ok(Number.isInteger(r.values[0].id) && r.values[0].id !== r.values[1].id);
    assert.deepEqual(r.values.map(({ id, ...rest }) => rest), [
      { near_contact_id: person, far_contact_id: org, near_relation: 'Employee of', far_relation: 'Employer of',
        orientation: 'a_b', relationship_type_id: 5, is_active: true, start_date: '2021-02-03', end_date: null },
      { near_contact_id: org, far_contact_id: person, near_relation: 'Employer of', far_relation: 'Employee of',
        orientation: 'b_a', relationship_type_id: 5, is_active: true, start_date: '2021-02-03', end_date: null },
    ]);
    // Seen from the organisation, through a join to the far contact.
    const fromOrg = await api4('RelationshipCache', 'get', {
      select: ['far_contact_id.first_name', 'near_relation'], where: [['near_contact_id', '=', org]],
    });
    assert.deepEqual(fromOrg.values.map(({ id, ...rest }) => rest),
      [{ 'far_contact_id.first_name': 'Ron', near_relation: 'Employer of' }]);
    // Always what the relationships are now: an update and a delete show at once.
    await api4('Relationship', 'update', { values: { is_active: false }, where: [['id', '=', rel]] });
    const inactive = await api4('RelationshipCache', 'get', {
      select: ['row_count'], where: [['relationship_id', '=', rel], ['is_active', '=', false]],
    });
    assert.equal(inactive.count, 2);
    const fields = await api4('RelationshipCache', 'getFields', { select: ['name'] });
    assert.deepEqual(fields.values.map((f) => f.name), ['id', 'relationship_id', 'relationship_type_id',
      'orientation', 'near_contact_id', 'near_relation', 'far_contact_id', 'far_relation', 'is_active',
      'start_date', 'end_date', 'case_id']);
    const actions = (await api4('RelationshipCache', 'getActions', { select: ['name'] })).values.map((a) => a.name);
    assert.deepEqual(actions.sort(), ['get', 'getActions', 'getFields']);
    const write = await api4Error('RelationshipCache', 'create', { values: { near_contact_id: person } }, 404);
    assert.match(write.error_message, /does not exist/);
    await api4('Relationship', 'delete', { where: [['id', '=', rel]] });
    const gone = await api4('RelationshipCache', 'get', { where: [['relationship_id', '=', rel]] });
    assert.deepEqual(gone.values, []);
    // APIv3 has no such entity, as in CiviCRM.
    const v3 = await kith.raw('/civicrm/ajax/rest', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: encodeParams({ entity: 'RelationshipCache', action: 'get', json: '1', key: kith.siteKey,
        api_key: kith.users.admin.apiKey }),
    });
    assert.equal(v3.json().is_error, 1, v3.text);
  });

  test('Group create: the name from the title and id, as APIv3 makes it; title falls back to name', async () => {
    const off = (await api4('Group', 'create', { values: { title: 'Named V4 Off', is_active: false } })).values[0];
    assert.equal(off.name, `Named_V4_${off.id}`);
    assert.equal(off.is_active, false);
    const stored = await api4('Group', 'get', { select: ['name'], where: [['id', '=', off.id]] });
    assert.equal(stored.values[0].name, `Named_V4_${off.id}`);
    const given = (await api4('Group', 'create', { values: { title: 'Named V4 Given', name: 'my_given_name' } })).values[0];
    assert.equal(given.name, 'my_given_name');
    const untitled = (await api4('Group', 'create', { values: { name: 'only_a_name_v4' } })).values[0];
    assert.equal(untitled.title, 'only_a_name_v4');
    const missing = await api4Error('Group', 'create', { values: { description: 'neither' } }, 400);
    assert.equal(missing.error_message, 'Mandatory values missing from Api4 Group::create: name, title, frontend_title');
  });

  test('fixed option lists (contact_type, status, visibility) and relationship types as pseudoconstants', async () => {
    const group = (await api4('Group', 'create', {
      values: { title: 'Fixed Options V4', 'visibility:label': 'Public Pages' },
    })).values[0];
    assert.equal(group.visibility, 'Public Pages');
    const person = (await api4('Contact', 'create', {
      values: { 'contact_type:name': 'Individual', first_name: 'Fia', last_name: 'Fixedopt' },
    })).values[0];
    assert.equal(person.contact_type, 'Individual');
    await api4('GroupContact', 'create', {
      values: { group_id: group.id, contact_id: person.id, 'status:label': 'Pending' },
    });
    const members = await api4('GroupContact', 'get', {
      select: ['status', 'status:label', 'contact_id.contact_type:label'],
      where: [['group_id', '=', group.id], ['status:name', '=', 'Pending']],
    });
    assert.equal(members.count, 1);
    assert.equal(members.values[0]['status:label'], 'Pending');
    assert.equal(members.values[0]['contact_id.contact_type:label'], 'Individual');
    const bad = await api4Error('GroupContact', 'create', {
      values: { group_id: group.id, contact_id: person.id, 'status:label': 'Bogus' },
    }, 400);
    assert.equal(bad.error_message, 'status:label is not valid: Bogus');

    const fields = await api4('GroupContact', 'getFields', {
      loadOptions: true, select: ['name', 'options'], where: [['name', '=', 'status']],
    });
    assert.deepEqual(fields.values[0].options, { Added: 'Added', Removed: 'Removed', Pending: 'Pending' });
    const types = await api4('Relationship', 'getFields', {
      loadOptions: ['id', 'name', 'label'], select: ['options'], where: [['name', '=', 'relationship_type_id']],
    });
    assert.deepEqual(types.values[0].options.find((o) => o.id === 1), { id: 1, name: 'Child of', label: 'Child of' });
  });

  test('GroupContact save: the last record carries method and tracking', async () => {
    const ids = await makeContacts('Savedmember', [{ first_name: 'A' }, { first_name: 'B' }, { first_name: 'C' }]);
    const group = (await api4('Group', 'create', { values: { title: 'Saved Members V4' } })).values[0].id;
    const r = await api4('GroupContact', 'save', {
      records: ids.map((contact_id) => ({ contact_id })), defaults: { group_id: group, status: 'Added' },
    });
    assert.deepEqual(r.values.map((v) => Object.keys(v)), [
      ['id', 'group_id', 'contact_id', 'status', 'custom', 'check_permissions'],
      ['id', 'group_id', 'contact_id', 'status', 'custom', 'check_permissions'],
      ['id', 'group_id', 'contact_id', 'status', 'custom', 'check_permissions', 'method', 'tracking'],
    ]);
    assert.equal(r.values[2].method, null);
    // A create is a save of one record: that record is the last.
    const [fourth] = await makeContacts('Savedmember', [{ first_name: 'D' }]);
    const one = await api4('GroupContact', 'create', { values: { group_id: group, contact_id: fourth } });
    assert.deepEqual(Object.keys(one.values[0]).slice(-2), ['method', 'tracking']);
  });

  test('CustomField get lists column_name before serialize, as CiviCRM', async () => {
    const group = (await api4('CustomGroup', 'create', {
      values: { title: 'V4 Order Info', name: 'v4_order_info', extends: 'Individual' },
    })).values[0];
    const field = (await api4('CustomField', 'create', {
      values: { custom_group_id: group.id, label: 'Motto', name: 'motto', data_type: 'String', html_type: 'Text' },
    })).values[0];
    const r = await api4('CustomField', 'get', {
      select: ['name', 'serialize', 'column_name'], where: [['custom_group_id', '=', group.id]],
    });
    assert.deepEqual(Object.keys(r.values[0]), ['id', 'name', 'column_name', 'serialize']);
    assert.equal(r.values[0].column_name, `motto_${field.id}`);
    await api4('CustomGroup', 'delete', { where: [['id', '=', group.id]] });
  });

  test('Group getFields as CiviCRM lists them', async () => {
    const r = await api4('Group', 'getFields', {
      action: 'create', select: ['name', 'data_type', 'input_type', 'required', 'default_value'],
    });
    assert.deepEqual(r.values.map((f) => f.name), ['id', 'name', 'title', 'description', 'source',
      'saved_search_id', 'is_active', 'visibility', 'where_clause', 'select_tables', 'where_tables',
      'group_type', 'cache_date', 'cache_fill_took', 'refresh_date', 'parents', 'children', 'is_hidden',
      'is_reserved', 'created_id', 'modified_id', 'frontend_title', 'frontend_description']);
    const by = Object.fromEntries(r.values.map((f) => [f.name, f]));
    assert.equal(by.title.required, false);  // falls back to frontend_title or name
    assert.equal(by.visibility.input_type, 'Select');
    assert.equal(by.parents.input_type, 'EntityRef');
    assert.deepEqual([by.where_clause.data_type, by.where_clause.input_type], ['Text', 'DisplayOnly']);
    assert.deepEqual([by.cache_date.data_type, by.cache_fill_took.data_type], ['Timestamp', 'Float']);
    assert.deepEqual([by.is_hidden.default_value, by.group_type.default_value], [false, null]);
    const g = (await api4('Group', 'create', { values: { title: 'Cache Columns V4' } })).values[0].id;
    const row = await api4('Group', 'get', { select: ['where_clause', 'cache_date'], where: [['id', '=', g]] });
    assert.deepEqual(row.values, [{ id: g, where_clause: null, cache_date: null }]);
  });
});

// ---------------------------------------------------------------------------
describe('custom data schema changes', () => {
  test('is_searchable changed by an update: the field stays usable and can be deleted', async () => {
    const group = (await api4('CustomGroup', 'create', {
      values: { title: 'V4 Searchable Info', name: 'v4_searchable_info', extends: 'Individual' },
    })).values[0];
    const field = (await api4('CustomField', 'create', {
      values: { custom_group_id: group.id, label: 'Badge', name: 'badge', data_type: 'Int', html_type: 'Text', is_searchable: true },
    })).values[0];
    const [id] = await makeContacts('Searchable', [{ first_name: 'Sam', 'v4_searchable_info.badge': 7 }]);
    for (const searchable of [false, true, false]) {
      const r = await api4('CustomField', 'update', { values: { is_searchable: searchable }, where: [['id', '=', field.id]] });
      assert.equal(r.values[0].is_searchable, searchable);
      const found = await api4('Contact', 'get', { select: ['id'], where: [['v4_searchable_info.badge', '=', 7]] });
      assert.deepEqual(found.values, [{ id }]);
    }
    // The column's index went with is_searchable; otherwise its column could not be dropped.
    await api4('CustomField', 'delete', { where: [['id', '=', field.id]] });
    const gone = await api4Error('Contact', 'get', { where: [['v4_searchable_info.badge', '=', 7]] }, 400);
    assert.equal(gone.error_message, "Invalid field 'v4_searchable_info.badge'");
    await api4('CustomGroup', 'delete', { where: [['id', '=', group.id]] });
  });

  test('a schema change made by another kith process on the same data is seen without a restart', async () => {
    const child = spawn(KITH_BIN, ['serve', '--data', kith.dataDir, '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const port = await new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error('second kith printed no port')), 15_000);
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d) => {
          out += d;
          const m = /serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
        child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`second kith exited: ${code}`)); });
      });
      const other = async (entity, action, params) => {
        const res = await fetch(`http://127.0.0.1:${port}${API4}/${entity}/${action}`, {
          method: 'POST',
          headers: { ...bearer(), 'content-type': 'application/x-www-form-urlencoded' },
          body: encodeParams({ params: JSON.stringify(params) }),
        });
        return { status: res.status, body: await res.json() };
      };
      // The other process has served a call (its catalog is loaded) before the change.
      assert.equal((await other('Contact', 'get', { select: ['id'], limit: 1 })).status, 200);
      const group = (await api4('CustomGroup', 'create', {
        values: { title: 'V4 Shared Info', name: 'v4_shared_info', extends: 'Individual' },
      })).values[0];
      await api4('CustomField', 'create', {
        values: { custom_group_id: group.id, label: 'Pet', name: 'pet', data_type: 'String', html_type: 'Text' },
      });
      const [id] = await makeContacts('Sharedschema', [{ first_name: 'Pat', 'v4_shared_info.pet': 'cat' }]);
      const seen = await other('Contact', 'get', { select: ['v4_shared_info.pet'], where: [['id', '=', id]] });
      assert.equal(seen.status, 200, JSON.stringify(seen.body));
      assert.deepEqual(seen.body.values, [{ id, 'v4_shared_info.pet': 'cat' }]);
      // And back: the other process deletes the group; this one no longer knows the field.
      assert.equal((await other('CustomGroup', 'delete', { where: [['id', '=', group.id]] })).status, 200);
      const gone = await api4Error('Contact', 'get', { where: [['v4_shared_info.pet', '=', 'cat']] }, 400);
      assert.equal(gone.error_message, "Invalid field 'v4_shared_info.pet'");
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});

// ---------------------------------------------------------------------------
describe('error statuses', () => {
  test('unknown entity and action: 404', async () => {
    const e = await api4Error('NoSuchThing', 'get', {}, 404);
    assert.equal(e.error_message,
      'API (NoSuchThing, get) does not exist (or the extension it belongs to is not enabled).');
    const a = await api4Error('Contact', 'frobnicate', {}, 404);
    assert.equal(a.error_message, 'Api Contact frobnicate version 4 does not exist.');
    const hidden = await api4Error('User', 'get', {}, 404);  // kith's own tables are not API
    assert.match(hidden.error_message, /does not exist/);
  });

  test('bad parameters: 400 naming them', async () => {
    const unknown = await api4Error('Contact', 'create', { values: { first_name: 'X' }, reload: true }, 400);
    assert.equal(unknown.error_message, 'Unknown api parameter: setReload');
    const noWhere = await api4Error('Contact', 'update', { values: { job_title: 'X' } }, 400);
    assert.equal(noWhere.error_message,
      'Parameter "where" is required unless primary keys are supplied in values.');
    const noDeleteWhere = await api4Error('Contact', 'delete', {}, 400);
    assert.equal(noDeleteWhere.error_message, 'Cannot delete Contact with no "where" parameter specified');
    const missing = await api4Error('Email', 'create', { values: { location_type_id: 1 } }, 400);
    assert.equal(missing.error_message, 'Mandatory values missing from Api4 Email::create: contact_id, email');
    assert.equal(missing.error_code, 0);  // CiviCRM's APIv4: no code of its own
    const field = await api4Error('Contact', 'create', { values: { nope: 1 } }, 400);
    assert.equal(field.error_message, "Invalid field 'nope'");
    const version = await api4Error('Contact', 'get', { version: 3 }, 400);
    assert.equal(version.error_message, 'Cannot modify api version');
    const json = await post('/Contact/get', { params: '{nope' });
    assert.equal(json.status, 400);
    assert.equal(json.json().error_message, 'params is not valid JSON');
  });

  // PostgreSQL has no foreign key for a link to a location type: kith checks
  // it and clears it, with the same answers and change rows as SQLite's.
  test('a location type: a bad id refused, a deleted one cleared from its emails', async () => {
    const [contact] = await makeContacts('LocatedElsewhere', [{ first_name: 'Lo' }]);  // its id
    const bad = await api4Error('Email', 'create',
      { values: { contact_id: contact, email: 'lo@bad.example', location_type_id: 999 } }, 400);
    assert.equal(bad.error_message, 'location_type_id is not valid: 999');
    const place = (await api4('LocationType', 'create', { values: { name: 'Houseboat' } })).values[0];
    const email = (await api4('Email', 'create',
      { values: { contact_id: contact, email: 'lo@boat.example', location_type_id: place.id } })).values[0];
    const moved = await api4Error('Email', 'update',
      { where: [['id', '=', email.id]], values: { location_type_id: 998 } }, 400);
    assert.equal(moved.error_message, 'location_type_id is not valid: 998');
    await api4('LocationType', 'delete', { where: [['id', '=', place.id]] });
    const after = await api4('Email', 'get', { where: [['id', '=', email.id]], select: ['location_type_id'] });
    assert.equal(after.values[0].location_type_id, null);
    const cleared = await api4('ChangeLog', 'get', {
      where: [['entity', '=', 'Email'], ['entity_id', '=', email.id], ['action', '=', 'update']],
    });
    assert.deepEqual(cleared.values.map((c) => c.changes), [{ location_type_id: [place.id, null] }]);
  });

  test('permissions: 403 with the reason kept', async () => {
    const e = await api4Error('Contact', 'create', { values: { first_name: 'No' } }, 403, {
      headers: bearer('viewer'),
    });
    assert.equal(e.error_code, 'unauthorized');
    assert.equal(e.error_message,
      'API permission check failed for Contact/create call; insufficient permission: require access CiviCRM and add contacts');
  });

  test('a body over the limit: 413 in JSON', async () => {
    const small = await startKith({ bodyLimitBytes: 1024 });
    try {
      const r = await small.raw(`${API4}/Contact/get`, {
        method: 'POST',
        headers: {
          'X-Civi-Auth': `Bearer ${small.users.admin.apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'params=' + 'x'.repeat(4096),
      });
      assert.equal(r.status, 413);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.json().status, 413);
      assert.match(r.json().error_message, /larger than/);
    } finally {
      await small.stop();
    }
  });
});

// ---------------------------------------------------------------------------
describe('metadata as CiviCRM lists it', () => {
  const SELECT = ['name', 'type', 'data_type', 'input_type', 'nullable', 'required', 'readonly', 'fk_entity', 'options'];
  async function fieldsOf(entity, params = {}) {
    const r = await api4(entity, 'getFields', { select: SELECT, loadOptions: true, ...params });
    return Object.fromEntries(r.values.map((f) => [f.name, f]));
  }

  test('getFields rows keep CiviCRM key order whatever the select order', async () => {
    const r = await api4('Email', 'getFields', { select: SELECT, where: [['name', '=', 'email']] });
    assert.deepEqual(Object.keys(r.values[0]),
      ['type', 'required', 'nullable', 'readonly', 'name', 'data_type', 'fk_entity', 'options', 'input_type']);
    const whole = await api4('Phone', 'getFields', { where: [['name', '=', 'phone']] });
    assert.deepEqual(Object.keys(whole.values[0]).slice(0, 12), ['default_value', 'type', 'entity', 'required',
      'nullable', 'required_if', 'permission', 'readonly', 'deprecated', 'name', 'title', 'description']);
    assert.equal(whole.values[0].column_name, 'phone');
    assert.equal(whole.values[0].serialize, null);
  });

  test('Contact: readonly, widgets, option lists, Extra links and filters', async () => {
    const by = await fieldsOf('Contact');
    assert.deepEqual([by.contact_type.readonly, by.contact_type.input_type], [true, 'Select']);
    assert.equal(by.image_URL.input_type, 'File');
    assert.deepEqual([by.primary_contact_id.readonly, by.primary_contact_id.input_type], [true, null]);
    assert.deepEqual(by.contact_sub_type.options, []);
    assert.deepEqual(by.preferred_mail_format.options, { Both: 'Both', HTML: 'HTML', Text: 'Text' });
    assert.deepEqual([by.api_key.readonly, by.api_key.input_type], [true, null]);
    assert.deepEqual([by.do_not_email.nullable, by.do_not_email.input_type, by.do_not_email.options],
      [false, 'CheckBox', false]);
    for (const link of ['address_primary', 'address_billing', 'email_primary', 'email_billing', 'phone_primary', 'phone_billing']) {
      assert.deepEqual([by[link].type, by[link].data_type, by[link].input_type], ['Extra', 'Integer', null], link);
    }
    assert.equal(by.email_billing.fk_entity, 'Email');
    assert.deepEqual([by.groups.type, by.groups.data_type, by.groups.fk_entity, by.groups.input_type],
      ['Filter', 'Array', null, 'Select']);
    assert.equal(by.tags.options['1'], 'Non-profit');
    // Filters are for get only.
    const create = await fieldsOf('Contact', { action: 'create' });
    assert.equal(create.groups, undefined);
    assert.equal(create.contact_type.readonly, false);  // set on create
  });

  test('Email, Phone, Address: location links, the hold flag, primary radios', async () => {
    const email = await fieldsOf('Email');
    assert.deepEqual([email.contact_id.required, email.contact_id.nullable, email.contact_id.fk_entity],
      [false, true, 'Contact']);
    assert.deepEqual([email.location_type_id.fk_entity, email.location_type_id.input_type], [null, 'Select']);
    assert.equal(email.location_type_id.options['1'], 'Home');
    assert.deepEqual([email.on_hold.data_type, email.on_hold.options], ['Integer', ['No', 'On Hold Bounce', 'On Hold Opt Out']]);
    assert.equal(email.is_primary.input_type, 'Radio');
    assert.deepEqual([email.hold_date.readonly, email.hold_date.input_type], [true, 'Date']);
    const phone = await fieldsOf('Phone');
    assert.deepEqual([phone.phone.required, phone.phone.nullable, phone.is_primary.input_type], [false, true, 'Radio']);
    const address = await fieldsOf('Address', { loadOptions: false });
    assert.deepEqual([address.country_id.input_type, address.country_id.fk_entity, address.country_id.options],
      ['Select', 'Country', true]);
    assert.equal(address.state_province_id.input_type, 'ChainSelect');
  });

  test('Group and Relationship: requirements, nesting links, permission radios', async () => {
    const group = await fieldsOf('Group');
    assert.deepEqual([group.name.required, group.name.nullable], [true, false]);
    assert.deepEqual([group.title.required, group.title.nullable], [false, false]);
    assert.deepEqual([group.frontend_title.required, group.frontend_title.nullable], [false, false]);
    assert.deepEqual([group.parents.fk_entity, group.parents.readonly, group.parents.input_type], ['Group', false, 'EntityRef']);
    assert.deepEqual([group.children.fk_entity, group.children.readonly, group.children.input_type], ['Group', true, 'EntityRef']);
    assert.deepEqual([group.saved_search_id.options, group.saved_search_id.input_type], [false, 'EntityRef']);
    const rel = await fieldsOf('Relationship');
    for (const f of ['contact_id_a', 'contact_id_b', 'relationship_type_id']) assert.equal(rel[f].required, true, f);
    assert.deepEqual(rel.is_permission_a_b.options, { 0: 'None', 2: 'View only', 1: 'View and update' });
    assert.equal(rel.is_permission_b_a.input_type, 'Radio');
    assert.deepEqual([rel.created_date.nullable, rel.created_date.readonly, rel.modified_date.readonly], [false, false, true]);
    assert.equal(rel.case_id, undefined);  // CiviCase is off in CiviCRM's default install
    const ids = (await api4('Relationship', 'getFields', { loadOptions: ['id', 'label'], select: ['options'],
      where: [['name', '=', 'is_permission_a_b']] })).values[0].options;
    assert.deepEqual(ids[0], { id: 0, label: 'None' });
  });

  test('a Boolean custom field has Yes/No options and labels', async () => {
    const group = (await api4('CustomGroup', 'create', {
      values: { title: 'Meta Bool Info', name: 'meta_bool_info', extends: 'Individual' },
    })).values[0];
    await api4('CustomField', 'create', {
      values: { custom_group_id: group.id, label: 'Member', name: 'member', data_type: 'Boolean', html_type: 'Radio' },
    });
    const [yes, no] = await makeContacts('Metabool', [{ first_name: 'Y', 'meta_bool_info.member': true },
      { first_name: 'N', 'meta_bool_info.member': false }]);
    const got = await api4('Contact', 'get', { select: ['meta_bool_info.member:label'], where: [['id', 'IN', [yes, no]]], orderBy: { id: 'ASC' } });
    assert.deepEqual(got.values.map((v) => v['meta_bool_info.member:label']), ['Yes', 'No']);
    const f = await api4('Contact', 'getFields', { loadOptions: true, where: [['name', '=', 'meta_bool_info.member']],
      select: ['type', 'options', 'input_type', 'nullable'] });
    assert.deepEqual(f.values[0], { type: 'Custom', nullable: true, options: { 1: 'Yes', 0: 'No' }, input_type: 'Radio' });
    await api4('CustomGroup', 'delete', { where: [['id', '=', group.id]] });
  });

  test('checkAccess answers by the action\'s permissions', async () => {
    const admin = await api4('Contact', 'checkAccess', { action: 'delete', values: { id: 1 } });
    assert.deepEqual(admin.values, [{ access: true }]);
    const viewer = await api4('Contact', 'checkAccess', { action: 'delete', values: { id: 1 } }, { headers: bearer('viewer') });
    assert.deepEqual(viewer.values, [{ access: false }]);
    const canGet = await api4('Contact', 'checkAccess', { action: 'get' }, { headers: bearer('viewer') });
    assert.deepEqual(canGet.values, [{ access: true }]);
    const missing = await api4Error('Contact', 'checkAccess', {}, 400);
    assert.match(missing.error_message, /action/);
    const actions = (await api4('Group', 'getActions', { select: ['name'] })).values.map((a) => a.name);
    assert.ok(actions.includes('checkAccess'));
  });
});
