// TLS and proxies (issue 18 item 4) through the real binary: `kith serve
// --tls-cert --tls-key` with a certificate this test makes (openssl CLI);
// each protocol over HTTPS, TLS 1.1 and old ciphers refused (a control server
// that accepts them shows the client really offers them), keep-alive and
// connection eviction kept; credentials over plain HTTP refused unless from
// loopback or a trusted proxy that says its client used HTTPS, and the
// credential throttle counting the forwarded client only from such a proxy.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import https from 'node:https';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kithForSuite, httpsFetch, REST_PATH } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';

// A self-signed certificate for 127.0.0.1 (its own authority).
const certDir = mkdtempSync(path.join(tmpdir(), 'kith-tls-'));
const certFiles = { cert: path.join(certDir, 'cert.pem'), key: path.join(certDir, 'key.pem') };
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '-keyout', certFiles.key, '-out', certFiles.cert,
], { stdio: ['ignore', 'ignore', 'pipe'] });
after(() => rmSync(certDir, { recursive: true, force: true }));
const TLS = { ...certFiles, ca: certFiles.cert };
const CA = readFileSync(certFiles.cert);

// The three protocols' "get one contact" with user `who`'s api key.
function v4Get(kith, who, headers = {}) {
  return kith.raw(`${API4}/Contact/get`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users[who].apiKey}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: 'params=' + encodeURIComponent('{"select":["id"],"limit":1}'),
  });
}
function v3Get(kith, who, headers = {}) {
  return kith.call({ entity: 'Contact', action: 'get', key: kith.siteKey, api_key: kith.users[who].apiKey, json: 1, options: { limit: 1 } },
    { headers });
}
function v2Get(kith, who, headers = {}) {
  return kith.call({ q: 'civicrm/contact/get', key: kith.siteKey, api_key: kith.users[who].apiKey, json: 1, rowCount: 1 },
    { headers });
}

// TLS handshake outcome with `options`: 'ok' with the version, or the error.
function handshake(port, options) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: CA, servername: undefined, ...options }, () => {
      const version = socket.getProtocol();
      socket.end();
      resolve({ ok: true, version });
    });
    socket.on('error', (err) => resolve({ ok: false, error: err.code || err.message }));
  });
}

// What a TLS 1.1 (or old-cipher) client needs to be allowed to offer at all.
const OLD_CLIENT = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };
const CBC_CLIENT = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0' };

describe('kith serve over HTTPS', () => {
  const kith = kithForSuite({ tls: TLS, settings: { max_connections: 4 } });

  test('each protocol answers over HTTPS with an api key', async () => {
    assert.match(kith.baseUrl, /^https:/);
    const v4 = await v4Get(kith, 'viewer');
    assert.equal(v4.status, 200, v4.text);
    assert.equal(v4.json().values.length, 1);
    const v3 = await v3Get(kith, 'viewer');
    assert.equal(v3.status, 200);
    assert.equal(v3.json().is_error, 0, v3.text);
    const v2 = await v2Get(kith, 'viewer');
    assert.ok(Array.isArray(v2.json()), v2.text);  // 3.2 answers a get with its rows
    // A 3.2 login (a password) over HTTPS.
    const login = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: kith.users.admin.password, json: 1 });
    assert.equal(login.json().is_error, 0, login.text);
  });

  test('TLS 1.2 and 1.3 are served; TLS 1.1 and a CBC cipher are refused', async () => {
    const modern = await handshake(kith.port, {});
    assert.deepEqual(modern, { ok: true, version: 'TLSv1.3' });
    const tls12 = await handshake(kith.port, { maxVersion: 'TLSv1.2' });
    assert.deepEqual(tls12, { ok: true, version: 'TLSv1.2' });
    // The control: a server that allows them shows the client offers them.
    const control = tls.createServer({ key: readFileSync(TLS.key), cert: CA, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      (s) => s.end());
    await new Promise((r) => control.listen(0, '127.0.0.1', r));
    try {
      assert.deepEqual(await handshake(control.address().port, OLD_CLIENT), { ok: true, version: 'TLSv1.1' });
      assert.deepEqual(await handshake(control.address().port, CBC_CLIENT), { ok: true, version: 'TLSv1.2' });
    } finally {
      control.close();
    }
    const old = await handshake(kith.port, OLD_CLIENT);
    assert.equal(old.ok, false, 'TLS 1.1 was accepted');
    const cbc = await handshake(kith.port, CBC_CLIENT);
    assert.equal(cbc.ok, false, 'a CBC cipher was accepted');
    // Plain HTTP to the TLS port gets no answer in the clear.
    const plain = await fetch(`http://127.0.0.1:${kith.port}/healthz`).then((r) => r.status, (e) => e.cause?.code || 'error');
    assert.notEqual(plain, 200);
  });

  test('keep-alive: two requests share one TLS connection', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await httpsFetch(`${kith.baseUrl}/healthz`, {}, CA, { agent });
      await first.text();
      const second = await httpsFetch(`${kith.baseUrl}/healthz`, {}, CA, { agent });
      assert.equal(first.status, 200);
      assert.equal(second.status, 200);
      assert.ok(first.localPort > 0);
      assert.equal(first.localPort, second.localPort, 'a new connection for the second request');
    } finally {
      agent.destroy();
    }
  });

  test('clients that never shake hands do not hold the connection slots', async () => {
    // max_connections = 4: six silent TCP connections, then a real request.
    const silent = [];
    const closed = [];
    for (let i = 0; i < 6; i++) {
      const s = net.connect(kith.port, '127.0.0.1');
      s.on('error', () => {});
      closed.push(new Promise((r) => s.once('close', r)));
      await new Promise((r) => s.once('connect', r));
      silent.push(s);
    }
    try {
      // On a new connection (an idle keep-alive one may have been closed for room).
      const r = await httpsFetch(`${kith.baseUrl}/healthz`, {}, CA, { agent: false });
      assert.equal(r.status, 200, await r.text());
      // The oldest silent ones were closed to make room.
      await Promise.race([closed[0], new Promise((_, j) => setTimeout(() => j(new Error('the oldest silent connection was not closed')), 5000))]);
    } finally {
      for (const s of silent) s.destroy();
    }
  });
});

