#!/usr/bin/env node
// Crash test: kills `kith serve` with SIGKILL at random moments while
// concurrent clients write over all three protocols, and checks after each
// restart that every write the server acknowledged is there (and, on SQLite,
// that PRAGMA integrity_check answers ok). Exit 0 when every trial held,
// 1 otherwise; the last line of output is a JSON report.
//
//   node scripts/crash-test.mjs [--bin build/kith] [--trials 20] [--writers 8]
//        [--min-ms 300] [--max-ms 2500] [--postgresql URL] [--seed N]
//
// The writes: 3.2 contact/add and group_contact/add, APIv3 Contact.create
// and GroupContact.create, APIv4 Contact.create, Contact.save and
// GroupContact.create. A contact is known by a last name unique to the
// write; a membership by (group, contact). A write is acknowledged when its
// answer arrived and says it succeeded; a write cut off by the kill may or
// may not be there. With --postgresql (a server URL: scripts/pg-cluster.sh)
// kith keeps its data in a fresh database there (the kill is kith's only;
// the database server stays up). The short form (--trials 3) runs in ctest
// (crash_test, crash_test_pg).
import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const bin = path.resolve(option('bin', path.join(here, '../build/kith')));
const trials = Number(option('trials', 20));
const writers = Number(option('writers', 8));
const minMs = Number(option('min-ms', 300));
const maxMs = Number(option('max-ms', 2500));
const pgServer = option('postgresql', '');
let seed = Number(option('seed', Date.now() % 1000000));
const firstSeed = seed;

// A small deterministic random source, so that a failing run can be repeated.
function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

const REST = '/civicrm/extern/rest.php';
const API4 = '/civicrm/ajax/api4';

async function kith(args) {
  const { stdout } = await execFileP(bin, args, { timeout: 60_000 });
  return stdout.trim().split('\n').pop().trim();
}

function psql(sql) {
  execFileSync('psql', [pgServer, '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

// Starts `kith serve`; resolves with {child, baseUrl} once /healthz answers.
async function serve(dataDir) {
  const child = spawn(bin, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kith serve printed no port; stderr: ${err}`)), 30_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /kith serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kith serve exited (code ${code}, signal ${signal}); stderr: ${err}`));
    });
  });
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', resolve);
  });
  return { child, exited, baseUrl: `http://127.0.0.1:${port}`, stderr: () => err };
}

function form(params) {
  return Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

async function post(baseUrl, urlPath, params, headers = {}) {
  const r = await fetch(baseUrl + urlPath, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(params),
  });
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not acknowledged */ }
  return { status: r.status, body };
}

