// Limits on one request, through the real server: every attack of the
// security review in a size that runs in seconds, each answered with a clear
// error in its protocol's envelope, and the server still answering /healthz
// afterwards. Then: no credential the suite used appears in the server's log.
//
// The server runs with small limits (kith.toml) so that the refusals come
// quickly; the defaults are in README "Configure".

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kithForSuite, REST_PATH } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const API4 = '/civicrm/ajax/api4';
const LIMITS = {
  max_parameters: 1000,
  max_chain_depth: 8,
  max_sub_calls: 200,
  max_multi_calls: 50,
  max_rows: 300,
  max_answer_bytes: 100000,
  max_where_conditions: 500,
  max_connections: 20,
};
const kith = kithForSuite({ settings: LIMITS });

function v3creds(role = 'admin') {
  return { key: kith.siteKey, api_key: kith.users[role].apiKey };
}

function v4headers(role = 'admin') {
  return { 'X-Civi-Auth': `Bearer ${kith.users[role].apiKey}`, 'X-Civi-Key': kith.siteKey };
}

// A v3 call with json= params, POSTed as a form to extern/rest.php.
async function v3(entity, action, params, { role = 'admin', headers = {} } = {}) {
  return kith.call({ entity, action, json: JSON.stringify(params), ...v3creds(role) },
    { method: 'POST', path: REST_PATH, headers });
}

// A v4 call: params JSON in a form body.
async function v4(entity, action, params, { role = 'admin' } = {}) {
  return kith.call({ params: JSON.stringify(params) },
    { method: 'POST', path: `${API4}/${entity}/${action}`, headers: v4headers(role) });
}

async function assertHealthy() {
  const r = await kith.healthz();
  assert.equal(r.status, 200);
  assert.equal(r.text, 'ok\n');
}

function nested(depth, leaf, wrap) {
  let text = leaf;
  for (let i = 0; i < depth; i++) text = wrap(text);
  return text;
}

describe('nesting', () => {
  test('a json= nested 100,000 deep is refused; the server lives', async () => {
    const deep = nested(100000, '1', (inner) => `{"a":${inner}}`);
    const r = await kith.call(`entity=Contact&action=get&json=${encodeURIComponent(deep)}&key=${kith.siteKey}&api_key=${kith.users.admin.apiKey}`,
      { method: 'POST', path: REST_PATH });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { error_message: 'json nests deeper than 64 levels', is_error: 1 });
    await assertHealthy();
  });

  test('honest statuses make it a 400', async () => {
    const deep = nested(1000, '1', (inner) => `[${inner}]`);
    const bad = await kith.call({ entity: 'Contact', action: 'get', json: `{"a":${deep}}`, ...v3creds() },
      { method: 'POST', path: REST_PATH, headers: { 'X-Kith-Honest-Status': '1' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error_message, /nests deeper than 64 levels/);
  });

  test('APIv4 params and bracket names nested 100,000 deep', async () => {
    const deep = nested(100000, '1', (inner) => `[${inner}]`);
    const r = await kith.call({ params: `{"where":${deep}}` },
      { method: 'POST', path: `${API4}/Contact/get`, headers: v4headers() });
    assert.equal(r.status, 400);
    assert.equal(r.json().error_message, 'params nests deeper than 64 levels');

    const brackets = `entity=Contact&action=get&json=1&a${'[k]'.repeat(100000)}=1&key=${kith.siteKey}&api_key=${kith.users.admin.apiKey}`;
    const b = await kith.call(brackets, { method: 'POST', path: REST_PATH });
    assert.equal(b.json().is_error, 1);
    assert.match(b.json().error_message, /nests deeper than 64 levels/);
    await assertHealthy();
  });
});

describe('chains', () => {
  test('an APIv3 chain of Contact.get 30 deep, with a viewer key, is refused at once', async () => {
    let params = { sequential: 1 };
    for (let i = 0; i < 30; i++) params = { 'api.Contact.get': params };
    const started = Date.now();
    const r = await v3('Contact', 'get', params, { role: 'viewer' });
    assert.equal(r.status, 200);
    const body = r.json();
    assert.equal(body.is_error, 1, r.text);
    assert.match(body.error_message, /Chained calls may nest at most 8 levels deep/);
    assert.ok(Date.now() - started < 10000);
    await assertHealthy();
  });

  test('an APIv3 chain within the depth still answers', async () => {
    const r = await v3('Contact', 'get', { id: kith.users.viewer.contactId, 'api.Contact.get': { 'api.Email.get': {} } }, { role: 'viewer' });
    const body = r.json();
    assert.equal(body.is_error, 0, r.text);
    assert.equal(body.count, 1);
  });

  // The attack: every contact's row chains a Contact.get of every contact,
  // 7 deep (6 contacts: 6^8 calls). Here 2 chains a row, one row a call.
  test('an APIv4 chain 2 wide and 7 deep stops at the sub-call limit with 413', async () => {
    let chain = {};
    for (let level = 0; level < 7; level++) {
      const next = {};
      for (let i = 0; i < 2; i++) next[`c${i}`] = ['Contact', 'get', { limit: 1, chain }];
      chain = next;
    }
    const started = Date.now();
    const r = await v4('Contact', 'get', { limit: 1, chain });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json().error_message, 'The request would run more than 200 API calls (chained calls included)');
    assert.ok(Date.now() - started < 20000);
    await assertHealthy();
  });

  test('an APIv4 chain whose rows grow past max_rows is refused with 413', async () => {
    let chain = {};
    for (let level = 0; level < 5; level++) chain = { c: ['Contact', 'get', { select: ['id'], chain }] };
    const r = await v4('Contact', 'get', { select: ['id'], chain });
    assert.equal(r.status, 413, r.text);
    assert.equal(r.json().error_message, 'The answer would hold more than 300 rows (chained rows included)');
  });
});

