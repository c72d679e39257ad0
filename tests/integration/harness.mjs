// Test harness for kith's integration tests: runs a real `kith serve` over a
// fresh data directory and talks to it over HTTP.
//
//   const kith = await startKith();            // in before()
//   const r = await kith.call({q: 'civicrm/ping', key: kith.siteKey, json: 1});
//   await kith.stop();                          // in after()
//
// The binary comes from KITH_BIN (default ../../build/kith relative to this file).
// With KITH_TEST_PG_URL (a PostgreSQL server's URL, scripts/pg-cluster.sh),
// each server keeps its data in a fresh PostgreSQL database of its own
// (`kith init --database`) instead of SQLite, dropped when it stops.

import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { SaxesParser } from 'saxes';
import https from 'node:https';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

export const KITH_BIN = process.env.KITH_BIN
  ? path.resolve(process.env.KITH_BIN)
  : path.resolve(here, '../../build/kith');

export const REST_PATH = '/civicrm/extern/rest.php';
export const AJAX_PATH = '/civicrm/ajax/rest';

// The users every server gets: name -> {password, role}.
export const USERS = {
  admin: { password: 'admin-Pass-1', role: 'admin' },
  editor: { password: 'editor-Pass-2', role: 'editor' },
  viewer: { password: 'viewer-Pass-3', role: 'viewer' },
};

// --- PostgreSQL databases for the servers (KITH_TEST_PG_URL) ---
export const PG_URL = process.env.KITH_TEST_PG_URL || '';

// `url` naming database `db` instead of its own.
function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function psql(sql) {
  execFileSync('psql', [PG_URL, '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: ['ignore', 'ignore', 'pipe'] });
}

// A database migrated once per test process and copied for each server
// (CREATE DATABASE ... TEMPLATE copies files; migrating seeds thousands of
// reference rows); dropped when the process exits.
let pgTemplate = null;
let pgDatabases = 0;
async function freshPgDatabase() {
  if (pgTemplate === null) {
    const name = `kith_it_tpl_${process.pid}`;
    psql(`DROP DATABASE IF EXISTS ${name}`);
    psql(`CREATE DATABASE ${name}`);
    process.on('exit', () => {
      try { psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* the cluster is gone */ }
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'kith-tpl-'));
    try {
      await kithCli(['init', '--data', path.join(dir, 'data'), '--database', withDatabase(PG_URL, name)]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    pgTemplate = name;
  }
  const db = `kith_it_${process.pid}_${pgDatabases++}`;
  psql(`CREATE DATABASE ${db} TEMPLATE ${pgTemplate}`);
  return db;
}

function dropPgDatabase(db) {
  if (db) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}

function lastLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) throw new Error('no output');
  return lines[lines.length - 1];
}

// Runs `kith ARGS...` to completion; its standard output. (`kith init` on
// PostgreSQL takes 2 s on a quiet machine and has taken 85 s on a loaded
// one: the bound is for a hung command, not a slow one.)
export async function kithCli(args) {
  try {
    const { stdout } = await execFileP(KITH_BIN, args, { timeout: 180_000 });
    return stdout;
  } catch (err) {
    throw new Error(`kith ${args.join(' ')} failed: ${err.message}\n${err.stderr ?? ''}`);
  }
}

// Encodes params as application/x-www-form-urlencoded. `params` is a raw
// string (sent as is), an array of [name, value] pairs, or an object whose
// nested objects become PHP bracket names (email: {1: {email: 'x'}} ->
// email[1][email]=x). Arrays inside objects become name[]=v entries.
export function encodeParams(params) {
  if (params == null) return '';
  if (typeof params === 'string') return params;
  const pairs = [];
  const add = (name, value) => {
    if (value === undefined) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) add(`${name}[${k}]`, v);
    } else if (Array.isArray(value)) {
      for (const v of value) add(`${name}[]`, v);
    } else {
      pairs.push([name, value === null ? '' : String(value)]);
    }
  };
  if (Array.isArray(params)) {
    for (const [k, v] of params) add(k, v);
  } else {
    for (const [k, v] of Object.entries(params)) add(k, v);
  }
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

function wrapResponse(res, text) {
  return {
    status: res.status,
    headers: res.headers,
    text,
    json() {
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new Error(`response is not JSON (${err.message}): ${text.slice(0, 500)}`);
      }
    },
  };
}

