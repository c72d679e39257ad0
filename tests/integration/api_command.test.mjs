// `kith api ENTITY ACTION ...`: one APIv4 call as `cv api4` makes it,
// against the data directory of a running server (through the same
// dispatcher) or over HTTP with --url; the same envelope the HTTP API
// answers, tables and CSV, errors on stderr with a non-zero exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { adminApi4Raw, kithForSuite, runKith } from './harness.mjs';

const kith = kithForSuite();

function kithApi(args, { local = true } = {}) {
  return runKith(['api', ...args, ...(local ? ['--data', kith.dataDir] : [])]);
}

test('field=value sets values on create; the answer is the HTTP API envelope', async () => {
  const r = await kithApi(['Contact', 'create', 'first_name=Ada', 'last_name=Clison',
    'email_primary.email=ada@cli.example', 'contact_type=Individual']);
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout);
  assert.equal(body.entity, 'Contact');
  assert.equal(body.action, 'create');
  assert.equal(body.version, 4);
  assert.equal(body.count, 1);
  assert.equal(body.values[0].display_name, 'Ada Clison');
  assert.equal(body.values[0]['email_primary.email'], 'ada@cli.example');
});

test('a get prints byte for byte what the HTTP API answers', async () => {
  const params = { select: ['id', 'display_name', 'email_primary.email'], where: [['last_name', '=', 'Clison']] };
  const cli = await kithApi(['Contact', 'get', '--json', JSON.stringify(params)]);
  assert.equal(cli.code, 0, cli.stderr);
  const http = await adminApi4Raw(kith, 'Contact', 'get', params);
  assert.equal(http.status, 200);
  assert.equal(cli.stdout, `${http.text}\n`);
});

test('field=value is a where on get and delete; +s, +w, +o, +l, {json} and param=value as cv api4', async () => {
  for (const name of ['Bea', 'Cal', 'Dot']) {
    const r = await kithApi(['Contact', 'create', `first_name=${name}`, 'last_name=Wherson']);
    assert.equal(r.code, 0, r.stderr);
  }
  let r = await kithApi(['Contact', 'get', 'last_name=Wherson', 'first_name=Cal', '+s', 'first_name']);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => c.first_name), ['Cal']);

  r = await kithApi(['Contact', 'get', '+w', 'last_name = Wherson', '+w=first_name != Cal',
    '+s', 'first_name,last_name', '+o', 'first_name DESC', '+l', '5']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => [c.first_name, c.last_name]),
    [['Dot', 'Wherson'], ['Bea', 'Wherson']]);

  r = await kithApi(['Contact', 'get', '+w', 'first_name IN ["Bea","Dot"]', '+s:first_name',
    '+o', 'first_name', '+l', '1@1']);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => c.first_name), ['Dot']);

  r = await kithApi(['Contact', 'get', 'last_name=Wherson', 'select=["first_name"]', 'limit=2',
    '{"orderBy":{"first_name":"DESC"}}']);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => c.first_name), ['Dot', 'Cal']);

  // update: the values to set, and the record by id.
  const cal = JSON.parse((await kithApi(['Contact', 'get', 'first_name=Cal', 'last_name=Wherson', '+s', 'id'])).stdout).values[0];
  r = await kithApi(['Contact', 'update', `id=${cal.id}`, 'nick_name=Cally']);
  assert.equal(r.code, 0, r.stderr);
  r = await kithApi(['Contact', 'update', '+w', `id = ${cal.id}`, '+v', 'job_title=Tester']);
  assert.equal(r.code, 0, r.stderr);
  r = await kithApi(['Contact', 'get', `id=${cal.id}`, '+s', 'nick_name,job_title']);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => [c.nick_name, c.job_title]), [['Cally', 'Tester']]);

  // delete: field=value is the where; useTrash=false a param.
  r = await kithApi(['Contact', 'delete', 'first_name=Bea', 'last_name=Wherson', 'useTrash=false']);
  assert.equal(r.code, 0, r.stderr);
  r = await kithApi(['Contact', 'get', 'last_name=Wherson', '+s', 'first_name', '+o', 'first_name']);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => c.first_name), ['Cal', 'Dot']);

  // save: field=value makes its one record.
  r = await kithApi(['Contact', 'save', 'first_name=Eve', 'last_name=Wherson']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).values[0].display_name, 'Eve Wherson');
});