describe('TLS files that do not work stop kith serve with a clear error', () => {
  test('a missing key file', async () => {
    const { startKith } = await import('./harness.mjs');
    await assert.rejects(startKith({ tls: { ...TLS, key: path.join(certDir, 'missing.pem') } }),
      /cannot read the TLS private key .*missing\.pem/);
  });
});

// Refusals in each protocol's envelope, from a client at `address` as a
// proxy on loopback forwards it.
async function assertRefusedEverywhere(kith, headers) {
  const v4 = await v4Get(kith, 'viewer', headers);
  assert.equal(v4.status, 403, v4.text);
  assert.match(v4.json().error_message, /plain HTTP/);
  const v3 = await v3Get(kith, 'viewer', headers);
  assert.equal(v3.status, 200, 'CiviCRM-style status without honest statuses');
  assert.equal(v3.json().is_error, 1);
  assert.match(v3.json().error_message, /plain HTTP/);
  const v3Honest = await v3Get(kith, 'viewer', { ...headers, 'X-Kith-Honest-Status': '1' });
  assert.equal(v3Honest.status, 403);
  const v2 = await v2Get(kith, 'viewer', { ...headers, 'X-Kith-Honest-Status': '1' });
  assert.equal(v2.status, 403);
  assert.match(v2.json().error_message, /plain HTTP/);
  const login = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: kith.users.admin.password, json: 1 }, { headers });
  assert.equal(login.json().is_error, 1, login.text);
  assert.match(login.json().error_message, /plain HTTP/);
  // A request without credentials is still answered.
  const ping = await kith.call({ q: 'civicrm/ping', key: kith.siteKey, json: 1 }, { headers });
  assert.equal(ping.json().is_error, 0, ping.text);
}

async function assertServedEverywhere(kith, headers) {
  const v4 = await v4Get(kith, 'viewer', headers);
  assert.equal(v4.status, 200, v4.text);
  assert.equal((await v3Get(kith, 'viewer', headers)).json().is_error, 0);
  const v2 = await v2Get(kith, 'viewer', headers);
  assert.ok(Array.isArray(v2.json()), v2.text);
}

const wrongKey = (kith, headers) => kith.raw(`${API4}/Contact/get`, {
  method: 'POST',
  headers: { 'X-Civi-Auth': 'Bearer wrong-key-0123456789', 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
  body: 'params={}',
});

describe('loopback configured as a trusted proxy', () => {
  const kith = kithForSuite({
    settings: { trusted_proxies: '["10.9.9.9", "127.0.0.0/8"]', failed_credentials_per_address: 3, throttle_window_seconds: 60 },
  });

  test('a forwarded client on plain HTTP: credentials refused in every protocol', async () => {
    await assertRefusedEverywhere(kith, { 'X-Forwarded-For': '203.0.113.7' });
    await assertRefusedEverywhere(kith, { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'http' });
    // The right-most untrusted hop is the client, whatever it claims before.
    await assertRefusedEverywhere(kith, { 'X-Forwarded-For': '127.0.0.1, 203.0.113.7, 10.9.9.9' });
  });

  test('a forwarded client on HTTPS, or the proxy itself: served', async () => {
    await assertServedEverywhere(kith, { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' });
    await assertServedEverywhere(kith, {});
  });

  test('the credential throttle counts the forwarded client, not the proxy', async () => {
    const from = (ip) => ({ 'X-Forwarded-For': ip, 'X-Forwarded-Proto': 'https' });
    for (let i = 0; i < 3; i++) assert.equal((await wrongKey(kith, from('198.51.100.1'))).status, 401);
    assert.equal((await wrongKey(kith, from('198.51.100.1'))).status, 429);
    const other = await v4Get(kith, 'viewer', from('198.51.100.2'));
    assert.equal(other.status, 200, `another client behind the same proxy was throttled: ${other.text}`);
  });
});

describe('loopback not a trusted proxy (the default)', () => {
  const kith = kithForSuite({ settings: { failed_credentials_per_address: 3, throttle_window_seconds: 60 } });

  test('X-Forwarded-For and -Proto are ignored: a loopback client is served', async () => {
    await assertServedEverywhere(kith, { 'X-Forwarded-For': '203.0.113.7' });
  });

  test('the throttle counts the peer, whatever X-Forwarded-For says', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await wrongKey(kith, { 'X-Forwarded-For': `198.51.100.${10 + i}` })).status, 401);
    }
    const r = await v4Get(kith, 'viewer', { 'X-Forwarded-For': '198.51.100.99', 'X-Forwarded-Proto': 'https' });
    assert.equal(r.status, 429, r.text);
  });
});

describe('require_secure_credentials = false', () => {
  const kith = kithForSuite({ settings: { trusted_proxies: '["127.0.0.1"]', require_secure_credentials: 'false' } });

  test('a forwarded client on plain HTTP is served', async () => {
    await assertServedEverywhere(kith, { 'X-Forwarded-For': '203.0.113.7' });
  });
});
