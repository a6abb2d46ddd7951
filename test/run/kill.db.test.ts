import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { testBackends, openTestStore } from '../support/db.ts';
import { insertLedgerRecords, ledgerRecord } from '../support/builders.ts';
import { openPglite, type Store } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { selectCurrentRun, selectRun } from '../../src/run/queries.ts';
import { standInReconcile } from './stand-in.ts';

const period = parsePeriod('2026-05');
const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const bin = path.resolve(import.meta.dirname, '../../bin/recon.js');

/** Starts `recon run` as a child, waits until it is inside the run's transaction, kills it with SIGKILL. */
async function killRunMidway(env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [bin, 'run', '--period', period, '--pause-before-commit', '60000'], {
    env: { ...process.env, ...env, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the run never reached its transaction:\n${stderr}`)), 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('paused inside the run transaction')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`the run exited early:\n${stderr}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

for (const backend of testBackends()) {
  test(`a run killed mid-way (kill -9) leaves the previous run current; the next start marks it failed [${backend}]`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-kill-'));
    const open = async (): Promise<Store & { url?: string | undefined }> => {
      if (backend === 'postgres') return testStore!;
      const store = await openPglite(dir);
      await migrate(store);
      return store;
    };
    const testStore = backend === 'postgres' ? await openTestStore('postgres') : undefined;
    try {
      let store = await open();
      await insertLedgerRecords(store, [ledgerRecord({ team: 'support', input_tokens: 2000 })]);
      const previous = await runPeriod(store, { period, trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log, reconcile: standInReconcile });
      if (backend === 'pglite') await store.close(); // one process at a time owns an embedded store

      await killRunMidway(backend === 'postgres' ? { DATABASE_URL: testStore!.url } : { DATABASE_URL: '', RECON_DATA_DIR: dir });

      store = await open();
      const killed = await store.db.selectFrom('run').select(['id', 'status']).orderBy('id', 'desc').executeTakeFirstOrThrow();
      assert.notEqual(killed.id, previous.run_id);
      assert.equal(killed.status, 'running', 'nothing could mark it: the process was killed');
      assert.equal((await selectCurrentRun(store.db, period))?.id, previous.run_id, 'the previous run is still current');

      const next = await runPeriod(store, { period, trigger: 'manual', settings: parseSettings({}), policy: defaultPolicy, log, reconcile: standInReconcile });
      const marked = await selectRun(store.db, killed.id);
      assert.equal(marked?.status, 'failed');
      assert.match(marked!.error!, /stopped before it finished/);
      assert.equal(next.no_change, true, 'the same inputs give the same results as the run before the kill');
      assert.equal(next.previous_run_id, previous.run_id);
      if (backend === 'pglite') await store.close();
    } finally {
      await testStore?.close();
    }
  });
}