test('--format table and csv print the values', async () => {
  let r = await kithApi(['Contact', 'get', 'last_name=Wherson', '+s', 'first_name,nick_name', '+o', 'first_name', '--format', 'table']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    '+------------+-----------+',
    '| first_name | nick_name |',
    '+------------+-----------+',
    '| Cal        | Cally     |',
    '| Dot        |           |',
    '| Eve        |           |',
    '+------------+-----------+',
    ''].join('\n'));
  await kithApi(['Contact', 'create', 'first_name=Quote, "Q"', 'last_name=Csvson']);
  r = await kithApi(['Contact', 'get', 'last_name=Csvson', '+s', 'first_name,last_name,is_deleted', '--format', 'csv']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'first_name,last_name,is_deleted\n"Quote, ""Q""",Csvson,0\n');
});

test('--user runs with that user\'s role; errors go to stderr with a non-zero exit', async () => {
  let r = await kithApi(['Contact', 'create', 'first_name=Nope', 'last_name=Viewerson', '--user', 'viewer']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const envelope = JSON.parse(r.stderr.split('\n')[0]);
  assert.equal(envelope.status, 403);
  assert.match(r.stderr, /^kith: .*permission/im);
  r = await kithApi(['Contact', 'get', 'last_name=Viewerson', '--user', 'viewer']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).count, 0);
  r = await kithApi(['Contact', 'get', '--user', 'nobody']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no user named nobody/);

  r = await kithApi(['Contact', 'frobnicate']);
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stderr.split('\n')[0]).status, 404);
  assert.match(r.stderr, /kith: Api Contact frobnicate version 4 does not exist/);
  r = await kithApi(['Contact', 'create', 'first_name=X', 'shoe_size=42']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /shoe_size/);
  r = await kithApi(['Contact', 'get', '+w', 'first_name ~~ x']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read \+where/);
  r = await kithApi(['Contact', 'get', 'nonsense']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read argument 'nonsense'/);
  r = await kithApi(['Contact', 'get', '--json', '[1]']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--json takes a JSON object/);
  r = await kithApi(['Contact', 'get', '--format', 'xml']);
  assert.notEqual(r.code, 0);
  r = await kithApi(['Contact', 'get'], { local: false });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /either --data DIR or --url/);
});

test('--url calls a running server over HTTP with --api-key', async () => {
  const remote = ['--url', kith.baseUrl, '--api-key', kith.users.admin.apiKey];
  let r = await kithApi(['Contact', 'get', 'last_name=Wherson', '+s', 'first_name', '+o', 'first_name', ...remote], { local: false });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).values.map((c) => c.first_name), ['Cal', 'Dot', 'Eve']);
  r = await kithApi(['Contact', 'get', 'last_name=Wherson', '+s', 'first_name', '+o', 'first_name', '+l', '1', '--format', 'csv', ...remote], { local: false });
  assert.equal(r.stdout, 'first_name\nCal\n');
  r = await kithApi(['Contact', 'create', 'first_name=Remote', 'last_name=Urlson', '--site-key', kith.siteKey, ...remote], { local: false });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).values[0].display_name, 'Remote Urlson');

  r = await kithApi(['Contact', 'create', 'first_name=No', '--url', kith.baseUrl, '--api-key', kith.users.viewer.apiKey], { local: false });
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.stderr.split('\n')[0]).status, 403);
  r = await kithApi(['Contact', 'get', '--url', kith.baseUrl, '--api-key', 'wrong-key'], { local: false });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /HTTP 401/);
  r = await kithApi(['Contact', 'get', '--url', kith.baseUrl], { local: false });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--url needs --api-key/);
  r = await kithApi(['Contact', 'get', '--url', 'http://127.0.0.1:1', '--api-key', 'k'], { local: false });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach/);
  r = await kithApi(['Contact', 'get', '--url', 'https://example.org', '--api-key', 'k'], { local: false });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--url takes http:/);
});
