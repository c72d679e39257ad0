// kith backup / kith restore through the real binary: a backup taken while
// a running server writes holds every write acknowledged before it began,
// restores into a data directory that passes SQLite's integrity check and
// serves (same site key, users and extensions); the file is a plain tar;
// refusals are clear and leave nothing behind. On PostgreSQL, kith backup
// refuses and points to pg_dump.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, stat, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { kithForSuite, KITH_BIN, PG_URL, serveDataDir } from './harness.mjs';

const execFileP = promisify(execFile);
const API4 = '/civicrm/ajax/api4';
const EXTENSION = '-- an extension file that must come back with the backup\nreturn {}\n';

const kith = kithForSuite({ files: { 'extensions/notes/readme.txt': EXTENSION } });

// Runs `kith ARGS`; resolves {code, stdout, stderr} whatever the exit status.
async function run(args) {
  try {
    const { stdout, stderr } = await execFileP(KITH_BIN, args, { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function headers(server, apiKey) {
  return {
    'X-Civi-Auth': `Bearer ${apiKey}`,
    'X-Civi-Key': server.siteKey,
    'content-type': 'application/x-www-form-urlencoded',
  };
}

async function v4(baseUrl, server, entity, action, params) {
  const res = await fetch(`${baseUrl}${API4}/${entity}/${action}`, {
    method: 'POST',
    headers: headers(server, server.users.admin.apiKey),
    body: `params=${encodeURIComponent(JSON.stringify(params))}`,
  });
  return { status: res.status, body: await res.json() };
}

const serve = serveDataDir;

describe('kith backup and restore', { skip: PG_URL !== '' }, () => {
  test('a backup under write load restores every write acknowledged before it began, and serves', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kith-backup-'));
    try {
      const acked = [];  // {id, at}
      let writing = true;
      let failures = 0;
      const writer = async (w) => {
        for (let i = 0; writing; i++) {
          const r = await v4(kith.baseUrl, kith, 'Contact', 'create', {
            values: { contact_type: 'Individual', first_name: `W${w}`, last_name: `Load${w}x${i}` },
          });
          if (r.status === 200) acked.push({ id: r.body.values[0].id, at: performance.now() });
          else failures++;
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      while (acked.length < 40) await new Promise((r) => setTimeout(r, 20));

      const file = path.join(work, 'kith.backup');
      const started = performance.now();
      const ackedBefore = acked.filter((a) => a.at <= started).map((a) => a.id);
      const backup = await run(['backup', '--data', kith.dataDir, '--output', file]);
      const writtenDuring = acked.length - ackedBefore.length;
      writing = false;
      await Promise.all(writers);
      assert.equal(backup.code, 0, backup.stderr);
      assert.match(backup.stdout, /Backed up .* to .*kith\.backup/);
      assert.equal(failures, 0);
      assert.ok(writtenDuring > 0 || acked.length > ackedBefore.length, 'no write ran during the backup');
      assert.equal((await stat(file)).mode & 0o077, 0, 'the backup holds the site key: owner only');

      // A plain tar: any tar tool lists it, manifest first.
      const { stdout: listing } = await execFileP('tar', ['-tf', file]);
      const names = listing.trim().split('\n');
      assert.deepEqual(names.slice(0, 2), ['KITH-BACKUP', 'kith.db']);
      assert.ok(names.includes('kith.toml'), listing);
      assert.ok(names.includes('extensions/notes/readme.txt'), listing);
      assert.ok(!names.some((n) => /kith\.db-(wal|shm)$/.test(n)), listing);

      const restored = path.join(work, 'restored');
      const restore = await run(['restore', '--data', restored, '--input', file]);
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /integrity check ok/);
      const { stdout: check } = await execFileP('sqlite3', [path.join(restored, 'kith.db'), 'PRAGMA integrity_check']);
      assert.equal(check.trim(), 'ok');
      assert.equal(await readFile(path.join(restored, 'extensions/notes/readme.txt'), 'utf8'), EXTENSION);
      assert.equal(await readFile(path.join(restored, 'kith.toml'), 'utf8'), await readFile(path.join(kith.dataDir, 'kith.toml'), 'utf8'));
      assert.equal((await stat(restored)).mode & 0o077, 0);

      // The restored directory serves, with the same site key and api keys.
      const copy = await serve(restored);
      try {
        const got = await v4(copy.baseUrl, kith, 'Contact', 'get', {
          select: ['id'], where: [['id', 'IN', ackedBefore]], limit: 0,
        });
        assert.equal(got.status, 200, JSON.stringify(got.body));
        assert.equal(got.body.values.length, ackedBefore.length, 'a write acknowledged before the backup is missing');
        const all = await v4(copy.baseUrl, kith, 'Contact', 'get', {
          select: ['id'], where: [['last_name', 'LIKE', 'Load%']], limit: 0,
        });
        // Nothing but acknowledged (or in-flight) writes; none acknowledged after the backup ended beyond those.
        assert.ok(all.body.values.length >= ackedBefore.length);
        assert.ok(all.body.values.length <= acked.length + 4);
        // It takes writes of its own.
        const created = await v4(copy.baseUrl, kith, 'Contact', 'create', { values: { contact_type: 'Individual', first_name: 'AfterRestore' } });
        assert.equal(created.status, 200);
      } finally {
        assert.equal(await copy.stop(), 0);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('refusals are clear and leave nothing behind', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kith-backup-'));
    try {
      const file = path.join(work, 'kith.backup');
      await writeFile(file, 'already here');
      let r = await run(['backup', '--data', kith.dataDir, '--output', file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /already exists/);
      assert.equal(await readFile(file, 'utf8'), 'already here');

      r = await run(['restore', '--data', path.join(work, 'new'), '--input', file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /not a kith backup/);

      const good = path.join(work, 'good.backup');
      assert.equal((await run(['backup', '--data', kith.dataDir, '--output', good])).code, 0);
      assert.deepEqual((await readdir(work)).sort(), ['good.backup', 'kith.backup'], 'temporary files left behind');
      r = await run(['restore', '--data', kith.dataDir, '--input', good]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /not empty/);

      // Truncated in the middle of the database: refused, no directory left.
      const bytes = await readFile(good);
      const truncated = path.join(work, 'truncated.backup');
      await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      r = await run(['restore', '--data', path.join(work, 'half'), '--input', truncated]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /truncated/);
      await assert.rejects(stat(path.join(work, 'half')));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('kith backup on PostgreSQL', { skip: PG_URL === '' }, () => {
  test('refuses and points to pg_dump', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'kith-backup-'));
    try {
      const file = path.join(work, 'kith.backup');
      const r = await run(['backup', '--data', kith.dataDir, '--output', file]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /PostgreSQL.*pg_dump/);
      assert.ok(!r.stderr.includes(PG_URL), 'the refusal names the database URL');
      await assert.rejects(stat(file));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