// Adds to `secrets` the session ids and api keys an answer hands out.
function noteSecrets(secrets, setCookie, text) {
  for (const m of setCookie.matchAll(/PHPSESSID=([^;,\s]+)/g)) secrets.add(m[1]);
  if (!text.includes('api_key') && !text.includes('PHPSESSID')) return;
  for (const m of text.matchAll(/"api_key"\s*:\s*"([^"]+)"|<api_key>([^<]+)<|PHPSESSID"?\s*[:=>]\s*"?([^"&;,\s<]+)/g)) {
    secrets.add(m[1] ?? m[2] ?? m[3]);
  }
}

// Starts `kith serve` on a fresh data directory.
//   options.bodyLimitBytes: rewrite body_limit_bytes in kith.toml before serving
//   options.settings: {name: TOML value text} rewritten in kith.toml before serving
//   options.siteKey: site key for `kith init` (random otherwise)
//   options.threads: --threads
//   options.listen: --listen HOST:0 (default 127.0.0.1:0); baseUrl stays 127.0.0.1
//   options.shareDatabaseOf: another server (PostgreSQL only): serve its
//     database, with its site key and users (the database stays its)
//   options.files: {relative path: content} written into the data directory
//     before serving (e.g. {'extensions/x.lua': source})
//   options.tomlAppend: text appended to kith.toml (e.g. [roles.NAME] sections)
//   options.tls: {cert, key, ca} PEM file paths: serve HTTPS (--tls-cert,
//     --tls-key); raw() and call() then speak HTTPS trusting `ca`
export async function startKith(options = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'kith-it-'));
  const dataDir = path.join(dir, 'data');
  let child;
  let database = null;
  try {
    const initArgs = ['init', '--data', dataDir];
    const shared = options.shareDatabaseOf;
    if (shared) {
      if (!shared.database) throw new Error('shareDatabaseOf needs a server on PostgreSQL');
      initArgs.push('--database', withDatabase(PG_URL, shared.database), '--site-key', shared.siteKey);
    } else if (PG_URL) {
      database = await freshPgDatabase();
      initArgs.push('--database', withDatabase(PG_URL, database));
    }
    if (options.siteKey) initArgs.push('--site-key', options.siteKey);
    const siteKey = lastLine(await kithCli(initArgs));

    const users = shared ? { ...shared.users } : {};
    for (const [name, { password, role }] of Object.entries(shared ? {} : USERS)) {
      const out = await kithCli(['user', 'add', name, '--data', dataDir, '--password', password, '--role', role]);
      const m = /\(contact (\d+)\)/.exec(out);
      users[name] = { name, password, role, apiKey: lastLine(out), contactId: m ? Number(m[1]) : undefined };
    }
    // What kith's output must never show (issue 18): the site key, passwords,
    // api keys and session ids, including those the answers hand out.
    const secrets = new Set([siteKey]);
    for (const u of Object.values(users)) secrets.add(u.password).add(u.apiKey);

    if (options.bodyLimitBytes !== undefined) {
      const tomlPath = path.join(dataDir, 'kith.toml');
      const toml = await readFile(tomlPath, 'utf8');
      if (!/^body_limit_bytes = \d+$/m.test(toml)) throw new Error('kith.toml has no body_limit_bytes line');
      await writeFile(tomlPath, toml.replace(/^body_limit_bytes = \d+$/m, `body_limit_bytes = ${options.bodyLimitBytes}`));
    }

    if (options.settings !== undefined) {
      // {name: TOML value text}: replaces the line of that setting in kith.toml.
      const tomlPath = path.join(dataDir, 'kith.toml');
      let toml = await readFile(tomlPath, 'utf8');
      for (const [name, value] of Object.entries(options.settings)) {
        const line = new RegExp(`^${name} = .*$`, 'm');
        if (!line.test(toml)) throw new Error(`kith.toml has no ${name} line`);
        toml = toml.replace(line, () => `${name} = ${value}`);
      }
      await writeFile(tomlPath, toml);
    }

    if (options.tomlAppend !== undefined) {
      const tomlPath = path.join(dataDir, 'kith.toml');
      await writeFile(tomlPath, (await readFile(tomlPath, 'utf8')) + options.tomlAppend);
    }

    for (const [rel, content] of Object.entries(options.files ?? {})) {
      const target = path.resolve(dataDir, rel);
      if (!target.startsWith(dataDir + path.sep)) throw new Error(`file outside the data directory: ${rel}`);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }

    const serveArgs = ['serve', '--data', dataDir, '--listen', options.listen ?? '127.0.0.1:0'];
    if (options.threads) serveArgs.push('--threads', String(options.threads));
    if (options.tls) serveArgs.push('--tls-cert', options.tls.cert, '--tls-key', options.tls.key);
    child = spawn(KITH_BIN, serveArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { stderr += d; });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => { stdout += d; });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

    const port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`kith serve printed no port in 15s; stderr: ${stderr}`)), 15_000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d) => {
        out += d;
        const m = /kith serving on https?:\/\/[^\s:]+:(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`kith serve exited early (code ${code}, signal ${signal}); stderr: ${stderr}`));
      });
    });
    const baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const ca = options.tls ? await readFile(options.tls.ca) : null;
    const request = ca ? (url, init) => httpsFetch(url, init, ca) : fetch;

    // Wait for /healthz.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const r = await request(`${baseUrl}/healthz`);
        await r.text();
        if (r.status === 200) break;
      } catch {
        // not ready yet
      }
      if (Date.now() > deadline) throw new Error('kith /healthz did not answer 200 within 10s');
      await new Promise((r) => setTimeout(r, 50));
    }

    const server = {
      dir,
      dataDir,
      database,  // the PostgreSQL database's name, or null (SQLite)
      port,
      baseUrl,
      siteKey,
      users,
      child,
      get stderr() { return stderr; },
      get stdout() { return stdout; },

      // Any HTTP request to the server: `path` relative to baseUrl.
      async raw(urlPath, init = {}) {
        const res = await request(baseUrl + urlPath, init);
        const text = await res.text();
        noteSecrets(secrets, res.headers.get('set-cookie') ?? '', text);
        return wrapResponse(res, text);
      },

      // The secrets this server was given or handed out that its output
      // (stdout, stderr, log files in its data directory) shows.
      async secretsInOutput() {
        let output = stdout + stderr;
        for (const name of await readdir(dataDir).catch(() => [])) {
          if (name.endsWith('.log')) output += await readFile(path.join(dataDir, name), 'utf8');
        }
        return [...secrets].filter((secret) => secret && secret.length >= 8 && output.includes(secret));
      },

      async healthz() {
        return server.raw('/healthz');
      },

      // A form-encoded request to the REST endpoint. GET puts params in the
      // query string, POST in an application/x-www-form-urlencoded body.
      //   opts.query: extra raw query string for POST requests
      async call(params, { method = 'GET', path: urlPath = REST_PATH, cookie, headers = {}, query } = {}) {
        const encoded = encodeParams(params);
        const h = { ...headers };
        if (cookie) h.cookie = cookie;
        let url = urlPath;
        const init = { method, headers: h, redirect: 'manual' };
        if (method === 'GET' || method === 'HEAD') {
          if (encoded) url += (url.includes('?') ? '&' : '?') + encoded;
        } else {
          h['content-type'] = 'application/x-www-form-urlencoded';
          init.body = encoded;
          if (query) url += (url.includes('?') ? '&' : '?') + query;
        }
        return server.raw(url, init);
      },

      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const result = await exited;
          clearTimeout(killer);
          server.exit = result;
        } else {
          server.exit = await exited;
        }
        await rm(dir, { recursive: true, force: true });
        dropPgDatabase(database);
        return server.exit;
      },
    };
    return server;
  } catch (err) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    try { dropPgDatabase(database); } catch { /* reported by the first error */ }
    throw err;
  }
}

