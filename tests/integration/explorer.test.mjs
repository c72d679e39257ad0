// The API explorer (issue 17.5) in a real headless Chromium (Debian's
// `chromium`, driven by playwright-core): the page kith serves at
// /civicrm/api4 logs in with an api key kept in sessionStorage only, builds
// an APIv4 Contact.get with a where clause from getFields and shows the
// contact, shows the error of a failing create, shows the call as curl
// (which, run in a shell, answers the same), JavaScript and PHP, and runs an
// APIv3 call. The page loads nothing from anywhere but kith.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startKith } from './harness.mjs';

const execFileP = promisify(execFile);
const CHROMIUM = process.env.KITH_CHROMIUM || '/usr/bin/chromium';

let kith;
let browser;
let page;
const foreign = [];  // requests the page made anywhere but kith

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/install-deps.sh installs chromium`);
  kith = await startKith();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(kith.baseUrl)) foreign.push(r.url()); });
  page.setDefaultTimeout(20_000);
  const r = await kith.raw('/civicrm/ajax/api4/Contact/create', {
    method: 'POST',
    headers: { 'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `params=${encodeURIComponent(JSON.stringify({ values: { first_name: 'Ada', last_name: 'Explorova' } }))}`,
  });
  assert.equal(r.status, 200, r.text);
});

after(async () => {
  await browser?.close();
  await kith?.stop();
});

async function resultJson() {
  return JSON.parse(await page.textContent('#result'));
}

describe('API explorer', () => {
  test('the page and its files come from the binary, with a strict CSP', async () => {
    const r = await kith.raw('/civicrm/api4');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=UTF-8');
    assert.match(r.headers.get('content-security-policy'), /default-src 'self'/);
    assert.match(r.text, /<title>kith API explorer<\/title>/);
    assert.equal((await kith.raw('/civicrm/api4/explorer.js')).headers.get('content-type'),
      'text/javascript; charset=UTF-8');
    assert.equal((await kith.raw('/civicrm/api4/nothing.js')).status, 404);
    assert.equal((await kith.raw('/civicrm/api4', { method: 'POST' })).status, 405);
  });

  test('a wrong key is refused and not kept', async () => {
    await page.goto(`${kith.baseUrl}/civicrm/api4`);
    await page.fill('#api-key', 'not-a-key');
    await page.click('#login-button');
    await page.waitForSelector('#login-error:not([hidden])');
    assert.match(await page.textContent('#login-error'), /Could not log in/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  test('log in, run Contact.get with a where clause, see the contact', async () => {
    await page.fill('#api-key', kith.users.admin.apiKey);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('#explorer:not([hidden])');
    assert.equal(await page.inputValue('#entity'), 'Contact');
    assert.equal(await page.inputValue('#action'), 'get');
    // The key: in this tab's session storage, nowhere else.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kith.explorer.apiKey')), kith.users.admin.apiKey);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.equal(await page.evaluate(() => document.cookie), '');

    await page.click('#where-add');
    await page.selectOption('#where-rows .rowline:last-child .field', 'last_name');
    await page.selectOption('#where-rows .rowline:last-child .op', '=');
    await page.fill('#where-rows .rowline:last-child .value', 'Explorova');
    await page.selectOption('#select', ['id', 'display_name', 'last_name']);
    assert.deepEqual(JSON.parse(await page.inputValue('#params')), {
      select: ['id', 'display_name', 'last_name'], where: [['last_name', '=', 'Explorova']], limit: 25,
    });
    await page.click('#run');
    await page.waitForFunction(() => /HTTP 200/.test(document.getElementById('result-status').textContent));
    const result = await resultJson();
    assert.equal(result.values.length, 1);
    assert.equal(result.values[0].display_name, 'Ada Explorova');
    assert.ok(await page.isHidden('#result-error'));
  });

  test('the call as curl (which runs), JavaScript and PHP', async () => {
    const curl = await page.textContent('#code-curl');
    assert.match(curl, /\/civicrm\/ajax\/api4\/Contact\/get/);
    const { stdout } = await execFileP('sh', ['-c', curl], {
      env: { ...process.env, CIVI_API_KEY: kith.users.admin.apiKey },
    });
    assert.equal(JSON.parse(stdout).values[0].display_name, 'Ada Explorova');

    await page.click('#tab-js');
    assert.ok(await page.isVisible('#code-js'));
    assert.ok(await page.isHidden('#code-curl'));
    const js = await page.textContent('#code-js');
    assert.match(js, /require\('civicrm'\)/);
    assert.match(js, /crmAPI\.api4\('Contact', 'get', \{/);
    await page.keyboard.press('ArrowRight');  // the tablist moves with the arrow keys
    assert.ok(await page.isVisible('#code-php'));
    const php = await page.textContent('#code-php');
    assert.match(php, /civicrm_api4\('Contact', 'get', \[/);
    assert.match(php, /'where' => \[\n\s+\[\n\s+'last_name',\n\s+'=',\n\s+'Explorova',/);
  });

  test('a create that fails shows the error', async () => {
    await page.selectOption('#action', 'create');
    await page.waitForSelector('#values-box:not([hidden])');
    assert.ok(await page.isHidden('#where-box'));
    await page.click('#values-add');
    await page.selectOption('#values-rows .rowline:last-child .field', 'contact_type');
    await page.fill('#values-rows .rowline:last-child .value', 'Martian');
    assert.equal(JSON.parse(await page.inputValue('#params')).values.contact_type, 'Martian');
    await page.click('#run');
    await page.waitForSelector('#result-error:not([hidden])');
    assert.match(await page.textContent('#result-status'), /HTTP 4\d\d/);
    assert.match(await page.textContent('#result-error'), /contact_type|Martian/i);
    assert.ok((await resultJson()).error_message);
  });

  test('still logged in after a reload; APIv3 mode runs a call with Ctrl+Enter', async () => {
    await page.reload();
    await page.waitForSelector('#explorer:not([hidden])');
    await page.check('#mode-v3');
    assert.ok(await page.isVisible('#v3-form'));
    await page.fill('#v3-entity', 'Contact');
    await page.fill('#v3-action', 'get');
    await page.fill('#params', JSON.stringify({ last_name: 'Explorova', sequential: 1, return: 'display_name' }));
    await page.press('#params', 'Control+Enter');
    await page.waitForFunction(() => /HTTP 200/.test(document.getElementById('result-status').textContent));
    const result = await resultJson();
    assert.equal(result.is_error, 0);
    assert.equal(result.count, 1);
    assert.equal(result.values[0].display_name, 'Ada Explorova');
    assert.match(await page.textContent('#code-php'), /civicrm_api3\('Contact', 'get'/);
    assert.match(await page.textContent('#code-curl'), /\/civicrm\/ajax\/rest/);
  });

  test('log out forgets the key; nothing was loaded from elsewhere', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.deepEqual(foreign, []);
  });
});
