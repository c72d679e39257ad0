// A request's time, through the real server: a request still working after
// max_request_seconds is stopped with a clear error in its protocol's
// envelope, and a request whose client has gone stops working, so that the
// server's one thread is free for the next client.
//
// The work: chains that would run for minutes (every contact's row chains a
// Contact.get of every contact, 7 levels deep), with the sub-call, row and
// answer limits out of the way so that only time or the client stops them.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startKith, REST_PATH } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';
const UNBOUNDED = {
  max_chain_depth: 8,
  max_sub_calls: 100000000,
  max_rows: 100000000,
  max_answer_bytes: 1000000000,
};
// Two servers, started one after the other (they share the harness's
// PostgreSQL template). One thread each: a request that went on working
// would hold every later one.
let timed;
let patient;
before(async () => {
  timed = await startKith({ settings: { ...UNBOUNDED, max_request_seconds: 1 }, threads: 1 });
  patient = await startKith({ settings: { ...UNBOUNDED, max_request_seconds: 3600 }, threads: 1 });
});
after(async () => {
  for (const server of [timed, patient]) {
    if (!server) continue;
    const exit = await server.stop();
    assert.equal(exit.code, 0, `kith serve exited with ${JSON.stringify(exit)}; stderr: ${server.stderr}`);
  }
});

function v4headers(kith) {
  return { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'X-Civi-Key': kith.siteKey };
}

// Six contacts (three users' and three more), so that a chain level of
// Contact.get multiplies the calls by six.
async function sixContacts(kith) {
  for (const name of ['Ada', 'Grace', 'Edsger']) {
    const r = await kith.call({ params: JSON.stringify({ values: { contact_type: 'Individual', first_name: name } }) },
      { method: 'POST', path: `${API4}/Contact/create`, headers: v4headers(kith) });
    assert.equal(r.status, 200, r.text);
  }
}

// APIv4 params: every row chains a get of every contact, `depth` levels.
function v4Chain(depth) {
  let chain = {};
  for (let level = 0; level < depth; level++) chain = { c: ['Contact', 'get', { select: ['id'], chain }] };
  return { select: ['id'], chain };
}

// APIv3 params: the same with api.Contact.get.
function v3Chain(depth) {
  let params = { return: 'id' };
  for (let level = 0; level < depth; level++) params = { return: 'id', 'api.Contact.get': params };
  return params;
}

// A request sent on a connection of its own and abandoned (the socket
// destroyed) once the server has read it.
function abandon(kith, urlPath, body, headers) {
  return new Promise((resolve) => {
    const req = http.request(`${kith.baseUrl}${urlPath}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', () => {});
    req.end(body, () => setTimeout(() => { req.destroy(); resolve(); }, 500));
  });
}

describe('max_request_seconds', () => {
  test('an APIv4 chain past the time is stopped with 503 and a clear error', async () => {
    await sixContacts(timed);
    const r = await timed.call({ params: JSON.stringify(v4Chain(7)) },
      { method: 'POST', path: `${API4}/Contact/get`, headers: v4headers(timed) });
    const body = r.json();
    assert.equal(body.error_message, 'The request took longer than 1 seconds and was stopped', r.text);
    assert.equal(r.status, 503, r.text);
    const after = await timed.healthz();
    assert.equal(after.status, 200);
  });

  test('an APIv3 chain past the time is stopped in the APIv3 envelope', async () => {
    const r = await timed.call({ entity: 'Contact', action: 'get', json: JSON.stringify(v3Chain(7)),
      key: timed.siteKey, api_key: timed.users.admin.apiKey }, { method: 'POST', path: REST_PATH });
    const body = r.json();
    assert.equal(body.is_error, 1, r.text);
    // Each chain level names its call before the cause, as CiviCRM does.
    assert.match(body.error_message, /^(Error in call to Contact_get : )*The request took longer than 1 seconds and was stopped$/);
  });

  test('a request within the time is answered', async () => {
    const r = await timed.call({ params: JSON.stringify(v4Chain(1)) },
      { method: 'POST', path: `${API4}/Contact/get`, headers: v4headers(timed) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().values.length, 6);
  });
});

describe('a client that goes away', () => {
  test('its work stops: the one thread answers the next requests', async () => {
    await sixContacts(patient);
    // Each of these would run for minutes on the server's only thread.
    await abandon(patient, `${API4}/Contact/get`, `params=${encodeURIComponent(JSON.stringify(v4Chain(7)))}`,
      v4headers(patient));
    const v3Body = new URLSearchParams({ entity: 'Contact', action: 'get', json: JSON.stringify(v3Chain(7)),
      key: patient.siteKey, api_key: patient.users.admin.apiKey }).toString();
    await abandon(patient, REST_PATH, v3Body, {});
    // The next client is answered (long before the abandoned work would end).
    const r = await patient.raw(`${API4}/Contact/get`, {
      method: 'POST',
      headers: { ...v4headers(patient), 'content-type': 'application/x-www-form-urlencoded' },
      body: `params=${encodeURIComponent(JSON.stringify({ select: ['id'] }))}`,
      signal: AbortSignal.timeout(60_000),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json().values.length, 6);
    const health = await patient.raw('/healthz', { signal: AbortSignal.timeout(60_000) });
    assert.equal(health.status, 200);
  });
});
