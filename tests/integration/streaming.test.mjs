// Large APIv4 answers through the real server: a save of 10,000 records in
// one call, then gets of those records that are longer than one page (1,000
// rows), which the server streams (chunked) while it reads them page by page
// in one read transaction. The streamed answer must be the answer built
// whole: the same rows as the same get read in pages of 1,000 (answered
// whole), byte for byte; its framing must be HTTP/1.1 chunks ending in the
// last chunk; a client that stops reading and goes away must leave the
// server answering and its memory flat; max_rows still bounds the rows.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { kithForSuite, PG_URL } from './harness.mjs';

// Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
// default) that counts in RSS; kept small for the server this file starts,
// RSS measures what kith holds rather than what ASan holds back.
process.env.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=8'].filter(Boolean).join(':');

const API4 = '/civicrm/ajax/api4';
// On PostgreSQL every write is a round trip: 10,000 records under the
// sanitizers take minutes there, so that store saves 2,500 (still 3 pages).
const RECORDS = PG_URL ? 2500 : 10000;
// Every record saved, and a few contacts more (the users'): the bound of
// rows per answer lies between the two.
// The time limit is raised out of the way of the sanitizers on a loaded machine.
const kith = kithForSuite({ settings: { max_rows: RECORDS, max_request_seconds: 600 } });

function v4headers() {
  return { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'X-Civi-Key': kith.siteKey };
}

async function v4raw(entity, action, params) {
  return kith.call({ params: JSON.stringify(params) },
    { method: 'POST', path: `${API4}/${entity}/${action}`, headers: v4headers() });
}

const SAVED = { where: [['source', '=', 'stream-test']], select: ['*'] };

// The text of an answer's "values" list, as the server wrote it.
function valuesText(body) {
  assert.ok(body.startsWith('{"values":['), body.slice(0, 80));
  const end = body.lastIndexOf('],"entity":');
  assert.ok(end > 0);
  return body.slice('{"values":['.length, end);
}

