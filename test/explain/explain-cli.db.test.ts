import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { selectVarianceSummary } from '../../src/explain/variance-summary.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertRateCard, rateCardLine } from '../support/builders.ts';
import { insertRun } from '../support/run-builders.ts';
import * as s from './scenarios.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const month = '2026-05';

async function recon(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['bin/recon.js', ...args], { cwd: root, env: { ...process.env, RECON_LOG_LEVEL: 'warn', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describeEachBackend('recon explain', (store, backend) => {
  let env: Record<string, string> = {};
  let dir: string | undefined;
  let runId = '';

  before(async () => {
    if (backend === 'pglite') {
      // the CLI runs in another process: seed an embedded store on disk, in a process of its own
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-explain-'));
      const seeded = await run('node', ['--import', 'tsx', 'test/explain/seed-cli-store.ts', dir, month], { cwd: root });
      runId = seeded.stdout.trim();
      env = { RECON_DATA_DIR: dir, DATABASE_URL: '' };
      // the suite's own embedded store is not needed here; touch it so closing it does not wait on it
      await store().db.selectFrom('run').select('id').limit(1).execute();
    } else {
      await insertRateCard(store(), 'cli-v1', [rateCardLine({ effective_from: '2025-01-01T00:00:00Z' }), rateCardLine({ effective_from: '2025-01-01T00:00:00Z', service_tier: 'batch', unit_price: '1.25' })]);
      ({ runId } = await s.reconcileScenario(store(), month, s.cliScenario(month)));
      env = { DATABASE_URL: store().url! };
    }
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--json prints the waterfall: invoice total, causes adding up to the variance, ledger total, cells over tolerance', async () => {
    const out = await recon(['explain', '--period', month, '--json'], env);
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout);
    assert.equal(result.run_id, runId);
    assert.equal(result.invoice_total, '420.50');
    assert.equal(result.ledger_total, '202.50');
    assert.equal(result.variance, '218.00');
    assert.deepEqual(
      result.causes.map((c: { cause: string; amount: string }) => [c.cause, c.amount]),
      [['batch_tier', '-5.00'], ['retry_billing', '-2.50'], ['invoice_discount', '-39.50'], ['unexplained', '265.00']],
    );
    assert.equal(result.cells_over_tolerance.total, result.cells.length);
    assert.ok(result.cells.some((c: { status: string; variance: string }) => c.status === 'breach' && c.variance === '265.00'));
  });

  test('text output reads as a waterfall and narrows to a provider', async () => {
    const out = await recon(['explain', '--period', month, '--provider', 'azure.ai.openai'], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Invoice total\s+\$40\.50/);
    assert.match(out.stdout, /invoice_discount\s+− \$4\.50/);
    assert.match(out.stdout, /Priced ledger total\s+\$45\.00/);
  });

  test('mistakes get a clear message and what to do next', async () => {
    const missing = await recon(['explain'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--period is required/);
    const none = await recon(['explain', '--period', '2019-01'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no succeeded run.*\n.*recon run --period 2019-01/);
    const provider = await recon(['explain', '--period', month, '--provider', 'nope'], env);
    assert.equal(provider.code, 2);
    assert.match(provider.stderr, /providers in this run: azure\.ai\.openai, openai/);
    const help = await recon(['explain', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--provider <name>/);
  });

  test('selectVarianceSummary for recon run --json: money as strings, causes tie to the variance', async () => {
    if (backend === 'pglite') return; // the embedded store belongs to the CLI's process here; the postgres pass covers it
    const summary = await selectVarianceSummary(store().db, runId);
    assert.equal(summary.variance, '218.00');
    assert.equal(summary.variance_pct, '51.84');
    assert.deepEqual(summary.causes.map((c) => c.amount), ['-5.00', '-2.50', '-39.50', '265.00']);
    // a failed run is never explained by default: the latest succeeded one is
    await insertRun(store(), month, { status: 'failed' });
    const out = await recon(['explain', '--period', month, '--json'], env);
    assert.equal(JSON.parse(out.stdout).run_id, runId);
  });
});
