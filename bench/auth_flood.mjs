// Password checks under a flood (issue 18): what a flood of wrong passwords
// costs everyone else, and whether a login's timing tells who exists.
//
//   node bench/auth_flood.mjs [KITH_BIN]     (default build-bench/kith)
//   BASELINE=1 node bench/auth_flood.mjs OLD_KITH   (a kith without the throttle settings)
//
// Runs a real `kith serve` (2 threads, defaults otherwise, except limits
// of failed credentials raised so that the flood is not throttled away: this
// measures the hashing, not the throttle) and prints Markdown rows:
//   - the median and p99 of APIv4 keyed reads (Contact.get by id), one
//     client, alone and while FLOOD_CONNECTIONS clients send wrong passwords
//     (HTTP Basic) as fast as they are answered;
//   - the median of a 3.2 login with a wrong password for a real user and
//     for an unknown name.
// Needs `npm ci` in tests/integration (it uses that harness). Loopback only;
// every loop is bounded in count and time.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
process.env.KITH_BIN = path.resolve(process.argv[2] ?? path.join(here, '../build-bench/kith'));
const { startKith } = await import('../tests/integration/harness.mjs');

const READS = Number(process.env.READS ?? 400);
const LOGINS = Number(process.env.LOGINS ?? 40);
const FLOOD_CONNECTIONS = Number(process.env.FLOOD_CONNECTIONS ?? 8);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const ms = (x) => x.toFixed(2);

// BASELINE=1: a kith from before these settings existed (for a before/after row).
const kith = await startKith({
  threads: 2,
  settings: process.env.BASELINE
    ? undefined
    : { failed_logins_per_name: 1000000, failed_credentials_per_address: 1000000 },
});
try {
  const key = kith.users.admin.apiKey;
  const read = async () => {
    const t0 = performance.now();
    const r = await kith.raw('/civicrm/ajax/api4/Contact/get', {
      method: 'POST',
      headers: { 'X-Civi-Auth': `Bearer ${key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'params=' + encodeURIComponent('{"select":["id","display_name"],"where":[["id","=",1]]}'),
    });
    if (r.status !== 200) throw new Error(`read answered ${r.status}: ${r.text}`);
    return performance.now() - t0;
  };
  const reads = async () => {
    const times = [];
    for (let i = 0; i < READS; ++i) times.push(await read());
    return times;
  };
  for (let i = 0; i < 50; ++i) await read();  // warm up

  const alone = await reads();

  let flooding = true;
  const counts = { 401: 0, 429: 0 };
  const wrong = 'Basic ' + Buffer.from('admin:not-the-password').toString('base64');
  const floodDeadline = Date.now() + 120_000;
  const flood = Array.from({ length: FLOOD_CONNECTIONS }, async () => {
    while (flooding && Date.now() < floodDeadline) {
      const r = await kith.raw('/civicrm/ajax/api4/Contact/get', {
        method: 'POST', headers: { 'X-Civi-Auth': wrong }, body: '',
      });
      counts[r.status] = (counts[r.status] ?? 0) + 1;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const during = await reads();
  flooding = false;
  await Promise.all(flood);

  const login = async (name) => {
    const t0 = performance.now();
    const r = await kith.call({ q: 'civicrm/login', key: kith.siteKey, name, pass: 'not-the-password', json: 1 });
    const t = performance.now() - t0;
    if (!r.text.includes('invalid name or password')) throw new Error(`login answered ${r.text}`);
    return t;
  };
  const real = [], unknown = [];
  for (let i = 0; i < LOGINS; ++i) {  // interleaved, so drift hits both alike
    real.push(await login('admin'));
    unknown.push(await login(`nobody-${i}`));
  }

  console.log(`| keyed read (APIv4 get by id), alone | ${ms(quantile(alone, 0.5))} ms | ${ms(quantile(alone, 0.99))} ms |`);
  console.log(`| keyed read during a flood of wrong passwords (${FLOOD_CONNECTIONS} clients; ${counts[401]} checked, ${counts[429]} answered 429) | ${ms(quantile(during, 0.5))} ms | ${ms(quantile(during, 0.99))} ms |`);
  console.log(`| 3.2 login, wrong password for a real user | ${ms(quantile(real, 0.5))} ms | |`);
  console.log(`| 3.2 login, unknown user name | ${ms(quantile(unknown, 0.5))} ms | |`);
} finally {
  await kith.stop();
}
