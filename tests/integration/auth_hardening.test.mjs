// Authentication hardening (issue 18) through the real binary: password
// checks on a bounded pool of their own (a full queue answers 429 at once),
// an unknown name answered like a wrong password; failed credentials
// throttled per user name and per client address; durability setting;
// CORS preflights and origins, and CSRF on cookie-only writes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { kithForSuite, encodeParams, REST_PATH, AJAX_PATH } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';
const basic = (name, password) => 'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');

describe('password checks on their own bounded pool', () => {
  // One thread, one waiting check: a burst of password logins overflows it.
  // One I/O thread: a password check held there would hold every request.
  const kith = kithForSuite({
    threads: 1,
    settings: {
      password_threads: 1, password_queue: 1,
      failed_logins_per_name: 1000, failed_credentials_per_address: 1000,
    },
  });

  const v4Login = (name, password) =>
    kith.raw(`${API4}/Contact/get`, {
      method: 'POST',
      headers: { 'X-Civi-Auth': basic(name, password), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'params=' + encodeURIComponent('{"select":["id"],"limit":1}'),
    });

  test('a burst beyond the queue is answered 429 with Retry-After at once; the rest are checked', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => v4Login('admin', 'wrong')));
    const statuses = answers.map((r) => r.status);
    const busy = answers.filter((r) => r.status === 429);
    const checked = answers.filter((r) => r.status === 401);
    assert.equal(busy.length + checked.length, answers.length, statuses.join(','));
    assert.ok(busy.length >= 1, `no 429 among ${statuses}`);
    assert.ok(checked.length >= 2, `fewer than two checked among ${statuses}`);
    for (const r of busy) {
      assert.equal(r.headers.get('retry-after'), '1');
      const body = r.json();
      assert.equal(body.error_code, 429);
      assert.match(body.error_message, /try again/);
    }
    for (const r of checked) assert.equal(r.text, 'HTTP 401 Invalid credential');
    // Afterwards, the right password is checked and the call served.
    const ok = await v4Login('admin', kith.users.admin.password);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json().values.length, 1);
  });

  test('3.2 login over a full queue: its own error envelope; 429 when honest statuses are asked', async () => {
    const login = (honest) => kith.call(
      { q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: 'wrong', json: 1 },
      { headers: honest ? { 'X-Kith-Honest-Status': '1' } : {} });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(i % 2 === 0)));
    const busy = answers.filter((r) => r.json().error_message.includes('try again'));
    assert.ok(busy.length >= 1, answers.map((r) => r.text).join('\n'));
    for (const r of busy) {
      assert.equal(r.json().is_error, 1);
      assert.ok([200, 429].includes(r.status));
    }
    assert.ok(answers.some((r) => r.status === 429), 'an honest busy answer is 429');
    const wrong = answers.filter((r) => !r.json().error_message.includes('try again'));
    for (const r of wrong) {
      assert.equal(r.json().error_message, 'Could not authenticate user, invalid name or password.');
    }
  });

  test('an unknown name is answered exactly as a wrong password', async () => {
    const unknown = await v4Login('nobody-here', 'wrong');
    const wrong = await v4Login('admin', 'wrong');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.text, wrong.text);
    const v2 = async (name) =>
      (await kith.call({ q: 'civicrm/login', key: kith.siteKey, name, pass: 'wrong', json: 1 })).text;
    assert.equal(await v2('nobody-here'), await v2('admin'));
  });

  test('a keyed read is answered while password checks run (not after them)', async () => {
    const key = kith.users.admin.apiKey;
    let lastCheck = 0;
    let checked = 0;
    const flood = [];
    for (let i = 0; i < 2; ++i) {  // the second waits in the queue while the first runs
      flood.push(v4Login('admin', 'wrong').then((r) => {
        assert.ok([401, 429].includes(r.status), r.text);
        if (r.status === 401) {
          ++checked;
          lastCheck = performance.now();
        }
      }));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const read = await kith.raw(`${API4}/Contact/get`, {
      method: 'POST',
      headers: { 'X-Civi-Auth': `Bearer ${key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'params=' + encodeURIComponent('{"select":["id"],"limit":1}'),
    });
    const readDone = performance.now();
    assert.equal(read.status, 200, read.text);
    await Promise.all(flood);
    assert.ok(checked >= 1, 'no password was checked');
    assert.ok(readDone < lastCheck, 'the read waited for the password checks');
  });
});

// One HTTP request from a chosen loopback address (127.0.0.0/8 all reach
// the server), so that the server sees different clients.
function requestFrom(kith, localAddress, { method = 'GET', path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: kith.port, method, path, localAddress, headers, agent: false,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('throttling of failed credentials', () => {
  // 3 failed logins per name, 6 failed credentials per address, in 3 s.
  const kith = kithForSuite({
    settings: { failed_logins_per_name: 3, failed_credentials_per_address: 6, throttle_window_seconds: 3 },
  });
  const v4 = (from, auth) => requestFrom(kith, from, {
    method: 'POST',
    path: '/civicrm/ajax/api4/Contact/get',
    // The site key lets any role authenticate so (A.7's guard).
    headers: { 'X-Civi-Auth': auth, 'X-Civi-Key': kith.siteKey, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'params=' + encodeURIComponent('{"select":["id"],"limit":1}'),
  });
  const v2Login = (from, name, pass, headers = {}) => requestFrom(kith, from, {
    path: `${REST_PATH}?` + encodeParams({ q: 'civicrm/login', key: kith.siteKey, name, pass, json: 1 }),
    headers,
  });

  test('a name past its limit is refused unchecked with 429 and Retry-After; other names are not slowed', async () => {
    for (let i = 0; i < 3; ++i) {
      const r = await v4(`127.0.1.${i + 1}`, basic('editor', 'wrong'));  // spread over addresses
      assert.equal(r.status, 401, r.text);
    }
    const held = await v4('127.0.1.9', basic('editor', kith.users.editor.password));
    assert.equal(held.status, 429, held.text);
    const retry = Number(held.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 3, `Retry-After ${held.headers['retry-after']}`);
    assert.match(held.json().error_message, /^Too many failed attempts; try again in \d+ seconds\.$/);
    // 3.2: its own envelope, 200 unless honest statuses are asked for.
    const v2 = await v2Login('127.0.1.9', 'editor', kith.users.editor.password);
    assert.equal(v2.status, 200);
    assert.equal(v2.json().is_error, 1);
    assert.match(v2.json().error_message, /^Too many failed attempts/);
    const honest = await v2Login('127.0.1.9', 'editor', 'x', { 'X-Kith-Honest-Status': '1' });
    assert.equal(honest.status, 429);
    assert.ok(Number(honest.headers['retry-after']) >= 1);
    // Another user logs in at once, from the same addresses.
    const other = await v4('127.0.1.9', basic('admin', kith.users.admin.password));
    assert.equal(other.status, 200, other.text);
    // The window slides on: the name is let in again.
    await new Promise((resolve) => setTimeout(resolve, retry * 1000 + 100));
    const again = await v4('127.0.1.9', basic('editor', kith.users.editor.password));
    assert.equal(again.status, 200, again.text);
  });

  test("the real user's usual address is not locked out by someone else's guessing", async () => {
    const ok = await v2Login('127.0.2.1', 'viewer', kith.users.viewer.password);
    assert.equal(ok.json().is_error, 0, ok.text);
    for (let i = 0; i < 3; ++i) await v2Login(`127.0.2.${10 + i}`, 'viewer', 'guess');
    const guesser = await v2Login('127.0.2.13', 'viewer', kith.users.viewer.password);
    assert.match(guesser.json().error_message, /^Too many failed attempts/);
    const owner = await v2Login('127.0.2.1', 'viewer', kith.users.viewer.password);
    assert.equal(owner.json().is_error, 0, owner.text);
  });

  test('an address past its limit of wrong keys is refused, a good key too; other addresses are not', async () => {
    const key = (from, apiKey) => v4(from, `Bearer ${apiKey}`);
    for (let i = 0; i < 6; ++i) assert.equal((await key('127.0.3.1', `wrong-${i}`)).status, 401);
    const held = await key('127.0.3.1', kith.users.admin.apiKey);
    assert.equal(held.status, 429);
    assert.ok(Number(held.headers['retry-after']) >= 1);
    // APIv3 and 3.2 from there: their own envelopes.
    const v3 = await requestFrom(kith, '127.0.3.1', {
      path: `${REST_PATH}?` + encodeParams({ entity: 'Contact', action: 'get', key: kith.siteKey, api_key: kith.users.admin.apiKey, json: 1, version: 3 }),
    });
    assert.equal(v3.json().is_error, 1, v3.text);
    assert.match(v3.json().error_message, /^Too many failed attempts/);
    const elsewhere = await key('127.0.3.2', kith.users.admin.apiKey);
    assert.equal(elsewhere.status, 200, elsewhere.text);
  });
});

describe('durability setting', () => {
  const kith = kithForSuite({ settings: { durability: '"normal"' } });

  test('a server with durability = "normal" serves and keeps writes', async () => {
    const r = await kith.raw('/civicrm/ajax/api4/Contact/create', {
      method: 'POST',
      headers: { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'params=' + encodeURIComponent('{"values":{"contact_type":"Organization","organization_name":"Normal Sync"}}'),
    });
    assert.equal(r.status, 200, r.text);
    const id = r.json().values[0].id;
    const back = await kith.raw(`/civicrm/ajax/api4/Contact/get`, {
      method: 'POST',
      headers: { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'params=' + encodeURIComponent(JSON.stringify({ select: ['organization_name'], where: [['id', '=', id]] })),
    });
    assert.equal(back.json().values[0].organization_name, 'Normal Sync');
  });
});

describe('CORS and CSRF', () => {
  const ALLOWED = 'https://www.example.org';
  const kith = kithForSuite({ settings: { cors_origins: `["${ALLOWED}", "http://other.example"]` } });
  const preflight = (origin) => kith.raw('/civicrm/ajax/api4/Contact/get', {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'x-civi-auth, x-civi-key, x-requested-with, authorization, content-type',
    },
  });

  test('a preflight from an allowed origin is answered with the methods and CiviCRM headers', async () => {
    const r = await preflight(ALLOWED);
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(r.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
    const allowed = r.headers.get('access-control-allow-headers').toLowerCase().split(/, */);
    for (const h of ['x-civi-auth', 'x-civi-key', 'x-requested-with', 'authorization', 'content-type']) {
      assert.ok(allowed.includes(h), h);
    }
    assert.equal(r.headers.get('access-control-allow-credentials'), null);
    assert.equal(r.headers.get('vary'), 'Origin');
  });

  test('a preflight from any other origin is refused', async () => {
    const r = await preflight('https://evil.example');
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  test('an allowed origin is named in the answer; others are not', async () => {
    const get = (origin) => kith.raw('/civicrm/ajax/api4/Contact/get', {
      method: 'POST',
      headers: {
        Origin: origin, 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'params=' + encodeURIComponent('{"select":["id"],"limit":1}'),
    });
    const ok = await get(ALLOWED);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
    const other = await get('https://evil.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  test('a session cookie is never honoured from another origin', async () => {
    const login = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: kith.users.admin.password, json: 1 });
    const cookie = `PHPSESSID=${login.json().PHPSESSID}`;
    const read = (origin) => kith.raw(`${AJAX_PATH}?` + encodeParams({ entity: 'Contact', action: 'get', json: 1, sequential: 1 }), {
      headers: { cookie, 'X-Requested-With': 'XMLHttpRequest', ...(origin ? { Origin: origin } : {}) },
    });
    const same = await read(kith.baseUrl);
    assert.equal(same.status, 200);
    assert.equal(same.json().is_error, 0, same.text);
    for (const origin of [ALLOWED, 'https://evil.example', 'null']) {
      const cross = await read(origin);
      assert.notEqual(cross.status, 200, `${origin}: ${cross.text.slice(0, 200)}`);
    }
  });

  test('a 3.2 write on the browser path with only a session cookie needs POST and X-Requested-With', async () => {
    const login = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: kith.users.admin.password, json: 1 });
    const cookie = `PHPSESSID=${login.json().PHPSESSID}`;
    const add = { fnName: 'civicrm/contact/add', json: 1, contact_type: 'Household', household_name: 'CSRF House' };
    const forged = await kith.call(add, { path: AJAX_PATH, cookie });
    assert.equal(forged.json().is_error, 1);
    assert.match(forged.json().error_message, /^SECURITY ALERT/);
    const byGet = await kith.call(add, { path: AJAX_PATH, cookie, headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    assert.match(byGet.json().error_message, /must be http POST/);
    const script = await kith.call(add, { method: 'POST', path: AJAX_PATH, cookie, headers: { 'X-Requested-With': 'XMLHttpRequest' } });
    assert.equal(script.json().is_error, 0, script.text);
    // Reads stay as they were.
    const read = await kith.call({ fnName: 'civicrm/contact/search_count', json: 1 }, { path: AJAX_PATH, cookie });
    assert.equal(read.json().is_error, 0, read.text);
  });
});
