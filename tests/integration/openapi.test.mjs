// OpenAPI (issue 17.4): GET /civicrm/ajax/api4/openapi.json and `kith
// openapi` describe APIv4 as this server serves it, validated as OpenAPI 3.1
// by @seriousme/openapi-schema-validator. The document follows the live
// catalog (a custom field added over the API appears, with its options) and
// the action registry (an extension's action appears), and is cut to what
// the caller may call.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startKith, kithCli } from './harness.mjs';

const OPENAPI = '/civicrm/ajax/api4/openapi.json';
const HELLO = `
kith.action("Hello", "get", {
  permission = {},
  params = { name = { type = "String", title = "Who", required = true } },
  run = function(p) return { greeting = "hello " .. p.name } end,
})
`;

let kith;

before(async () => {
  kith = await startKith({ files: { 'extensions/hello.lua': HELLO } });
});
after(async () => { await kith?.stop(); });

function auth(user = 'admin') {
  return { 'X-Civi-Auth': `Bearer ${kith.users[user].apiKey}`, 'X-Civi-Key': kith.siteKey };
}

async function fetchDocument(user = 'admin') {
  const r = await kith.raw(OPENAPI, { headers: auth(user) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'application/json');
  return r.json();
}

// The admin's document as the server starts (fetched once).
let first;
async function firstDocument() {
  first ??= await fetchDocument();
  return first;
}

async function api4(entity, action, params) {
  const r = await kith.raw(`/civicrm/ajax/api4/${entity}/${action}`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
    body: `params=${encodeURIComponent(JSON.stringify(params))}`,
  });
  assert.equal(r.status, 200, r.text);
  return r.json();
}

async function assertValid(doc) {
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
}