async function main() {
  const dir = await mkdtemp(path.join(tmpdir(), 'kith-crash-'));
  const dataDir = path.join(dir, 'data');
  let pgDb = null;
  const initArgs = ['init', '--data', dataDir];
  if (pgServer) {
    pgDb = `kith_crash_${process.pid}`;
    psql(`DROP DATABASE IF EXISTS ${pgDb}`);
    psql(`CREATE DATABASE ${pgDb}`);
    initArgs.push('--database', withDatabase(pgServer, pgDb));
  }
  let server = null;
  const report = { store: pgServer ? 'postgresql' : 'sqlite', seed: firstSeed, trials: [], acknowledged: 0, missing: [] };
  try {
    const siteKey = await kith(initArgs);
    const apiKey = await kith(['user', 'add', 'crasher', '--data', dataDir, '--password', 'crash-Pass-1', '--role', 'admin']);
    const v3 = { key: siteKey, api_key: apiKey, json: 1 };
    const v4 = { 'X-Civi-Auth': `Bearer ${apiKey}`, 'X-Civi-Key': siteKey };

    server = await serve(dataDir);
    const group = await post(server.baseUrl, `${API4}/Group/create`,
      { params: JSON.stringify({ values: { title: 'Crash survivors', name: 'crash_survivors' } }) }, v4);
    const groupId = group.body?.values?.[0]?.id;
    if (!groupId) throw new Error(`cannot create the group: ${JSON.stringify(group)}`);

    const contacts = new Map();  // last name -> acknowledged contact id (or null: id not answered)
    const members = new Set();   // contact ids acknowledged as members of the group
    let serial = 0;

    // The writes, each returning the contact id it acknowledged (or null).
    const createContact = [
      async (base, name) => {  // 3.2
        const r = await post(base, REST, { q: 'civicrm/contact/add', contact_type: 'Individual', first_name: 'Crash', last_name: name, ...v3 });
        return r.status === 200 && r.body?.is_error === 0 ? r.body.contact_id : undefined;
      },
      async (base, name) => {  // APIv3
        const r = await post(base, REST, { entity: 'Contact', action: 'create', ...v3,
          json: JSON.stringify({ contact_type: 'Individual', first_name: 'Crash', last_name: name }) });
        return r.status === 200 && r.body?.is_error === 0 ? r.body.id : undefined;
      },
      async (base, name) => {  // APIv4 create
        const r = await post(base, `${API4}/Contact/create`,
          { params: JSON.stringify({ values: { contact_type: 'Individual', first_name: 'Crash', last_name: name } }) }, v4);
        return r.status === 200 && r.body?.values?.[0]?.id ? r.body.values[0].id : undefined;
      },
      async (base, name) => {  // APIv4 save
        const r = await post(base, `${API4}/Contact/save`,
          { params: JSON.stringify({ records: [{ contact_type: 'Individual', first_name: 'Crash', last_name: name }] }) }, v4);
        return r.status === 200 && r.body?.values?.[0]?.id ? r.body.values[0].id : undefined;
      },
    ];
    const addMember = [
      async (base, id) => {  // 3.2
        const r = await post(base, REST, { q: 'civicrm/group_contact/add', contact_id: id, group_id: groupId, ...v3 });
        return r.status === 200 && r.body?.is_error === 0 && r.body.added === 1;
      },
      async (base, id) => {  // APIv3
        const r = await post(base, REST, { entity: 'GroupContact', action: 'create', ...v3,
          json: JSON.stringify({ contact_id: id, group_id: groupId }) });
        return r.status === 200 && r.body?.is_error === 0;
      },
      async (base, id) => {  // APIv4
        const r = await post(base, `${API4}/GroupContact/create`,
          { params: JSON.stringify({ values: { contact_id: id, group_id: groupId } }) }, v4);
        return r.status === 200 && r.body?.values?.length === 1;
      },
    ];

    // One writer: contacts, and every other one added to the group, until
    // the server is gone.
    async function writer(base, state) {
      while (!state.killed) {
        const name = `crash-${process.pid}-${++serial}`;
        const how = Math.floor(random() * createContact.length);
        let id;
        try { id = await createContact[how](base, name); } catch { return; }
        if (id === undefined) {
          if (state.killed) return;
          throw new Error(`a write was refused with the server up: ${name}`);
        }
        contacts.set(name, Number(id));
        report.acknowledged++;
        if (random() < 0.5) {
          const via = Math.floor(random() * addMember.length);
          let ok;
          try { ok = await addMember[via](base, id); } catch { return; }
          if (!ok) {
            if (state.killed) return;
            throw new Error(`a membership was refused with the server up: contact ${id}`);
          }
          members.add(Number(id));
          report.acknowledged++;
        }
      }
    }

    // What the database holds now, read over APIv4.
    async function check(base, trial) {
      const got = await post(base, `${API4}/Contact/get`,
        { params: JSON.stringify({ select: ['id', 'last_name'], where: [['last_name', 'LIKE', 'crash-%']], limit: 0 }) }, v4);
      if (got.status !== 200) throw new Error(`Contact.get answered ${got.status}: ${JSON.stringify(got.body)}`);
      const held = new Map(got.body.values.map((c) => [c.last_name, c.id]));
      const gc = await post(base, `${API4}/GroupContact/get`,
        { params: JSON.stringify({ select: ['contact_id'], where: [['group_id', '=', groupId], ['status', '=', 'Added']], limit: 0 }) }, v4);
      if (gc.status !== 200) throw new Error(`GroupContact.get answered ${gc.status}: ${JSON.stringify(gc.body)}`);
      const inGroup = new Set(gc.body.values.map((m) => m.contact_id));
      for (const [name, id] of contacts) {
        if (held.get(name) !== id) report.missing.push({ trial, contact: name, id, found: held.get(name) ?? null });
      }
      for (const id of members) {
        if (!inGroup.has(id)) report.missing.push({ trial, membership: id });
      }
      return { contacts: held.size, members: inGroup.size };
    }

    for (let trial = 1; trial <= trials; trial++) {
      const state = { killed: false };
      const base = server.baseUrl;
      const loops = Array.from({ length: writers }, () => writer(base, state));
      const ms = Math.round(minMs + random() * (maxMs - minMs));
      await new Promise((r) => setTimeout(r, ms));
      state.killed = true;
      server.child.kill('SIGKILL');
      await server.exited;
      await Promise.all(loops);
      let integrity = 'n/a (PostgreSQL)';
      if (!pgServer) {
        integrity = execFileSync('sqlite3', [path.join(dataDir, 'kith.db'), 'PRAGMA integrity_check;'],
          { encoding: 'utf8' }).trim();
      }
      server = await serve(dataDir);
      const held = await check(server.baseUrl, trial);
      const entry = { trial, killed_after_ms: ms, acknowledged: report.acknowledged, ...held, integrity };
      report.trials.push(entry);
      console.log(JSON.stringify(entry));
      if (!pgServer && integrity !== 'ok') report.missing.push({ trial, integrity });
    }
  } finally {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await rm(dir, { recursive: true, force: true });
    if (pgDb) {
      try { psql(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`); } catch { /* reported elsewhere */ }
    }
  }
  const ok = report.missing.length === 0 && report.trials.length === trials && report.acknowledged > 0;
  console.log(JSON.stringify({ ok, store: report.store, seed: report.seed, trials: report.trials.length,
    acknowledged: report.acknowledged, missing: report.missing.slice(0, 20) }));
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(err.stack || String(err));
  console.log(JSON.stringify({ ok: false, error: String(err.message || err) }));
  process.exit(1);
});
