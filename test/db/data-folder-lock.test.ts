import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../../src/command-context.ts';
import { openPglite } from '../../src/db/connection.ts';
import { LOCK_FILE } from '../../src/db/folder-lock.ts';

// Issue #16.11: two processes on one embedded data folder lost a committed run. The folder is
// locked: a second process is refused at once with what to do; a lock left by a dead process is
// taken over; the lock goes with the process that held it.

const BIN = path.resolve(import.meta.dirname, '../../bin/recon.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-lock-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function envFor(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RECON_DATA_DIR: dataDir, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'info', RECON_API_TOKENS: 'lock-test-token-0123456789abcdef:rerun' };
  delete env.DATABASE_URL;
  return env;
}

test('while `recon serve` holds a data folder, `recon run` on it is refused at once, saying what to do; after the server stops it works', async () => {
  const dataDir = path.join(tmp, 'served');
  const env = envFor(dataDir);
  const server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('recon serving on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.on('exit', () => reject(new Error(`the server exited:\n${output}`)));
    });
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
    assert.equal(lock.pid, server.pid);

    const started = Date.now();
    const refused = spawnSync(process.execPath, [BIN, 'run', '--period', '2026-05'], { env, encoding: 'utf8' });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`data folder ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use: process ${server.pid}`));
    assert.match(refused.stderr, /next: stop the other process .* or set DATABASE_URL/);
    assert.doesNotMatch(refused.stdout, /succeeded/);
    // refused before anything is opened (a CLI start through tsx takes a few seconds on a busy machine)
    assert.ok(seconds < 30, `refused after ${seconds} s`);
  } finally {
    server.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false, 'the server released the folder');
  const after = spawnSync(process.execPath, [BIN, 'migrate', '--json'], { env, encoding: 'utf8' });
  assert.equal(after.status, 0, after.stderr);
  assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false, 'a one-shot command releases it on exit');
});

test('a lock left by a dead process is taken over', () => {
  const dataDir = path.join(tmp, 'stale');
  fs.mkdirSync(dataDir, { recursive: true });
  // a pid that existed and is gone: a child that has exited
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(child.stdout);
  fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: deadPid, host: os.hostname(), since: '2026-05-01T00:00:00Z', command: 'serve' }) + '\n');
  const result = spawnSync(process.execPath, [BIN, 'migrate', '--json'], { env: envFor(dataDir), encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false);
});

test('in one process: a second open of a folder that is open is refused; after close it opens', async () => {
  const dataDir = path.join(tmp, 'twice');
  const first = await openPglite(dataDir);
  try {
    await assert.rejects(openPglite(dataDir), (error: unknown) => error instanceof UserError && /this process already has it open/.test(error.message));
  } finally {
    await first.close();
  }
  const second = await openPglite(dataDir);
  await second.close();
  assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false);
  // a lock with this process's pid that this process does not hold: left by an earlier process
  // that had the same pid (a restarted container), so stale
  fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: os.hostname(), since: '2026-05-01T00:00:00Z', command: 'serve' }) + '\n');
  const third = await openPglite(dataDir);
  await third.close();
  assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false);
});
