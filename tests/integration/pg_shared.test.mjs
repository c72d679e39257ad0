// Two kith servers on one PostgreSQL database (run only as integration_pg_shared,
// with KITH_TEST_PG_URL): any server answers any request. A session opened on
// one is served by the other, a key replaced through one is refused by the
// other, a role changed through one is served by both at once, an option label
// changed through one is answered by the other, a custom
// field created on one is served by the other, and writers
// racing through both keep the invariants (one membership row per group and
// contact, counts that add up).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startKith, encodeParams, kithCli, PG_URL } from './harness.mjs';

const API4 = '/civicrm/ajax/api4';
let a;
let b;

before(async () => {
  a = await startKith();
  b = await startKith({ shareDatabaseOf: a });
});

after(async () => {
  await b?.stop();
  await a?.stop();
});

async function v4(server, path, params, apiKey = server.users.admin.apiKey) {
  const r = await server.raw(API4 + path, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${apiKey}`,
      'X-Civi-Key': server.siteKey,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: encodeParams({ params: JSON.stringify(params) }),
  });
  let body = null;
  try { body = JSON.parse(r.text); } catch { /* a refusal in plain text */ }
  return { status: r.status, body };
}

test('runs on PostgreSQL only', () => {
  assert.ok(PG_URL, 'KITH_TEST_PG_URL must name a PostgreSQL server');
  assert.equal(b.database, null);
  assert.ok(a.database);
});

test('a session opened on one server is served by the other', async () => {
  const login = await a.call({ q: 'civicrm/login', key: a.siteKey, name: 'editor', pass: a.users.editor.password, json: 1 });
  const session = login.json();
  assert.equal(session.is_error, 0);
  const onB = await b.call({ q: 'civicrm/contact/search_count', key: b.siteKey, PHPSESSID: session.PHPSESSID, json: 1 });
  const body = onB.json();
  assert.equal(body.is_error, 0, JSON.stringify(body));
  assert.ok(body.result >= 3);
});

test('a key replaced through one server is refused by the other at once', async () => {
  const old = a.users.viewer.apiKey;
  assert.equal((await v4(b, '/Contact/get', { select: ['id'], limit: 1 }, old)).status, 200);
  const out = await kithCli(['user', 'key', 'viewer', '--data', a.dataDir]);
  const fresh = out.trim().split('\n').pop();
  assert.equal((await v4(b, '/Contact/get', { select: ['id'], limit: 1 }, old)).status, 401);
  assert.equal((await v4(b, '/Contact/get', { select: ['id'], limit: 1 }, fresh)).status, 200);
});

test('an option label changed through one server is answered by the other at once', async () => {
  const v3 = async (server, entity, action, params) => {
    const r = await server.call({ entity, action, json: JSON.stringify(params), key: server.siteKey, api_key: server.users.admin.apiKey },
      { method: /^get/.test(action) ? 'GET' : 'POST', path: '/civicrm/ajax/rest' });
    const body = r.json();
    assert.equal(body.is_error, 0, r.text);
    return body;
  };
  const option = await v3(a, 'OptionValue', 'create', { option_group_id: 'individual_suffix', label: 'Shared I', value: '96', name: 'shared_i' });
  const contact = await v3(a, 'Contact', 'create', { contact_type: 'Individual', last_name: 'Labelled', suffix_id: '96' });
  const suffixOn = async (server) => (await v3(server, 'Contact', 'get', { id: contact.id })).values[contact.id].individual_suffix;
  // 3.2's contact search, JSON and XML.
  const search32 = (server, json) => server.call({ q: 'civicrm/contact/search', key: server.siteKey,
    api_key: server.users.admin.apiKey, contact_id: contact.id, ...(json ? { json: 1 } : {}) });
  const suffix32 = async (server) => (await search32(server, true)).json()[0].individual_suffix;
  const suffix32Xml = async (server) => /<individual_suffix>([^<]*)<\/individual_suffix>/.exec((await search32(server, false)).text)?.[1];
  assert.equal(await suffixOn(b), 'Shared I');
  assert.equal(await suffix32(b), 'Shared I');
  assert.equal(await suffix32Xml(b), 'Shared I');
  await v3(a, 'OptionValue', 'create', { id: option.id, label: 'Shared II' });
  assert.equal(await suffixOn(b), 'Shared II');
  assert.equal(await suffix32(b), 'Shared II');
  assert.equal(await suffix32Xml(b), 'Shared II');
});

test('a key disabled through one server is refused by the other on its very next get', async () => {
  // B has served (and remembered) the key; its gets read in one round trip
  // with the check of the users' change count (a pipelined read).
  const key = 'pipelined-reader-key-0123456789';
  await kithCli(['user', 'add', 'pipelined', '--data', a.dataDir, '--password', 'pipelined-pw',
    '--role', 'viewer', '--api-key', key]);
  const made = await v4(a, '/Contact/create', { values: { contact_type: 'Individual', last_name: 'Pipelined' } });
  const id = made.body.values[0].id;
  const byId = (server) => v4(server, '/Contact/get', { select: ['id', 'display_name'], where: [['id', '=', id]] }, key);
  for (let i = 0; i < 3; i++) assert.equal((await byId(b)).status, 200);
  // Gets on B while the key is disabled: each is answered as before the
  // commit (200) or after it (401), never with what B remembered mixed with
  // what changed (B learns the users' new change count from its get's own
  // check, or from its background reads within 200 ms).
  let disabled = false;
  const disabling = kithCli(['user', 'disable', 'pipelined', '--data', a.dataDir]).then(() => { disabled = true; });
  const seen = [];
  while (!disabled) seen.push((await byId(b)).status);
  await disabling;
  const refused = await byId(b);
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  seen.push(refused.status);
  const firstRefusal = seen.indexOf(401);
  assert.ok(firstRefusal >= 0);
  assert.deepEqual(seen.slice(firstRefusal).filter((s) => s !== 401), [], seen.join(' '));
  assert.deepEqual(seen.slice(0, firstRefusal).filter((s) => s !== 200), [], seen.join(' '));
  assert.equal((await byId(a)).status, 401);
  await kithCli(['user', 'enable', 'pipelined', '--data', a.dataDir]);
  const again = await byId(b);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.values[0].id, id);
});

test('a custom field created through one server is read by the other\'s very next get', async () => {
  const read = (server, select) => v4(server, '/Contact/get', { select, where: [['id', '=', 1]] });
  assert.equal((await read(b, ['id'])).status, 200);  // B's catalog is the old one
  const group = await v4(a, '/CustomGroup/create', { values: { title: 'Pipelined Info', extends: 'Contact' } });
  assert.equal(group.status, 200, JSON.stringify(group.body));
  const field = await v4(a, '/CustomField/create', {
    values: { custom_group_id: group.body.values[0].id, label: 'Hat Size', data_type: 'Int', html_type: 'Text' },
  });
  assert.equal(field.status, 200, JSON.stringify(field.body));
  const got = await read(b, ['id', 'Pipelined_Info.Hat_Size']);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.deepEqual(got.body.values, [{ id: 1, 'Pipelined_Info.Hat_Size': null }]);
});

test('a get that reads more than once is answered whole by the other server, and fresh', async () => {
  // A get by id reads in one statement; one that reads again (option labels
  // of a list field) is done again in a transaction, then read in one.
  const made = await v4(a, '/Contact/create', {
    values: { contact_type: 'Individual', last_name: 'Twice', preferred_communication_method: ['1', '2'] },
  });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const id = made.body.values[0].id;
  const plain = (server) => v4(server, '/Contact/get', { select: ['id', 'last_name'], where: [['id', '=', id]] });
  const labelled = (server) => v4(server, '/Contact/get', {
    select: ['id', 'last_name', 'preferred_communication_method:label'], where: [['id', '=', id]],
  });
  assert.deepEqual((await plain(b)).body.values, [{ id, last_name: 'Twice' }]);
  const expected = (await labelled(a)).body.values;
  assert.equal(expected[0]['preferred_communication_method:label'].length, 2);
  for (let i = 0; i < 3; i++) {
    const got = await labelled(b);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.deepEqual(got.body.values, expected);
  }
  const updated = await v4(a, '/Contact/update', { values: { last_name: 'Thrice' }, where: [['id', '=', id]] });
  assert.equal(updated.status, 200, JSON.stringify(updated.body));
  assert.equal((await labelled(b)).body.values[0].last_name, 'Thrice');
  assert.deepEqual((await plain(b)).body.values, [{ id, last_name: 'Thrice' }]);
});

test('a role changed through one server is served by both at once', async () => {
  const key = a.users.editor.apiKey;
  const create = (server) => v4(server, '/Contact/create', { values: { contact_type: 'Individual', last_name: 'Role' } }, key);
  // Both servers have served (and remembered) the editor's key.
  assert.equal((await create(a)).status, 200);
  assert.equal((await create(b)).status, 200);
  await kithCli(['user', 'role', 'editor', 'viewer', '--data', a.dataDir]);
  for (const server of [a, b]) {
    const r = await create(server);
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.error_message, /insufficient permission/);
  }
  await kithCli(['user', 'role', 'editor', 'editor', '--data', a.dataDir]);
  assert.equal((await create(b)).status, 200);
});

test('a custom field created on one server is served by the other', async () => {
  const group = await v4(a, '/CustomGroup/create', { values: { title: 'Shared Info', extends: 'Contact' } });
  assert.equal(group.status, 200, JSON.stringify(group.body));
  const field = await v4(a, '/CustomField/create', {
    values: { custom_group_id: group.body.values[0].id, label: 'Shoe Size', data_type: 'Int', html_type: 'Text' },
  });
  assert.equal(field.status, 200, JSON.stringify(field.body));
  const created = await v4(b, '/Contact/create', { values: { contact_type: 'Individual', first_name: 'Cinderella', 'Shared_Info.Shoe_Size': 36 } });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const read = await v4(a, '/Contact/get', { select: ['Shared_Info.Shoe_Size'], where: [['id', '=', created.body.values[0].id]] });
  assert.equal(read.body.values[0]['Shared_Info.Shoe_Size'], 36);
});

test('writers racing through both servers keep the invariants', async () => {
  const group = await v4(a, '/Group/create', { values: { title: 'Race Group' } });
  const contact = await v4(a, '/Contact/create', { values: { contact_type: 'Individual', first_name: 'Racer' } });
  const groupId = group.body.values[0].id;
  const contactId = contact.body.values[0].id;
  const before = (await v4(a, '/Contact/get', { select: ['row_count'] })).body.count;
  const calls = [];
  // Forty saves of one membership: each retried attempt takes its turn, so
  // none runs out of attempts (twenty ran out once under ASan before).
  for (let i = 0; i < 40; i++) {
    const server = i % 2 ? a : b;
    calls.push(v4(server, '/Contact/create', { values: { contact_type: 'Individual', first_name: `Writer ${i}` } }));
    calls.push(v4(server, '/GroupContact/save', { records: [{ group_id: groupId, contact_id: contactId, status: 'Added' }], match: ['group_id', 'contact_id'] }));
  }
  const answers = await Promise.all(calls);
  for (const r of answers) assert.equal(r.status, 200, JSON.stringify(r.body) + a.stderr + b.stderr);
  const after = (await v4(b, '/Contact/get', { select: ['row_count'] })).body.count;
  assert.equal(after, before + 40);
  const rows = await v4(b, '/GroupContact/get', { where: [['group_id', '=', groupId], ['contact_id', '=', contactId]] });
  assert.equal(rows.body.values.length, 1, JSON.stringify(rows.body));
});