describe('multi-calls and answer size', () => {
  test('500 APIv4 calls in one request are refused before any runs', async () => {
    const calls = {};
    for (let i = 0; i < 500; i++) calls[`c${i}`] = ['Contact', 'get', { limit: 1 }];
    const r = await kith.call({ calls: JSON.stringify(calls) }, { method: 'POST', path: API4, headers: v4headers() });
    assert.equal(r.status, 413);
    assert.equal(r.json().error_message, 'calls may hold at most 50 calls');
  });

  test('500 APIv3 api3 calls are refused', async () => {
    const calls = {};
    for (let i = 0; i < 500; i++) calls[`c${i}`] = ['Contact', 'get', { sequential: 1 }];
    const r = await kith.call({ entity: 'api3', action: 'call', json: JSON.stringify(calls), ...v3creds() },
      { method: 'POST', path: REST_PATH });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { error_message: 'An api3 request may hold at most 50 calls', is_error: 1 });
  });

  test('an answer over max_answer_bytes becomes a 413', async () => {
    const calls = {};
    for (let i = 0; i < 50; i++) calls[`c${i}`] = ['Contact', 'get', {}];
    const r = await kith.call({ calls: JSON.stringify(calls) }, { method: 'POST', path: API4, headers: v4headers() });
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(r.json().error_message, 'The answer would be larger than 100000 bytes');
    const small = await v4('Contact', 'get', { limit: 1 });
    assert.equal(small.status, 200);
  });
});

describe('parameters', () => {
  test('100,000 distinct parameters are refused quickly', async () => {
    const pairs = [];
    for (let i = 0; i < 100000; i++) pairs.push(`p${i}=${i}`);
    const body = `entity=Contact&action=get&json=1&key=${kith.siteKey}&api_key=${kith.users.admin.apiKey}&${pairs.join('&')}`;
    const started = Date.now();
    const r = await kith.call(body, { method: 'POST', path: REST_PATH });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { error_message: 'The request has more than 1000 parameters', is_error: 1 });
    const v4r = await kith.call(pairs.join('&'), { method: 'POST', path: `${API4}/Contact/get`, headers: v4headers() });
    assert.equal(v4r.status, 413);
    assert.equal(v4r.json().error_message, 'The request has more than 1000 parameters');
    assert.ok(Date.now() - started < 10000);
    await assertHealthy();
  });

  test('an APIv4 where of 1,000 conditions is a 400; 500 are answered', async () => {
    const where = (n) => Array.from({ length: n }, () => ['id', '>', 0]);
    const many = await v4('Contact', 'get', { where: where(1000), select: ['id'] });
    assert.equal(many.status, 400, many.text);
    assert.equal(many.json().error_message, 'where may hold at most 500 conditions');
    const nestedOr = await v4('Contact', 'get', { where: [['OR', where(600)]], select: ['id'] });
    assert.equal(nestedOr.status, 400);
    const fine = await v4('Contact', 'get', { where: where(500), select: ['id'] });
    assert.equal(fine.status, 200, fine.text);
    assert.ok(fine.json().count >= 3);
  });
});

describe('connections', () => {
  test('idle connections and slowloris clients past max_connections do not stall others', async () => {
    const script = path.resolve(here, '../../scripts/idle-connections.mjs');
    const child = spawn(process.execPath, [script, '--url', kith.baseUrl, '--idle', '60', '--slow', '5',
      '--seconds', '2', '--max-wait', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    const report = JSON.parse(out.trim().split('\n').pop());
    assert.ok(report.closed_by_server >= 40, out);  // the oldest idle ones were closed
    assert.ok(report.requests > 0 && report.failures === 0, out);
    await assertHealthy();
  });
});

describe('the log', () => {
  test('carries no key, password, session id or site key', async () => {
    // A login (session id), failed logins and calls with every credential kind.
    const login = await kith.call({ q: 'civicrm/login', name: 'viewer', pass: kith.users.viewer.password, key: kith.siteKey, json: 1 },
      { method: 'POST', path: REST_PATH });
    const session = login.json().PHPSESSID;
    assert.ok(session, login.text);
    await kith.call({ q: 'civicrm/login', name: 'viewer', pass: 'wrong-Pass-9', key: kith.siteKey, json: 1 }, { method: 'POST', path: REST_PATH });
    await kith.raw(`${API4}/Contact/get`, { method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`admin:${kith.users.admin.password}`).toString('base64')}`, 'X-Civi-Key': kith.siteKey, 'X-Requested-With': 'XMLHttpRequest' } });
    await kith.call({ entity: 'Contact', action: 'nosuch', json: 1, ...v3creds('editor') }, { method: 'POST', path: REST_PATH });
    await v4('Contact', 'create', { values: { contact_type: 'Nope' } }, { role: 'editor' });
    await new Promise((r) => setTimeout(r, 200));
    const log = kith.stderr + kith.stdout;
    const secrets = { site_key: kith.siteKey, session };
    for (const [name, user] of Object.entries(kith.users)) {
      secrets[`${name} api key`] = user.apiKey;
      secrets[`${name} password`] = user.password;
    }
    secrets['wrong password'] = 'wrong-Pass-9';
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(!log.includes(secret), `the log carries the ${what}:\n${log}`);
    }
  });
});