// fetch()'s answer shape (status, headers.get, text()) over node:https,
// trusting the certificate authority `ca` (fetch cannot be given one).
export function httpsFetch(url, init = {}, ca, tlsOptions = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca, ...tlsOptions }, (res) => {
      const localPort = res.socket?.localPort;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          for (const item of Array.isArray(v) ? v : [v]) headers.append(k, item);
        }
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers, text: async () => body, localPort });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

// Parses `text` as XML with saxes (namespaces off) and throws on any
// well-formedness error. Returns the root element as
// {name, attributes, children, text}: `children` holds child elements only,
// `text` the concatenated character data directly inside the element
// (entities decoded, nothing trimmed).
export function parseXmlStrict(text) {
  const parser = new SaxesParser({ xmlns: false });
  const errors = [];
  parser.on('error', (err) => errors.push(err));
  let root = null;
  const stack = [];
  parser.on('opentag', (tag) => {
    const node = { name: tag.name, attributes: { ...tag.attributes }, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1].children.push(node);
    else if (root === null) root = node;
    stack.push(node);
  });
  parser.on('closetag', () => { stack.pop(); });
  const addText = (t) => { if (stack.length > 0) stack[stack.length - 1].text += t; };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.write(text).close();
  if (errors.length > 0) {
    throw new Error(`XML is not well-formed: ${errors.map((e) => e.message).join('; ')}\n${text.slice(0, 2000)}`);
  }
  if (root === null) throw new Error('XML has no root element');
  return root;
}

