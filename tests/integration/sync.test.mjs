// Keeping other systems in step (issue 19) through a real `kith serve`: the
// change log (ChangeLog over APIv4 and APIv3: who changed what, old and new
// values; a polling reader under concurrent writers sees each change once,
// in order) and signed webhooks (a local receiver gets every create,
// update and delete of contacts, emails and memberships; one answering 500
// at first gets everything later; a kill -9 between commit and delivery
// loses nothing). Only admins read either.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { AJAX_PATH, PG_URL, encodeParams, kithForSuite, serveDataDir, startKith } from './harness.mjs';

// Fast retries for the tests: a failed delivery is tried again within a second.
const SETTINGS = { webhook_timeout_seconds: '2', webhook_retry_max_seconds: '1' };
const SECRET = 'test-webhook-secret-1';

const kith = kithForSuite({ settings: SETTINGS });

function v4raw(server, entity, action, params, role = 'admin') {
  return server.raw(`/civicrm/ajax/api4/${entity}/${action}`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${server.users[role].apiKey}`,
      'X-Civi-Key': server.siteKey,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: encodeParams({ params: JSON.stringify(params) }),
  });
}

async function v4(server, entity, action, params = {}, role = 'admin') {
  const r = await v4raw(server, entity, action, params, role);
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  return r.json();
}

// A webhook receiver on loopback: keeps every POST, answers as `answer` says
// (a status, or 'hang' to never answer).
async function receiver() {
  const got = [];
  const r = { got, answer: 200, hanging: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (r.answer === 'hang') {
        r.hanging.push(res);
        return;
      }
      if (r.answer >= 200 && r.answer < 300) got.push({ headers: req.headers, body });
      res.writeHead(r.answer, { 'content-type': 'text/plain' });
      res.end(r.answer < 300 ? 'ok' : 'not now');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${server.address().port}/hook`;
  r.close = () => new Promise((resolve) => {
    for (const res of r.hanging) res.destroy();
    server.closeAllConnections?.();
    server.close(resolve);
  });
  // The events accepted, parsed, each checked for a valid signature.
  r.events = () => got.map(({ headers, body }) => {
    const ts = headers['x-kith-timestamp'];
    const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
    const given = String(headers['x-kith-signature']);
    assert.equal(given.length, expected.length, `signature ${given}`);
    assert.ok(timingSafeEqual(Buffer.from(given), Buffer.from(expected)), 'the signature checks out');
    const event = JSON.parse(body);
    assert.equal(headers['x-kith-event'], String(event.event_id));
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 60, 'a fresh timestamp');
    return event;
  });
  return r;
}

