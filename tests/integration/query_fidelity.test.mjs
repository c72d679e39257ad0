// CiviCRM's answers to the query features and writes of issue 16 that the
// corpus shows only once each, written from CiviCRM's rules with data of
// their own: APIv4's SQL functions (aggregates with GROUP_CONCAT's list
// answer, and the scalar ones) in select, having and orderBy; the mandatory
// fields an APIv4 create names; the current employer an APIv3 relationship
// leaves alone; activity_name on a contact's activities; the contact-level
// check of a write of a contact's data by a user who may not edit it.

import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { encodeParams, kithForSuite, api3, api3ok } from './harness.mjs';

const kith = kithForSuite();
const API4 = '/civicrm/ajax/api4';
let run = 0;

function uniq(prefix) {
  run += 1;
  return `${prefix}${Date.now().toString(36)}${run}`;
}

const v3 = (entity, action, params, user) => api3(kith, entity, action, params, user);

const v3ok = (entity, action, params) => api3ok(kith, entity, action, params);

async function post4(entity, action, params) {
  return kith.raw(`${API4}/${entity}/${action}`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`, 'X-Civi-Key': kith.siteKey,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: encodeParams({ params: JSON.stringify(params) }),
  });
}

async function api4(entity, action, params = {}) {
  const r = await post4(entity, action, params);
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  return r.json();
}

async function api4Error(entity, action, params) {
  const r = await post4(entity, action, params);
  assert.equal(r.status, 400, `${entity}.${action}: ${r.text}`);
  return r.json().error_message;
}

describe('APIv4 SQL functions', () => {
  const last = uniq('Fn');
  const people = [
    { first_name: 'Uma', job_title: 'Baker', birth_date: '1980-01-01' },
    { first_name: 'Abe', job_title: 'Baker', birth_date: '1985-05-20' },
    { first_name: 'Kim', job_title: 'Baker', birth_date: '1985-05-20' },
    { first_name: 'Zed', job_title: 'Smith', birth_date: '1970-12-31' },
    { first_name: 'Ivy', birth_date: null },
  ];
  const where = [['last_name', '=', last]];
  let ids = [];
  before(async () => {
    const made = await api4('Contact', 'save', {
      records: people.map((p) => ({ ...p, last_name: last })), defaults: { contact_type: 'Individual' },
    });
    ids = made.values.map((v) => v.id);
  });

  test('GROUP_CONCAT answers a list in its ORDER BY (typed), a text with a SEPARATOR', async () => {
    const r = await api4('Contact', 'get', {
      select: [
        'job_title', 'COUNT(id) AS n', 'GROUP_CONCAT(first_name ORDER BY first_name DESC) AS names',
        'GROUP_CONCAT(DISTINCT birth_date ORDER BY birth_date ASC SEPARATOR "|") AS births',
        'GROUP_CONCAT(id ORDER BY id) AS ids', 'MAX(birth_date) AS youngest', 'COUNT(DISTINCT birth_date) AS dates',
      ],
      where, groupBy: ['job_title'], orderBy: { job_title: 'ASC' },
    });
    assert.deepEqual(r.values, [
      { job_title: null, n: 1, names: ['Ivy'], births: null, ids: [ids[4]], youngest: null, dates: 0 },
      {
        job_title: 'Baker', n: 3, names: ['Uma', 'Kim', 'Abe'], births: '1980-01-01|1985-05-20',
        ids: [ids[0], ids[1], ids[2]], youngest: '1985-05-20', dates: 2,
      },
      { job_title: 'Smith', n: 1, names: ['Zed'], births: '1970-12-31', ids: [ids[3]], youngest: '1970-12-31', dates: 1 },
    ]);
  });

  test('an unaliased function is keyed FN:field; having and orderBy name an alias or the expression', async () => {
    const r = await api4('Contact', 'get', {
      select: ['job_title', 'COUNT(id)', 'SUM(id) AS total'],
      where, groupBy: ['job_title'], having: [['COUNT(id)', '>', 1]], orderBy: { total: 'DESC' },
    });
    assert.deepEqual(r.values, [{ job_title: 'Baker', 'COUNT:id': 3, total: ids[0] + ids[1] + ids[2] }]);
    const all = await api4('Contact', 'get', { select: ['COUNT(id) AS n'], where });
    assert.deepEqual(all.values, [{ n: 5 }]);
  });

  test('scalar functions keep the id and type their answers', async () => {
    const r = await api4('Contact', 'get', {
      select: [
        'CONCAT(first_name, " ", last_name) AS full', 'UPPER(first_name) AS up', 'YEAR(birth_date) AS y',
        "COALESCE(job_title, 'none') AS job", "IF(is_deceased, 'dead', 'alive') AS state",
        'LEFT(first_name, 2) AS two', 'ISNULL(birth_date) AS unborn', 'CONCAT_WS("-", first_name, job_title) AS ws',
      ],
      where, orderBy: { id: 'ASC' },
    });
    assert.deepEqual(r.values[0], {
      id: ids[0], full: `Uma ${last}`, up: 'UMA', y: 1980, job: 'Baker', state: 'alive', two: 'Um',
      unborn: false, ws: 'Uma-Baker',
    });
    assert.deepEqual(r.values[4], {
      id: ids[4], full: `Ivy ${last}`, up: 'IVY', y: null, job: 'none', state: 'alive', two: 'Iv',
      unborn: true, ws: 'Ivy',
    });
  });

  test('CiviCRM\'s errors: lowercase names, unknown functions, wrong arity, a field name as alias', async () => {
    assert.equal(await api4Error('Contact', 'get', { select: ['count(id)'], where }), 'Sql function must be uppercase.');
    assert.equal(await api4Error('Contact', 'get', { select: ['FOO(id)'], where }), 'Unable to parse sql expression: FOO(id)');
    assert.equal(await api4Error('Contact', 'get', { select: ['LEFT(first_name)'], where }),
      'Too few arguments to param 2 for SQL function LEFT');
    assert.equal(await api4Error('Contact', 'get', { select: ['UPPER(last_name) AS first_name'], where }),
      'Cannot use existing field name as alias');
    // An expression naming an unknown field is left out without an error.
    const r = await api4('Contact', 'get', { select: ['UPPER(no_such_field) AS x', 'first_name'], where: [['id', '=', ids[0]]] });
    assert.deepEqual(r.values, [{ id: ids[0], first_name: 'Uma' }]);
  });
});

describe('what CiviCRM names as missing on an APIv4 create', () => {
  test('a group without title lists name, title and frontend_title; a title alone is enough', async () => {
    assert.equal(await api4Error('Group', 'create', { values: { description: 'none' } }),
      'Mandatory values missing from Api4 Group::create: name, title, frontend_title');
    const title = uniq('Grp ');
    const made = await api4('Group', 'create', { values: { title } });
    assert.equal(made.values[0].frontend_title, title);
  });
});

describe('the current employer and relationships (APIv3)', () => {
  test('an Employee of relationship leaves it alone; disabling one clears an employer it names', async () => {
    const org = (await v3ok('Contact', 'create', { contact_type: 'Organization', organization_name: uniq('Org ') })).id;
    const person = (await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Em', last_name: uniq('Ploy') })).id;
    const rel = (await v3ok('Relationship', 'create', { contact_id_a: person, contact_id_b: org, relationship_type_id: 5 })).id;
    let c = await v3ok('Contact', 'getsingle', { id: person, return: 'current_employer,employer_id' });
    assert.equal(c.current_employer, '');
    const fromOrg = await v3ok('Relationship', 'get', { contact_id: org, sequential: 1 });
    assert.equal(fromOrg.values[0].employer_id, '');
    // The contact's own employer write sets it; disabling the relationship clears it.
    await api4('Contact', 'update', { values: { employer_id: org }, where: [['id', '=', person]] });
    c = await v3ok('Contact', 'getsingle', { id: person, return: 'current_employer' });
    assert.notEqual(c.current_employer, '');
    await v3ok('Relationship', 'create', { id: rel, is_active: 0 });
    c = await v3ok('Contact', 'getsingle', { id: person, return: 'current_employer' });
    assert.equal(c.current_employer, '');
  });
});

describe('APIv3 activities of a contact', () => {
  test('answer activity_name after the source contact (where the row shows the type)', async () => {
    const who = (await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Act', last_name: uniq('Ivity') })).id;
    const subject = uniq('Call ');
    await v3ok('Activity', 'create', { activity_type_id: 'Phone Call', subject, target_contact_id: who });
    const bare = await v3ok('Activity', 'get', { contact_id: who, sequential: 1, return: 'subject' });
    assert.equal(bare.values[0].activity_name, undefined);
    const r = await v3ok('Activity', 'get', { contact_id: who, sequential: 1, return: 'subject,activity_type_id' });
    assert.equal(r.values.length, 1);
    assert.equal(r.values[0].subject, subject);
    assert.equal(r.values[0].activity_name, 'Phone Call');
    assert.deepEqual(Object.keys(r.values[0]).slice(-1), ['activity_name']);
    // Not without contact_id.
    const plain = await v3ok('Activity', 'get', { id: r.id, sequential: 1, return: 'subject' });
    assert.equal(plain.values[0].activity_name, undefined);
  });
});

describe('APIv3 writes of a contact\'s data by a user who may not edit it', () => {
  test('note, email and their deletes: "Permission denied to modify contact record"', async () => {
    const who = (await v3ok('Contact', 'create', { contact_type: 'Individual', first_name: 'Pro', last_name: uniq('Tected') })).id;
    const denied = { error_code: 0, is_error: 1, error_message: 'Permission denied to modify contact record' };
    const pick = (b) => ({ error_code: b.error_code, is_error: b.is_error, error_message: b.error_message });
    assert.deepEqual(pick(await v3('Note', 'create', { entity_table: 'civicrm_contact', entity_id: who, note: 'x' }, 'viewer')), denied);
    assert.deepEqual(pick(await v3('Email', 'create', { contact_id: who, email: 'p@example.org' }, 'viewer')), denied);
    const email = (await v3ok('Email', 'create', { contact_id: who, email: 'p@example.org' })).id;
    assert.deepEqual(pick(await v3('Email', 'delete', { id: email }, 'viewer')), denied);
    assert.deepEqual(pick(await v3('Email', 'create', { id: email, email: 'q@example.org' }, 'viewer')), denied);
    // Other entities keep CiviCRM's API permission message.
    const group = await v3('Group', 'create', { title: uniq('Denied ') }, 'viewer');
    assert.equal(group.error_code, 'unauthorized');
  });
});