// The request as raw HTTP/1.1 over a socket, for reading the framing itself.
function rawRequest(entity, action, params) {
  const body = `params=${encodeURIComponent(JSON.stringify(params))}`;
  const headers = Object.entries(v4headers()).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST ${API4}/${entity}/${action} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}` +
    'Content-Type: application/x-www-form-urlencoded\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}


function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

describe('large APIv4 answers', () => {
  test(`a save of ${RECORDS} records in one call`, async () => {
    const records = [];
    for (let i = 0; i < RECORDS; i++) {
      records.push({ contact_type: 'Individual', first_name: `Bulk${i}`, last_name: 'Stream',
        source: 'stream-test' });
    }
    const r = await v4raw('Contact', 'save', { records, defaults: {} });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const saved = r.json();
    assert.equal(saved.count, RECORDS);
    assert.equal(saved.values.length, RECORDS);
    assert.equal(saved.values[RECORDS - 1].first_name, `Bulk${RECORDS - 1}`);
    const count = (await v4raw('Contact', 'get', { ...SAVED, select: ['row_count'] })).json();
    assert.equal(count.count, RECORDS);
  });

  test('a get of more than a page is streamed and equals the same get read in pages', async () => {
    const r = await v4raw('Contact', 'get', { ...SAVED, limit: 0 });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    assert.equal(r.headers.get('content-length'), null);
    const whole = r.json();
    assert.equal(whole.count, RECORDS);
    assert.equal(whole.countFetched, RECORDS);
    assert.equal(whole.values.length, RECORDS);
    assert.deepEqual(Object.keys(whole), ['values', 'entity', 'action', 'debug', 'version', 'count', 'countFetched']);

    const pages = [];
    for (let offset = 0; offset < RECORDS; offset += 1000) {
      const page = await v4raw('Contact', 'get', { ...SAVED, limit: 1000, offset });
      assert.equal(page.status, 200);
      assert.notEqual(page.headers.get('content-length'), null);  // one page: answered whole
      pages.push(valuesText(page.text));
    }
    assert.equal(valuesText(r.text), pages.join(','));
    // Every record once, in id order.
    const ids = whole.values.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, RECORDS);
  });

  test('limit and offset over several pages', async () => {
    const limit = Math.min(2500, RECORDS - 800);
    const r = await v4raw('Contact', 'get', { ...SAVED, select: ['id', 'first_name'], limit, offset: 700,
      orderBy: { id: 'ASC' } });
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    const got = r.json();
    assert.equal(got.values.length, limit);
    assert.equal(got.count, limit);
    assert.equal(got.values[0].first_name, 'Bulk700');
    assert.equal(got.values[limit - 1].first_name, `Bulk${700 + limit - 1}`);
    assert.deepEqual(Object.keys(got.values[0]), ['id', 'first_name']);
  });

  test('the answer goes out as HTTP/1.1 chunks ending in the last chunk', async () => {
    const params = { ...SAVED, select: ['id', 'display_name'], limit: 1500 };
    const expected = (await v4raw('Contact', 'get', params)).text;
    const raw = await new Promise((resolve, reject) => {
      const chunks = [];
      const socket = net.connect(kith.port, '127.0.0.1', () => socket.write(rawRequest('Contact', 'get', params)));
      socket.on('data', (d) => chunks.push(d));
      socket.on('end', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    });
    const headEnd = raw.indexOf('\r\n\r\n');
    const head = raw.subarray(0, headEnd).toString('latin1').toLowerCase();
    assert.match(head, /\r\ntransfer-encoding: chunked/);
    assert.doesNotMatch(head, /content-length/);
    let at = headEnd + 4;
    const parts = [];
    let sizes = 0;
    for (;;) {
      const lineEnd = raw.indexOf('\r\n', at);
      const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
      assert.ok(Number.isInteger(size), `chunk size at ${at}`);
      at = lineEnd + 2;
      if (size === 0) break;
      parts.push(raw.subarray(at, at + size));
      at += size;
      assert.equal(raw.subarray(at, at + 2).toString('latin1'), '\r\n');
      at += 2;
      sizes++;
    }
    assert.equal(raw.subarray(at).toString('latin1'), '\r\n');  // the last chunk's end, nothing after
    assert.ok(sizes >= 2, `${sizes} chunks`);
    assert.equal(Buffer.concat(parts).toString('utf8'), expected);
  });

  test('a client that stops reading, then goes, leaves the server answering and its memory flat', async () => {
    const params = { ...SAVED, limit: 0 };
    await v4raw('Contact', 'get', params);  // warm: the first big answer's memory is the baseline
    const before = rssKiB(kith.child.pid);
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => {
        const socket = net.connect(kith.port, '127.0.0.1', () => socket.write(rawRequest('Contact', 'get', params)));
        socket.once('data', () => {
          socket.pause();  // reads nothing more
          setTimeout(() => { socket.destroy(); resolve(); }, 500);
        });
      });
    }
    const health = await kith.healthz();
    assert.equal(health.status, 200);
    const again = await v4raw('Contact', 'get', params);
    assert.equal(again.json().values.length, RECORDS);
    const after = rssKiB(kith.child.pid);
    // Flat: not three more answers' worth (a whole answer is some 10 MiB,
    // its values tree several times that); room for the allocator's slack.
    assert.ok(after - before < 48 * 1024, `RSS grew ${after - before} KiB`);
    assert.doesNotMatch(kith.stderr, /AddressSanitizer|runtime error/);
  });

  test('max_rows still bounds a streamed answer, refused before it starts', async () => {
    const r = await v4raw('Contact', 'get', { select: ['id'], limit: 0 });
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assert.notEqual(r.headers.get('content-length'), null);
    assert.match(r.json().error_message, new RegExp(`more than ${RECORDS} rows`));
  });

  test('a small answer is still whole, with its length', async () => {
    const r = await v4raw('Contact', 'get', { ...SAVED, limit: 5 });
    assert.notEqual(r.headers.get('content-length'), null);
    assert.equal(r.json().values.length, 5);
  });
});