// Small helpers for the parsed tree.
export function childrenNamed(node, name) {
  return node.children.filter((c) => c.name === name);
}

export function child(node, name) {
  const found = node.children.find((c) => c.name === name);
  return found;
}

// {name: text} of the leaf children of an element.
export function leafMap(node) {
  const out = {};
  for (const c of node.children) {
    if (c.children.length === 0) out[c.name] = c.text;
  }
  return out;
}

// An APIv3 call to the AJAX endpoint with json= as `user` (GET for get*
// actions, POST for the rest, as CiviCRM requires): the answer of a 200.
export async function api3(kith, entity, action, params = {}, user = 'admin') {
  const method = /^get/i.test(action) ? 'GET' : 'POST';
  const r = await kith.call({
    entity, action, json: JSON.stringify(params), key: kith.siteKey, api_key: kith.users[user].apiKey,
  }, { method, path: AJAX_PATH });
  assert.equal(r.status, 200, r.text);
  return r.json();
}

// api3 as the admin, asserting the call succeeded.
export async function api3ok(kith, entity, action, params = {}) {
  const body = await api3(kith, entity, action, params);
  assert.equal(body.is_error, 0, JSON.stringify(body));
  return body;
}

// Starts kith before the file's tests and stops it after them; the file fails
// when kith does not exit cleanly. The returned handle forwards to the running
// instance, so tests can hold it in a const at module level.
export function kithForSuite(options = {}) {
  let running;
  before(async () => {
    running = await startKith(options);
  });
  after(async () => {
    if (!running) return;
    const leaked = await running.secretsInOutput();
    const exit = await running.stop();
    assert.equal(exit.code, 0, `kith serve exited with ${JSON.stringify(exit)}; stderr: ${running.stderr}`);
    assert.deepEqual(leaked, [], 'kith\'s output or log shows a key, password or session id');
  });
  return new Proxy({}, {
    get(_, prop) {
      if (!running) throw new Error(`kith is not running yet (reading ${String(prop)})`);
      const value = running[prop];
      return typeof value === 'function' ? value.bind(running) : value;
    },
  });
}

// Runs `kith ARGS...` to completion, failing or not: {code, stdout, stderr}
// (for tests of the command line itself, its errors included).
export async function runKith(args, { timeout = 60_000 } = {}) {
  try {
    const { stdout, stderr } = await execFileP(KITH_BIN, args, { timeout });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

// An APIv4 call over HTTP as the admin user of `kith` (a started server):
// the raw answer ({status, text, ...} as kith.raw gives it).
export function adminApi4Raw(kith, entity, action, params) {
  return kith.raw(`/civicrm/ajax/api4/${entity}/${action}`, {
    method: 'POST',
    headers: {
      'X-Civi-Auth': `Bearer ${kith.users.admin.apiKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `params=${encodeURIComponent(JSON.stringify(params))}`,
  });
}

// The same, asserting HTTP 200; resolves the parsed answer.
export async function adminApi4(kith, entity, action, params) {
  const r = await adminApi4Raw(kith, entity, action, params);
  assert.equal(r.status, 200, `${entity}.${action}: ${r.text}`);
  return r.json();
}

// `kith serve` over an existing data directory (startKith makes new ones):
// resolves {child, baseUrl, stop()}, stop() sending SIGTERM and resolving
// the exit code.
export async function serveDataDir(dataDir) {
  const child = spawn(KITH_BIN, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /kith serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`kith serve exited (${code}): ${stderr}`)));
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
