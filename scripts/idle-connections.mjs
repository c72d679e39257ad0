#!/usr/bin/env node
// Holds many idle connections and slowloris clients against a running kith
// while a normal client keeps asking /healthz, and reports how the normal
// client fared. Exit 0 when every normal request was answered 200 within
// --max-wait milliseconds, 1 otherwise.
//
//   node scripts/idle-connections.mjs --url http://127.0.0.1:8080 \
//        [--idle 1100] [--slow 20] [--seconds 10] [--max-wait 2000]
//
// --idle: connections opened and never used; --slow: slowloris clients that
// send a request header one byte every 500 ms and never finish it. The short
// form runs in tests/integration/limits.test.mjs; run the long form by hand
// against a server whose max_connections (kith.toml) is below --idle.
import net from 'node:net';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const url = new URL(option('url', 'http://127.0.0.1:8080'));
const idleCount = Number(option('idle', 1100));
const slowCount = Number(option('slow', 20));
const seconds = Number(option('seconds', 10));
const maxWait = Number(option('max-wait', 2000));

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

const waits = [];
let failures = 0;
const end = Date.now() + seconds * 1000;
while (Date.now() < end) {
  const start = Date.now();
  try {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), maxWait * 5);
    const r = await fetch(new URL('/healthz', url), { signal: controller.signal });
    await r.text();
    clearTimeout(timer);
    if (r.status !== 200) failures++;
  } catch {
    failures++;
  }
  waits.push(Date.now() - start);
  await new Promise((r) => setTimeout(r, 50));
}

for (const t of slowTimers) clearInterval(t);
for (const s of sockets) s.destroy();
waits.sort((a, b) => a - b);
const worst = waits[waits.length - 1] ?? 0;
const report = {
  idle: idleCount,
  slow: slowCount,
  closed_by_server: closedByServer.count,
  requests: waits.length,
  failures,
  median_ms: waits[Math.floor(waits.length / 2)] ?? 0,
  worst_ms: worst,
};
console.log(JSON.stringify(report));
process.exit(failures === 0 && waits.length > 0 && worst <= maxWait ? 0 : 1);
