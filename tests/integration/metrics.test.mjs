// GET /metrics (Prometheus text format) and the access log (one JSON line
// per request) of a real `kith serve`: counters that move with the calls
// made, a format a Prometheus parser reads, the kith.toml settings metrics =
// "off" | "loopback" | "open" and access_log = "off" | "stderr" | PATH, and
// no secret in any log line.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces, tmpdir } from 'node:os';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import parsePrometheus from 'parse-prometheus-text-format';
import { startKith, kithForSuite, REST_PATH } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';
const kith = kithForSuite();

function bearer(role = 'admin') {
  return { 'X-Civi-Auth': `Bearer ${kith.users[role].apiKey}`, 'X-Civi-Key': kith.siteKey };
}

async function v4(entity, action, params = {}, headers = bearer()) {
  return kith.raw(`${API4}/${entity}/${action}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: `params=${encodeURIComponent(JSON.stringify(params))}`,
  });
}

function v3(params, role = 'admin') {
  return kith.call({ json: 1, key: kith.siteKey, api_key: kith.users[role].apiKey, ...params },
    { method: 'POST', path: REST_PATH });
}

// The text exposition format line by line (what a Prometheus server reads):
// comments, and `name{label="value",...} number`.
function assertExpositionFormat(text) {
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/;
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    assert.match(line, sample);
  }
}

async function scrape(server = kith) {
  const r = await server.raw('/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  assertExpositionFormat(r.text);
  const families = parsePrometheus(r.text);
  assert.ok(families.length >= 10, r.text);
  return { text: r.text, families };
}

// The value of the sample of `name` whose labels include `labels` (0 when none).
function value(families, name, labels = {}) {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `no metric ${name}`);
  let total = 0;
  for (const m of family.metrics) {
    if (Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v)) total += Number(m.value);
  }
  return total;
}

// The access log lines (JSON) a server has written to stderr so far.
async function logLines(server = kith) {
  await new Promise((r) => setTimeout(r, 400));  // the log is written a few times a second
  return server.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

describe('GET /metrics', () => {
  test('counts requests by protocol, entity, action and status', async () => {
    const before = (await scrape()).families;
    const created = await v4('Contact', 'create', { values: { contact_type: 'Individual', first_name: 'Metric' } });
    assert.equal(created.status, 200, created.text);
    for (let i = 0; i < 3; i++) assert.equal((await v4('Contact', 'get', { limit: 1 })).status, 200);
    assert.equal((await v3({ entity: 'Contact', action: 'get', rowCount: 1 })).status, 200);
    const v2 = await kith.call({ q: 'civicrm/contact/search', key: kith.siteKey, api_key: kith.users.admin.apiKey, json: 1 });
    assert.equal(v2.status, 200, v2.text);
    const after = (await scrape()).families;

    const moved = (labels) => value(after, 'kith_requests_total', labels) - value(before, 'kith_requests_total', labels);
    assert.equal(moved({ protocol: 'v4', entity: 'Contact', action: 'get', status: '200' }), 3);
    assert.equal(moved({ protocol: 'v4', entity: 'Contact', action: 'create', status: '200' }), 1);
    assert.equal(moved({ protocol: 'v3', entity: 'Contact', action: 'get', status: '200' }), 1);
    assert.equal(moved({ protocol: '3.2', status: '200' }), 1);
    // The scrape before this one counts too.
    assert.equal(moved({ protocol: 'other', status: '200' }), 1);

    // The latency histogram counts each request once.
    const histogram = after.find((f) => f.name === 'kith_request_duration_seconds');
    assert.equal(histogram.type, 'HISTOGRAM');
    const v4Requests = value(after, 'kith_requests_total', { protocol: 'v4' });
    assert.match((await kith.raw('/metrics')).text,
      new RegExp(`kith_request_duration_seconds_count\\{protocol="v4"\\} ${v4Requests}\\n`));
    assert.ok(value(after, 'kith_database_transactions_total', { protocol: 'v4' }) >=
      value(before, 'kith_database_transactions_total', { protocol: 'v4' }) + 4);
    assert.ok(value(after, 'kith_database_seconds_total', { protocol: 'v4' }) >
      value(before, 'kith_database_seconds_total', { protocol: 'v4' }));
    assert.ok(value(after, 'kith_open_connections') >= 1);
    assert.ok(value(after, 'process_resident_memory_bytes') > 1e6);
    assert.ok(value(after, 'kith_uptime_seconds') > 0);
    assert.ok(value(after, 'process_start_time_seconds') > 1.7e9);
  });

  test('counts errors, also those answered with HTTP 200, and never a name from the request as a label', async () => {
    const before = (await scrape()).families;
    const bad = await v4('Contact', 'get', {}, { 'X-Civi-Auth': 'Bearer not-a-key', 'X-Civi-Key': kith.siteKey });
    assert.equal(bad.status, 401);
    const unknown = await v4('NoSuchEntity_x1', 'get', {});
    assert.equal(unknown.status, 404);
    const v3error = await v3({ entity: 'Contact', action: 'create', contact_type: 'Nope' });
    assert.equal(v3error.status, 200);
    assert.equal(v3error.json().is_error, 1);
    const { text, families: after } = await scrape();
    const moved = (name, labels) => value(after, name, labels) - value(before, name, labels);
    assert.equal(moved('kith_request_errors_total', { protocol: 'v4', code: 'unauthenticated' }), 1);
    assert.equal(moved('kith_request_errors_total', { protocol: 'v4', code: 'not_found' }), 1);
    assert.equal(moved('kith_requests_total', { protocol: 'v4', entity: 'unknown', action: 'unknown', status: '404' }), 1);
    assert.ok(moved('kith_request_errors_total', { protocol: 'v3' }) >= 1);
    assert.ok(!text.includes('NoSuchEntity_x1'), 'a name from a request became a label');
  });

  test('is refused to other methods', async () => {
    assert.equal((await kith.raw('/metrics', { method: 'POST' })).status, 405);
  });
});

describe('the access log', () => {
  test('has one JSON line per request with its protocol, call, status, time and user', async () => {
    const marker = `Logged${Date.now()}`;
    const r = await v4('Contact', 'get', { where: [['last_name', '=', marker]] }, bearer('editor'));
    assert.equal(r.status, 200, r.text);
    const lines = await logLines();
    const line = lines.findLast((l) => l.protocol === 'v4' && l.action === 'get' && l.user_id !== undefined);
    assert.ok(line, JSON.stringify(lines.slice(-5)));
    assert.deepEqual(Object.keys(line).sort(),
      ['action', 'contact_id', 'db_ms', 'duration_ms', 'entity', 'method', 'path', 'protocol', 'remote', 'status', 'time', 'user_id']);
    assert.equal(line.entity, 'Contact');
    assert.equal(line.status, 200);
    assert.equal(line.method, 'POST');
    assert.equal(line.path, `${API4}/Contact/get`);
    assert.equal(line.contact_id, kith.users.editor.contactId);
    assert.equal(line.remote, '127.0.0.1');
    assert.ok(line.duration_ms > 0 && line.duration_ms >= line.db_ms, JSON.stringify(line));
    assert.ok(Math.abs(Date.parse(line.time) - Date.now()) < 60_000, line.time);
    assert.ok(lines.some((l) => l.status === 401 && l.error === 'unauthenticated'));
    // Health checks are not logged.
    await kith.healthz();
    assert.ok(!(await logLines()).some((l) => l.path === '/healthz'));
  });

  test('carries no key, password, session id or site key', async () => {
    const login = await kith.call({ q: 'civicrm/login', name: 'viewer', pass: kith.users.viewer.password, key: kith.siteKey, json: 1 },
      { method: 'POST', path: REST_PATH });
    const session = login.json().PHPSESSID;
    assert.ok(session, login.text);
    await kith.call({ q: 'civicrm/contact/search', json: 1 }, { cookie: `PHPSESSID=${session}`, path: '/civicrm/ajax/rest' });
    const basic = Buffer.from(`admin:${kith.users.admin.password}`).toString('base64');
    await kith.raw(`${API4}/Contact/get`, { method: 'POST', headers: { Authorization: `Basic ${basic}`, 'X-Civi-Key': kith.siteKey, 'X-Requested-With': 'XMLHttpRequest' } });
    await v3({ entity: 'Contact', action: 'get' }, 'viewer');
    const lines = await logLines();
    assert.ok(lines.length >= 4);
    const log = lines.map((l) => JSON.stringify(l)).join('\n');
    const secrets = { 'site key': kith.siteKey, session };
    for (const [name, user] of Object.entries(kith.users)) {
      secrets[`${name} api key`] = user.apiKey;
      secrets[`${name} password`] = user.password;
    }
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(!log.includes(secret), `the access log carries the ${what}`);
    }
    assert.ok(lines.some((l) => l.protocol === '3.2' && l.action === 'login' && l.status === 200));
  });
});

describe('kith.toml', () => {
  test('metrics = "off" serves no /metrics; access_log = PATH appends there and reopens on SIGHUP', async () => {
    const logDir = await mkdtemp(path.join(tmpdir(), 'kith-log-'));
    const logPath = path.join(logDir, 'access.log');
    const server = await startKith({ settings: { metrics: '"off"', access_log: JSON.stringify(logPath) } });
    try {
      assert.equal((await server.raw('/metrics')).status, 404);
      await new Promise((r) => setTimeout(r, 400));
      const first = (await readFile(logPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(first.some((l) => l.path === '/metrics' && l.status === 404), JSON.stringify(first));
      assert.ok(!server.stderr.includes('"path":'), 'lines went to stderr too');
      // Log rotation: the file moved away, SIGHUP, the next lines in a new file.
      await rename(logPath, `${logPath}.1`);
      server.child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      await server.raw('/no/such/path');
      await new Promise((r) => setTimeout(r, 400));
      assert.match(await readFile(logPath, 'utf8'), /"path":"\/no\/such\/path","status":404/);
      assert.ok(!(await readFile(`${logPath}.1`, 'utf8')).includes('/no/such/path'));
    } finally {
      await server.stop();
      await rm(logDir, { recursive: true, force: true });
    }
  });

  test('metrics = "loopback" refuses a client on another address; "open" serves it', async () => {
    const address = Object.values(networkInterfaces()).flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    for (const access of ['loopback', 'open']) {
      const server = await startKith({ listen: '0.0.0.0:0', settings: { metrics: `"${access}"`, access_log: '"off"' } });
      try {
        assert.equal((await server.raw('/metrics')).status, 200);  // from 127.0.0.1
        if (address === undefined) continue;  // no other address to call from
        const r = await fetch(`http://${address}:${server.port}/metrics`);
        const text = await r.text();
        assert.equal(r.status, access === 'open' ? 200 : 403, text);
        if (access === 'loopback') assert.match(text, /loopback clients only/);
        assert.equal(server.stderr.includes('"path"'), false);  // access_log = "off"
      } finally {
        await server.stop();
      }
    }
  });
});