async function waitFor(what, check, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Events of `entity` `id`, in arrival order, as "action field=[old,new]".
function eventsOf(events, entity, id) {
  return events.filter((e) => e.entity === entity && e.entity_id === id);
}

describe('the change log', () => {
  test('shows who changed what, with old and new values, over APIv4 and APIv3', async () => {
    const admin = kith.users.admin;
    const editor = kith.users.editor;
    const c = (await v4(kith, 'Contact', 'create', { values: { contact_type: 'Individual', first_name: 'Ada', last_name: 'Log' } }, 'editor')).values[0];
    const e = (await v4(kith, 'Email', 'create', { values: { contact_id: c.id, email: 'ada@old.example' } }, 'editor')).values[0];
    await v4(kith, 'Email', 'update', { where: [['id', '=', e.id]], values: { email: 'ada@new.example' } });
    const log = await v4(kith, 'ChangeLog', 'get', {
      where: [['entity', '=', 'Email'], ['entity_id', '=', e.id]], orderBy: { id: 'ASC' },
    });
    assert.equal(log.values.length, 2, JSON.stringify(log));
    const [created, updated] = log.values;
    assert.equal(created.action, 'create');
    assert.equal(created.contact_id, editor.contactId);
    assert.deepEqual(created.changes.email, [null, 'ada@old.example']);
    assert.equal(updated.action, 'update');
    assert.equal(updated.contact_id, admin.contactId);
    assert.deepEqual(updated.changes, { email: ['ada@old.example', 'ada@new.example'] });
    assert.match(updated.created_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(updated.id > created.id);

    // A refused call logs nothing.
    const before = (await v4(kith, 'ChangeLog', 'get', { select: ['row_count'] })).count;
    const refused = await v4raw(kith, 'Email', 'create', { values: { contact_id: 999999, email: 'x@y.example' } });
    assert.notEqual(refused.status, 200);
    assert.equal((await v4(kith, 'ChangeLog', 'get', { select: ['row_count'] })).count, before);

    // APIv3: the same rows, changes as an object.
    const r = await kith.call({
      entity: 'ChangeLog', action: 'get', key: kith.siteKey, api_key: admin.apiKey,
      json: JSON.stringify({ entity_id: e.id, sequential: 1, options: { limit: 0 } }),
    }, { path: AJAX_PATH });
    const v3 = r.json();
    assert.equal(v3.is_error, 0, r.text);
    const emails = v3.values.filter((row) => row.entity === 'Email');
    assert.equal(emails.length, 2, r.text);
    assert.deepEqual(emails[1].changes, { email: ['ada@old.example', 'ada@new.example'] });
    assert.equal(String(emails[1].contact_id), String(admin.contactId));

    // Read-only: no create, update or delete.
    const write = await v4raw(kith, 'ChangeLog', 'create', { values: { entity: 'X', entity_id: 1, action: 'create' } });
    assert.notEqual(write.status, 200);
  });

  test('the viewer role can read neither the log nor the webhooks', async () => {
    for (const entity of ['ChangeLog', 'Webhook', 'WebhookDelivery']) {
      const r = await v4raw(kith, entity, 'get', {}, 'viewer');
      assert.equal(r.status, 403, `${entity}: ${r.text}`);
    }
    const r = await kith.call({
      entity: 'ChangeLog', action: 'get', key: kith.siteKey, api_key: kith.users.viewer.apiKey, json: 1,
    }, { path: AJAX_PATH });
    assert.equal(r.json().is_error, 1);
  });

  test('a polling reader under concurrent writers sees every change once, in order', async () => {
    const start = (await v4(kith, 'ChangeLog', 'get', { select: ['id'], orderBy: { id: 'DESC' }, limit: 1 })).values[0]?.id ?? 0;
    const seen = [];
    let last = start;
    let writing = true;
    const poll = async () => {
      const page = await v4(kith, 'ChangeLog', 'get', {
        select: ['id', 'entity', 'entity_id', 'action'], where: [['id', '>', last]], orderBy: { id: 'ASC' }, limit: 50,
      });
      for (const row of page.values) {
        assert.ok(row.id > last, `ids only grow: ${row.id} after ${last}`);
        last = row.id;
        seen.push(row);
      }
      return page.values.length;
    };
    const reader = (async () => {
      while (writing) await poll();
    })();
    const created = [];
    const writer = async (w) => {
      for (let i = 0; i < 12; i++) {
        const c = (await v4(kith, 'Contact', 'create', { values: { contact_type: 'Individual', last_name: `W${w}-${i}` } })).values[0];
        created.push(c.id);
      }
    };
    await Promise.all([writer(1), writer(2), writer(3), writer(4)]);
    writing = false;
    await reader;
    while (await poll() > 0) { /* the rest */ }
    const creates = seen.filter((r) => r.entity === 'Contact' && r.action === 'create').map((r) => r.entity_id);
    assert.deepEqual([...creates].sort((a, b) => a - b), [...created].sort((a, b) => a - b));
    assert.equal(new Set(seen.map((r) => r.id)).size, seen.length, 'no change seen twice');
  });
});

describe('webhooks', () => {
  let hook;
  before(async () => { hook = await receiver(); });
  after(async () => { await hook.close(); });

  test('are checked when created and never show their secret', async () => {
    for (const url of ['ftp://example.org/x', 'file:///etc/passwd', 'http://', 'not a url']) {
      const r = await v4raw(kith, 'Webhook', 'create', { values: { url, secret: SECRET } });
      assert.equal(r.status, 400, `${url}: ${r.text}`);
    }
    const nosecret = await v4raw(kith, 'Webhook', 'create', { values: { url: hook.url } });
    assert.equal(nosecret.status, 400, nosecret.text);
    const created = await v4(kith, 'Webhook', 'create', { values: { url: 'https://example.org/h', secret: SECRET, is_active: false } });
    assert.equal(created.values[0].secret, undefined, JSON.stringify(created));
    const got = await v4(kith, 'Webhook', 'get', { where: [['id', '=', created.values[0].id]] });
    assert.equal(got.values.length, 1);
    assert.equal(got.values[0].secret, undefined);
    assert.equal(got.values[0].url, 'https://example.org/h');
    const probe = await v4raw(kith, 'Webhook', 'get', { where: [['secret', '=', SECRET]] });
    assert.equal(probe.status, 400, 'the secret cannot be searched for');
    await v4(kith, 'Webhook', 'delete', { where: [['id', '=', created.values[0].id]] });
  });

  test('a receiver gets every create, update and delete of contacts, emails and memberships, signed', async () => {
    const wh = (await v4(kith, 'Webhook', 'create', {
      values: { url: hook.url, secret: SECRET, entities: ['Contact', 'Email', 'GroupContact'] },
    })).values[0];
    const c = (await v4(kith, 'Contact', 'create', { values: { contact_type: 'Individual', first_name: 'Hoo', last_name: 'K' } })).values[0];
    await v4(kith, 'Contact', 'update', { where: [['id', '=', c.id]], values: { first_name: 'Hook' } });
    const e = (await v4(kith, 'Email', 'create', { values: { contact_id: c.id, email: 'hook@example.org' } })).values[0];
    await v4(kith, 'Email', 'update', { where: [['id', '=', e.id]], values: { email: 'hook2@example.org' } });
    const g = (await v4(kith, 'Group', 'create', { values: { title: 'Hooked' } })).values[0];
    const m = (await v4(kith, 'GroupContact', 'create', { values: { group_id: g.id, contact_id: c.id } })).values[0];
    await v4(kith, 'GroupContact', 'update', { where: [['id', '=', m.id]], values: { status: 'Removed' } });
    await v4(kith, 'GroupContact', 'delete', { where: [['id', '=', m.id]] });
    await v4(kith, 'Email', 'delete', { where: [['id', '=', e.id]] });
    await v4(kith, 'Contact', 'delete', { where: [['id', '=', c.id]], useTrash: false });

    // Deliveries keep their order per record only: wait for each record's delete.
    const deleted = (all, entity, id) => all.some((x) => x.entity === entity && x.entity_id === id && x.action === 'delete');
    const events = await waitFor('the deletes of the contact, its email and its membership', () => {
      const all = hook.events();
      return deleted(all, 'Contact', c.id) && deleted(all, 'Email', e.id) && deleted(all, 'GroupContact', m.id) && all;
    });
    const actions = (entity, id) => eventsOf(events, entity, id).map((x) => x.action);
    const contactActions = actions('Contact', c.id);
    assert.equal(contactActions[0], 'create');
    assert.ok(contactActions.includes('update'));
    assert.equal(contactActions.at(-1), 'delete');
    assert.deepEqual(actions('Email', e.id), ['create', 'update', 'delete']);
    assert.deepEqual(actions('GroupContact', m.id), ['create', 'update', 'delete']);
    assert.ok(!events.some((x) => x.entity === 'Group'), 'only the entities asked for');
    const emailUpdate = eventsOf(events, 'Email', e.id)[1];
    assert.deepEqual(emailUpdate.changes, { email: ['hook@example.org', 'hook2@example.org'] });
    assert.ok(emailUpdate.change_id > 0 && emailUpdate.created_date);
    assert.equal(emailUpdate.contact_id, kith.users.admin.contactId);

    const deliveries = await v4(kith, 'WebhookDelivery', 'get', { where: [['webhook_id', '=', wh.id]] });
    assert.ok(deliveries.values.length >= 9, JSON.stringify(deliveries.values.map((d) => [d.entity, d.action])));
    await waitFor('every delivery marked delivered', async () => {
      const d = await v4(kith, 'WebhookDelivery', 'get', { where: [['webhook_id', '=', wh.id], ['status', '!=', 'delivered']] });
      return d.values.length === 0;
    });
    await v4(kith, 'Webhook', 'delete', { where: [['id', '=', wh.id]] });
  });

  test('a receiver answering 500 at first gets everything later', async () => {
    const down = await receiver();
    down.answer = 500;
    try {
      const wh = (await v4(kith, 'Webhook', 'create', { values: { url: down.url, secret: SECRET, entities: ['Contact'], actions: ['create'] } })).values[0];
      const ids = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await v4(kith, 'Contact', 'create', { values: { contact_type: 'Individual', last_name: `Down${i}` } })).values[0].id);
      }
      await waitFor('a failed attempt', async () => {
        const d = await v4(kith, 'WebhookDelivery', 'get', { where: [['webhook_id', '=', wh.id], ['attempts', '>', 0]] });
        return d.values.length > 0 && d.values[0];
      }).then((d) => {
        assert.equal(d.status, 'pending');
        assert.match(d.last_error, /500/);
        assert.ok(d.next_attempt_date);
      });
      down.answer = 200;
      const events = await waitFor('every create', () => {
        const got = down.events().filter((x) => x.action === 'create');
        return ids.every((id) => got.some((x) => x.entity_id === id)) && got;
      });
      assert.ok(events.every((x) => x.entity === 'Contact' && x.action === 'create'));
      const d = await v4(kith, 'WebhookDelivery', 'get', { where: [['webhook_id', '=', wh.id], ['attempts', '>', 1]] });
      assert.ok(d.values.length > 0, 'some were tried more than once');
      await v4(kith, 'Webhook', 'delete', { where: [['id', '=', wh.id]] });
    } finally {
      await down.close();
    }
  });
});