describe('openapi.json', () => {
  test('is a valid OpenAPI 3.1 document of every APIv4 entity and action', async () => {
    const doc = await firstDocument();
    await assertValid(doc);
    assert.equal(doc.openapi, '3.1.0');
    const entities = (await api4('Entity', 'get', { select: ['name'] })).values.map((e) => e.name);
    for (const entity of entities) {
      const actions = (await api4(entity, 'getActions', { select: ['name'] })).values.map((a) => a.name);
      for (const action of actions) {
        assert.ok(doc.paths[`/civicrm/ajax/api4/${entity}/${action}`]?.post, `${entity}.${action} missing`);
      }
    }
    assert.ok(doc.paths['/civicrm/ajax/api4'].post, 'the calls= form');
  });

  test('params per action, record schemas with types and options, auth schemes', async () => {
    const doc = await firstDocument();
    const schemas = doc.components.schemas;
    const post = doc.paths['/civicrm/ajax/api4/Contact/get'].post;
    const form = post.requestBody.content['application/x-www-form-urlencoded'].schema;
    assert.equal(form.properties.params.contentMediaType, 'application/json');
    assert.deepEqual(form.properties.params.contentSchema, { $ref: '#/components/schemas/Contact.get.params' });
    assert.ok(doc.paths['/civicrm/ajax/api4/Contact/get'].get, 'a read action takes GET too');
    assert.equal(doc.paths['/civicrm/ajax/api4/Contact/create'].get, undefined);
    const getParams = schemas['Contact.get.params'].properties;
    for (const p of ['select', 'where', 'orderBy', 'limit', 'offset', 'join', 'groupBy', 'chain']) {
      assert.ok(getParams[p], `Contact.get takes ${p}`);
    }
    assert.deepEqual(schemas['Contact.create.params'].required, ['values']);
    assert.deepEqual(schemas['Contact.save.params'].properties.records.items, { $ref: '#/components/schemas/Contact' });
    assert.ok(schemas['Contact.delete.params'].properties.useTrash);
    const contact = schemas.Contact.properties;
    assert.equal(contact.id.type, 'integer');  // not nullable, as getFields says
    assert.equal(contact.id.readOnly, true);
    assert.deepEqual(contact.birth_date.type, ['string', 'null']);
    assert.equal(contact.birth_date.format, 'date');
    assert.ok([contact.is_deceased.type].flat().includes('boolean'));
    const genders = contact.gender_id.anyOf[0].oneOf;
    assert.deepEqual(genders.find((g) => g.const === 1), { const: 1, title: 'Female' });
    assert.ok(contact['gender_id:name'].enum.includes('Female'));
    // An option list of linked records is kept once and referenced.
    assert.deepEqual(schemas.Address.properties.country_id.anyOf[0], { $ref: '#/components/schemas/Country.option' });
    assert.ok(schemas['Country.option'].oneOf.some((c) => c.title === 'France'));
    assert.deepEqual(schemas.Email.properties.contact_id['x-fk-entity'], 'Contact');
    const schemes = doc.components.securitySchemes;
    assert.deepEqual(schemes.civiAuth, { type: 'apiKey', in: 'header', name: 'X-Civi-Auth',
      description: schemes.civiAuth.description });
    assert.equal(schemes.apiKey.name, 'api_key');
    assert.equal(schemes.siteKey.name, 'X-Civi-Key');
  });

  test('follows the live catalog: a new custom field appears with its options', async () => {
    const before = await firstDocument();
    assert.equal(before.components.schemas.Contact.properties['openapi_info.colour'], undefined);
    const group = (await api4('CustomGroup', 'create', {
      values: { title: 'OpenAPI Info', name: 'openapi_info', extends: 'Individual' },
    })).values[0];
    await api4('CustomField', 'create', {
      values: { custom_group_id: group.id, label: 'Colour', name: 'colour', data_type: 'String', html_type: 'Select',
        option_values: { r: 'Red', g: 'Green' } },
    });
    const doc = await fetchDocument();
    await assertValid(doc);
    const colour = doc.components.schemas.Contact.properties['openapi_info.colour'];
    assert.equal(colour.title, 'Colour');
    assert.deepEqual(colour.anyOf[0].oneOf, [{ const: 'r', title: 'Red' }, { const: 'g', title: 'Green' }]);
    assert.equal(typeof colour['x-custom-field-id'], 'number');
  });

  test("an extension's action, with its own parameters", async () => {
    const doc = await firstDocument();
    assert.ok(doc.paths['/civicrm/ajax/api4/Hello/get'].post);
    const params = doc.components.schemas['Hello.get.params'];
    assert.deepEqual(params.required, ['name']);
    assert.equal(params.properties.name.title, 'Who');
  });

  test("only what the caller may call: a viewer's document has no writes", async () => {
    const doc = await fetchDocument('viewer');
    await assertValid(doc);
    assert.ok(doc.paths['/civicrm/ajax/api4/Contact/get']);
    assert.equal(doc.paths['/civicrm/ajax/api4/Contact/create'], undefined);
  });

  test('refused without a good credential, as every APIv4 request', async () => {
    const bad = await kith.raw(OPENAPI, { headers: { 'X-Civi-Auth': 'Bearer nope' } });
    assert.equal(bad.status, 401);
    const none = await kith.raw(OPENAPI);
    assert.equal(none.status, 400);
    assert.match(none.json().error_message, /SECURITY ALERT/);
  });

  test('kith openapi --data prints the same document', async () => {
    const printed = JSON.parse(await kithCli(['openapi', '--data', kith.dataDir]));
    await assertValid(printed);
    assert.deepEqual(Object.keys(printed.paths).sort(), Object.keys((await fetchDocument()).paths).sort());
  });

  test('kith api --openapi prints it too, from the data directory or a running server', async () => {
    const served = Object.keys((await fetchDocument()).paths).sort();
    const local = JSON.parse(await kithCli(['api', '--openapi', '--data', kith.dataDir]));
    assert.deepEqual(Object.keys(local.paths).sort(), served);
    const remote = JSON.parse(await kithCli(['api', '--openapi', '--url', kith.baseUrl,
      '--api-key', kith.users.admin.apiKey, '--site-key', kith.siteKey]));
    await assertValid(remote);
    assert.deepEqual(Object.keys(remote.paths).sort(), served);
  });
});
