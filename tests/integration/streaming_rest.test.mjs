// Large APIv3 and 3.2 answers through the real server: gets of more than a
// page (1,000 rows) are streamed (chunked) while the server reads them page
// by page in one read transaction (server/paged_get.h). Each streamed
// answer must be, byte for byte, the answer built whole: here the same get
// read in pages of 1,000 through the unstreamed path (each page answered
// whole, with its Content-Length), its rows put together in the dialect's
// own frame, JSON and XML, keyed and sequential, with return= lists,
// limit/offset and a sort on id; gets that cannot be read in pages (chained
// calls, a sort on another field) are answered whole as before. A client
// that stops reading and goes must leave the server's memory flat; max_rows
// still bounds the rows.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { kithForSuite, encodeParams, parseXmlStrict, PG_URL } from './harness.mjs';

// As in streaming.test.mjs: a small ASan quarantine, so RSS is what kith holds.
process.env.ASAN_OPTIONS = [process.env.ASAN_OPTIONS, 'quarantine_size_mb=8'].filter(Boolean).join(':');

const RECORDS = PG_URL ? 2500 : 3500;
const PAGE = 1000;
// Every saved record fits; the users' contacts on top of them do not.
const kith = kithForSuite({ settings: { max_rows: RECORDS, max_request_seconds: 600 } });

const SOURCE = 'rest-stream';
// Text XML and JSON must escape, on some of the rows.
const AWKWARD = `O'Brien & <Sons> "Q" \\ /`;

function creds() {
  return { key: kith.siteKey, api_key: kith.users.admin.apiKey };
}

async function v3(params, { method = 'GET' } = {}) {
  return kith.call({ ...creds(), ...params }, { method });
}

async function v2(fn, params) {
  return kith.call({ q: `civicrm/${fn}`, ...creds(), ...params });
}

function streamed(r) {
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.equal(r.headers.get('transfer-encoding'), 'chunked', r.text.slice(0, 200));
  assert.equal(r.headers.get('content-length'), null);
}

function whole(r) {
  assert.equal(r.status, 200, r.text.slice(0, 300));
  assert.notEqual(r.headers.get('content-length'), null, 'answered whole');
}

// The text of `body` between `start` (its first occurrence) and `end` (its
// last), both excluded.
function inner(body, start, end) {
  const a = body.indexOf(start);
  const b = body.lastIndexOf(end);
  assert.ok(a >= 0 && b >= a + start.length, `${start}...${end} in ${body.slice(0, 120)}`);
  return { head: body.slice(0, a + start.length), rows: body.slice(a + start.length, b), tail: body.slice(b) };
}

// Reads `total` rows from `offset` on in pages through the unstreamed path
// (`page(offset, limit)` answers one page whole) and checks that `big` is
// those pages' rows in `frame` (splits an answer into head, rows, tail),
// joined by `separator`, with the head `head(pageHead)` and the same tail.
async function assertPagesMake(big, { total, offset = 0, page, frame, separator, head }) {
  const parts = [];
  let pageHead = null;
  let pageTail = null;
  for (let at = 0; at < total; at += PAGE) {
    const r = await page(offset + at, Math.min(PAGE, total - at));
    whole(r);
    const f = frame(r.text);
    pageHead ??= f.head;
    pageTail ??= f.tail;
    parts.push(f.rows);
  }
  const f = frame(big);
  assert.equal(f.head, head(pageHead));
  assert.equal(f.tail, pageTail);
  assert.ok(f.rows === parts.join(separator), 'the streamed rows are the pages\' rows');
}

const v3Json = (body) => (body.includes('"values":[') ? inner(body, '"values":[', ']}') : inner(body, '"values":{', '}}'));
const xmlRows = (body) => {
  const a = body.indexOf('<Result>');
  const b = body.lastIndexOf('</ResultSet>');
  assert.ok(a > 0 && b > a, body.slice(0, 200));
  return { head: body.slice(0, a), rows: body.slice(a, b), tail: body.slice(b) };
};
const withCount = (n) => (h) => h.replace(/"count":\d+/, `"count":${n}`).replace(/count="\d+"/, `count="${n}"`);

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

