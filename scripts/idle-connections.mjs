#!/usr/bin/env node
// Holds many idle connections and slowloris clients against kith while a
// normal client keeps asking /healthz (and, given a key, APIv4 Contact.get),
// and reports how the normal client fared. Exit 0 when every normal request
// was answered 200 within --max-wait milliseconds, 1 otherwise.
//
//   node scripts/idle-connections.mjs --url http://127.0.0.1:8080 \
//        [--idle 5000] [--slow 20] [--seconds 10] [--max-wait 2000] \
//        [--api-key KEY --site-key KEY] [--expect-held]
//   node scripts/idle-connections.mjs --bin build/kith [--max-connections N] ...
//
// --idle: connections opened and never used; --slow: slowloris clients that
// send a request header one byte every 500 ms and never finish it. With
// --bin the script runs a server of its own (a fresh data directory, a user
// whose key the normal client uses, max_connections = --max-connections,
// default 1000 as kith.toml's) and stops it at the end. Short forms run in
// tests/integration/limits.test.mjs (60 idle past max_connections 20) and in
// ctest idle_connections (5,000 idle held, then 5,000 past the default limit).
import net from 'node:net';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const bin = option('bin', '');
let apiKey = option('api-key', '');
let siteKey = option('site-key', '');
let server = null;
let serverDir = null;
if (bin) {
  // A server of its own on a fresh data directory.
  serverDir = mkdtempSync(path.join(tmpdir(), 'kith-idle-'));
  const data = path.join(serverDir, 'data');
  const last = (out) => out.trim().split('\n').pop().trim();
  siteKey = last(execFileSync(bin, ['init', '--data', data], { encoding: 'utf8' }));
  apiKey = last(execFileSync(bin, ['user', 'add', 'idler', '--data', data, '--password', 'idle-Pass-1',
    '--role', 'viewer'], { encoding: 'utf8' }));
  const toml = path.join(data, 'kith.toml');
  const maxConnections = Number(option('max-connections', 1000));
  writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^max_connections = .*$/m, `max_connections = ${maxConnections}`));
  server = spawn(bin, ['serve', '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /kith serving on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`kith serve exited early (${code})`)));
  });
  process.argv.push('--url', `http://127.0.0.1:${port}`);
}
const url = new URL(option('url', 'http://127.0.0.1:8080'));
const idleCount = Number(option('idle', 5000));
const slowCount = Number(option('slow', 20));
const seconds = Number(option('seconds', 10));
const maxWait = Number(option('max-wait', 2000));
// --expect-held: fail when the server closed any idle connection (a
// max_connections above --idle holds them all).
const expectHeld = process.argv.includes('--expect-held');

const sockets = [];
function connect() {
  const socket = net.connect(Number(url.port), url.hostname);
  socket.on('error', () => {});  // closed by the server: expected past its limit
  sockets.push(socket);
  return socket;
}

const closedByServer = { count: 0 };
for (let i = 0; i < idleCount; i++) {
  const s = connect();
  s.on('close', () => { closedByServer.count++; });
  if (i % 100 === 99) await new Promise((r) => setTimeout(r, 10));
}
const header = `GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\nX-Slow: ${'x'.repeat(100)}\r\n`;
const slowTimers = [];
for (let i = 0; i < slowCount; i++) {
  const s = connect();
  let at = 0;
  slowTimers.push(setInterval(() => {
    if (!s.destroyed && at < header.length) s.write(header[at++]);
  }, 500));
}

// The normal client: /healthz, and with a key an authenticated APIv4 read
// in turn (a fresh connection each time, as a new client would come).
const asks = [{ path: '/healthz', init: {} }];
if (apiKey) {
  asks.push({
    path: '/civicrm/ajax/api4/Contact/get',
    init: {
      method: 'POST',
      headers: { 'X-Civi-Auth': `Bearer ${apiKey}`, 'X-Civi-Key': siteKey,
        'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
      body: `params=${encodeURIComponent(JSON.stringify({ select: ['id'], limit: 5 }))}`,
    },
  });
}
const waits = [];
let failures = 0;
let apiAnswers = 0;
const end = Date.now() + seconds * 1000;
// Each kind of request at least once, however long the first ones took.
while (Date.now() < end || waits.length < asks.length) {
  const start = Date.now();
  const ask = asks[waits.length % asks.length];
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), maxWait * 5);
    const r = await fetch(new URL(ask.path, url), { ...ask.init, signal: controller.signal });
    const text = await r.text();
    clearTimeout(timer);
    if (r.status !== 200) failures++;
    else if (ask.path !== '/healthz' && Array.isArray(JSON.parse(text).values)) apiAnswers++;
  } catch {
    failures++;
  }
  waits.push(Date.now() - start);
  await new Promise((r) => setTimeout(r, 50));
}

const closedByServerCount = closedByServer.count;  // before our own closes count
for (const t of slowTimers) clearInterval(t);
for (const s of sockets) s.destroy();
waits.sort((a, b) => a - b);
const worst = waits[waits.length - 1] ?? 0;
const report = {
  idle: idleCount,
  slow: slowCount,
  closed_by_server: closedByServerCount,
  requests: waits.length,
  api_answers: apiAnswers,
  failures,
  median_ms: waits[Math.floor(waits.length / 2)] ?? 0,
  worst_ms: worst,
};
console.log(JSON.stringify(report));
if (server) {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(serverDir, { recursive: true, force: true });
}
const held = !expectHeld || closedByServerCount === 0;
const answered = !apiKey || apiAnswers > 0;
process.exit(failures === 0 && waits.length > 0 && worst <= maxWait && held && answered ? 0 : 1);