// `kith serve` again on `server`'s data directory (after a kill -9).
async function restart(server) {
  const { child, baseUrl } = await serveDataDir(server.dataDir);
  return {
    ...server,
    child,
    raw: async (urlPath, init = {}) => {
      const res = await fetch(baseUrl + urlPath, init);
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) };
    },
  };
}

test('a kill -9 between commit and delivery loses nothing', async () => {
  const hook = await receiver();
  hook.answer = 'hang';  // deliveries go out and are never answered
  const server = await startKith({ settings: { webhook_timeout_seconds: '1', webhook_retry_max_seconds: '1' } });
  let again;
  try {
    await v4(server, 'Webhook', 'create', { values: { url: hook.url, secret: SECRET, entities: ['Contact'] } });
    const ids = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await v4(server, 'Contact', 'create', { values: { contact_type: 'Individual', last_name: `Crash${i}` } })).values[0].id);
    }
    await waitFor('a delivery in flight', () => hook.hanging.length > 0);
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    hook.answer = 200;
    again = await restart(server);
    const events = await waitFor('every create after the restart', () => {
      const got = hook.events();
      return ids.every((id) => got.some((x) => x.entity_id === id && x.action === 'create')) && got;
    }, 30_000);
    assert.ok(events.length >= ids.length);
  } finally {
    if (again) {
      again.child.kill('SIGTERM');
      await new Promise((resolve) => again.child.once('exit', resolve));
    }
    await server.stop();
    await hook.close();
  }
});