// GET `params` on extern/rest.php over a raw socket; reads the first bytes,
// then nothing more, and goes after a while.
function stopReading(params) {
  return new Promise((resolve) => {
    const request = `GET /civicrm/extern/rest.php?${encodeParams(params)} HTTP/1.1\r\n` +
      'Host: 127.0.0.1\r\nConnection: close\r\n\r\n';
    const socket = net.connect(kith.port, '127.0.0.1', () => socket.write(request));
    socket.once('data', () => {
      socket.pause();
      setTimeout(() => { socket.destroy(); resolve(); }, 500);
    });
    socket.on('error', () => resolve());
  });
}

describe('large APIv3 and 3.2 answers', () => {
  test(`${RECORDS} contacts saved`, async () => {
    const records = [];
    for (let i = 0; i < RECORDS; i++) {
      records.push({ contact_type: 'Individual', first_name: `Row${i}`,
        last_name: i % 97 === 0 ? AWKWARD : `Stream${i % 13}`, source: SOURCE });
    }
    const r = await kith.raw('/civicrm/ajax/api4/Contact/save', {
      method: 'POST',
      headers: { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `params=${encodeURIComponent(JSON.stringify({ records }))}`,
    });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(r.json().count, RECORDS);
  });

  const SHAPES = [
    ['keyed, every field', {}],
    ['sequential, a return list', { sequential: 1, return: 'first_name,last_name,display_name' }],
    ['sort on id descending', { 'options[sort]': 'id DESC', return: 'last_name' }],
  ];
  for (const [name, extra] of SHAPES) {
    for (const json of [true, false]) {
      test(`APIv3 Contact.get ${json ? 'JSON' : 'XML'}, ${name}: streamed, the pages' bytes`, async () => {
        const base = { entity: 'Contact', action: 'get', contact_source: SOURCE, ...extra, ...(json ? { json: 1 } : {}) };
        const big = await v3({ ...base, 'options[limit]': 0 });
        streamed(big);
        if (json) {
          const body = big.json();
          assert.equal(body.count, RECORDS);
          const rows = Array.isArray(body.values) ? body.values : Object.values(body.values);
          assert.equal(rows.length, RECORDS);
          assert.ok(rows.some((c) => c.last_name === AWKWARD));
        } else {
          const root = parseXmlStrict(big.text);
          assert.equal(root.children.length, RECORDS);
          assert.match(big.text, /&lt;Sons&gt;/);
        }
        await assertPagesMake(big.text, {
          total: RECORDS,
          page: (offset, limit) => v3({ ...base, 'options[limit]': limit, 'options[offset]': offset }),
          frame: json ? v3Json : xmlRows,
          separator: json ? ',' : '',
          head: withCount(RECORDS),
        });
      });
    }
  }

  test('APIv3 limit and offset over several pages', async () => {
    const limit = Math.min(2200, RECORDS - 700);
    const base = { entity: 'Contact', action: 'get', json: 1, contact_source: SOURCE, return: 'first_name' };
    const big = await v3({ ...base, 'options[limit]': limit, 'options[offset]': 650 });
    streamed(big);
    const body = big.json();
    assert.equal(body.count, limit);
    const rows = Object.values(body.values);
    assert.equal(rows[0].first_name, 'Row650');
    assert.equal(rows[limit - 1].first_name, `Row${650 + limit - 1}`);
    await assertPagesMake(big.text, {
      total: limit, offset: 650,
      page: (offset, n) => v3({ ...base, 'options[limit]': n, 'options[offset]': offset }),
      frame: v3Json, separator: ',', head: withCount(limit),
    });
  });

  test('APIv3 gets that cannot be read in pages are answered whole', async () => {
    const base = { entity: 'Contact', action: 'get', json: 1, contact_source: SOURCE, 'options[limit]': 0 };
    const sorted = await v3({ ...base, 'options[sort]': 'first_name', return: 'first_name' });
    whole(sorted);
    assert.equal(sorted.json().count, RECORDS);
    const chained = await v3({ ...base, 'options[limit]': 1200, return: 'first_name', 'api.Email.get': { sequential: 1 } });
    whole(chained);
    assert.equal(chained.json().count, 1200);
    assert.ok(Object.keys(Object.values(chained.json().values)[0]).some((k) => k.startsWith('api')), 'the chained call ran');
    const pretty = await v3({ ...base, prettyprint: 1, return: 'first_name' });
    whole(pretty);
  });

  for (const json of [true, false]) {
    test(`3.2 contact/get ${json ? 'JSON' : 'XML'}: streamed, the pages' bytes`, async () => {
      const base = { contact_source: SOURCE, 'return.first_name': 1, 'return.last_name': 1, 'return.email': 1,
        ...(json ? { json: 1 } : {}) };
      const big = await v2('contact/get', { ...base, rowCount: 0 });
      streamed(big);
      if (json) {
        const rows = big.json();
        assert.equal(rows.length, RECORDS);
        assert.ok(rows.some((c) => c.last_name === AWKWARD));
      } else {
        assert.equal(parseXmlStrict(big.text).children.length, RECORDS);
      }
      await assertPagesMake(big.text, {
        total: RECORDS,
        page: (offset, limit) => v2('contact/get', { ...base, rowCount: limit, offset }),
        frame: json ? (t) => inner(t, '[', ']') : xmlRows,
        separator: json ? '\n,' : '',
        head: (h) => h,
      });
    });
  }

  test('3.2 contact/search with offset, and a sort on another field answered whole', async () => {
    const base = { json: 1, contact_source: SOURCE, 'return.first_name': 1 };
    const total = RECORDS - 300;
    const big = await v2('contact/search', { ...base, rowCount: 0, offset: 300, sort: 'contact_id' });
    streamed(big);
    assert.equal(big.json()[0].first_name, 'Row300');
    await assertPagesMake(big.text, {
      total, offset: 300,
      page: (offset, limit) => v2('contact/search', { ...base, rowCount: limit, offset }),
      frame: (t) => inner(t, '[', ']'), separator: '\n,', head: (h) => h,
    });
    // Descending: the pages after the first are read below the last id.
    const down = await v2('contact/search', { ...base, rowCount: 0, offset: 300, sort: 'contact_id DESC' });
    streamed(down);
    assert.equal(down.json()[0].first_name, `Row${RECORDS - 301}`);
    await assertPagesMake(down.text, {
      total, offset: 300,
      page: (offset, limit) => v2('contact/search', { ...base, rowCount: limit, offset, sort: 'contact_id DESC' }),
      frame: (t) => inner(t, '[', ']'), separator: '\n,', head: (h) => h,
    });
    const sorted = await v2('contact/get', { ...base, rowCount: 0, sort: 'first_name' });
    whole(sorted);
    assert.equal(sorted.json().length, RECORDS);
  });

  test('clients that stop reading, then go, leave the server answering and its memory flat', async () => {
    const v3Big = { ...creds(), entity: 'Contact', action: 'get', json: 1, contact_source: SOURCE, 'options[limit]': 0 };
    const v2Big = { ...creds(), q: 'civicrm/contact/get', contact_source: SOURCE, rowCount: 0 };
    await v3(v3Big);  // warm: the first big answers' memory is the baseline
    await kith.call(v2Big);
    const before = rssKiB(kith.child.pid);
    for (let i = 0; i < 3; i++) {
      await stopReading(v3Big);
      await stopReading(v2Big);
    }
    assert.equal((await kith.healthz()).status, 200);
    const again = await v3(v3Big);
    assert.equal(again.json().count, RECORDS);
    const after = rssKiB(kith.child.pid);
    assert.ok(after - before < 48 * 1024, `RSS grew ${after - before} KiB`);
    assert.doesNotMatch(kith.stderr, /AddressSanitizer|runtime error/);
  });

  test('max_rows still bounds a streamed answer, refused before it starts', async () => {
    const r = await v3({ entity: 'Contact', action: 'get', json: 1, 'options[limit]': 0, return: 'id' });
    whole(r);
    assert.equal(r.json().is_error, 1);
    assert.match(r.json().error_message, new RegExp(`more than ${RECORDS} rows`));
    const old = await v2('contact/get', { json: 1, rowCount: 0 });
    whole(old);
    assert.match(old.json().error_message, new RegExp(`more than ${RECORDS} rows`));
  });
});
