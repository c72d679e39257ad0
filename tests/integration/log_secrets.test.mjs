// Issue 18 item 10: kith's output never carries a key, password or session
// id. Every suite checks its server's stdout, stderr (where the access log
// goes by default) and log files when it stops (harness.mjs, kithForSuite);
// this suite makes the requests that put credentials in URLs, bodies and
// headers of all three dialects, and shows that the check finds a leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { kithForSuite, AJAX_PATH } from './harness.mjs';

const kith = kithForSuite();

test('credentials in URLs, bodies and headers of every dialect stay out of the output', async () => {
  const { admin, viewer } = kith.users;
  // 3.2: login (password in the URL), then a call by PHPSESSID and by api_key.
  const login = (await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: admin.password, json: 1 })).json();
  assert.equal(login.is_error, 0);
  const bySession = await kith.call({ q: 'civicrm/contact/search', key: kith.siteKey, PHPSESSID: login.PHPSESSID, json: 1 });
  assert.equal(bySession.status, 200);
  assert.equal((await kith.call({ q: 'civicrm/contact/search', key: kith.siteKey, api_key: login.api_key, json: 1 })).status, 200);
  // A wrong password for a real user, and the right one of another in a POST body.
  await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'admin', pass: 'not-the-password', json: 1 });
  await kith.call({ q: 'civicrm/login', key: kith.siteKey, name: 'viewer', pass: viewer.password, json: 1 }, { method: 'POST' });
  // APIv3 with keys in the query string, APIv4 with them in headers.
  const v3 = await kith.call({ entity: 'Contact', action: 'get', json: 1, key: kith.siteKey, api_key: admin.apiKey }, { path: AJAX_PATH });
  assert.equal(v3.json().is_error, 0);
  const v4 = await kith.raw('/civicrm/ajax/api4/Contact/get', {
    method: 'POST',
    headers: { 'X-Civi-Auth': `Bearer ${viewer.apiKey}`, 'X-Civi-Key': kith.siteKey, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'params=%7B%22limit%22%3A1%7D',
  });
  assert.equal(v4.status, 200);
  // The access log saw these requests (so the check below looked at
  // something); its lines reach stderr a moment after the answers.
  for (let i = 0; i < 100 && !kith.stderr.includes('"protocol":"v4"'); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(kith.stderr.split('\n').filter((l) => l.includes('"path"')).length >= 7, true, kith.stderr);
  assert.deepEqual(await kith.secretsInOutput(), []);
  // Two logins succeeded, one did not; only that one has an error noted.
  const logins = kith.stderr.split('\n').filter((l) => l.includes('"action":"login"')).map((l) => JSON.parse(l));
  assert.deepEqual(logins.map((l) => l.error ?? null), [null, 'unauthenticated', null]);
});

test('the check finds a secret in a log file of the data directory', async () => {
  const file = path.join(kith.dataDir, 'leak.log');
  await writeFile(file, `site key ${kith.siteKey}\n`);
  try {
    assert.deepEqual(await kith.secretsInOutput(), [kith.siteKey]);
  } finally {
    await rm(file);
  }
});