test('two servers on one PostgreSQL database send each change once', { skip: !PG_URL && 'PostgreSQL only' }, async () => {
  const hook = await receiver();
  const first = await startKith({ settings: SETTINGS });
  let second;
  try {
    second = await startKith({ shareDatabaseOf: first, settings: SETTINGS });
    await v4(first, 'Webhook', 'create', { values: { url: hook.url, secret: SECRET, entities: ['Contact'], actions: ['create'] } });
    const ids = [];
    await Promise.all([first, second, first, second].map(async (server, w) => {
      for (let i = 0; i < 8; i++) {
        ids.push((await v4(server, 'Contact', 'create', { values: { contact_type: 'Individual', last_name: `Two${w}-${i}` } })).values[0].id);
      }
    }));
    const events = await waitFor('every create', () => {
      const got = hook.events();
      return ids.every((id) => got.some((x) => x.entity_id === id)) && got;
    });
    await new Promise((r) => setTimeout(r, 1000));  // time for a second copy, were there one
    const changes = hook.events().map((x) => x.change_id);
    assert.equal(new Set(changes).size, changes.length, 'no change delivered twice');
    assert.equal(events.length >= ids.length, true);
  } finally {
    if (second) await second.stop();
    await first.stop();
    await hook.close();
  }
});
