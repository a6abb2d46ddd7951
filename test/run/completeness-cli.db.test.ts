import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';

// A month that cannot be reconciled says so. The month below has a ledger only: no invoice, no
// rate card, no owners file, and one of its two records untagged. Which warnings are right is
// known from what was loaded, not from recon: no_invoice, no_rate_card, no_owners (the ledger
// exists, a record is tagged, so neither no_ledger nor all_untagged).

const LEDGER = [
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,service_tier,status,team',
  'q-1,2026-04-03T10:00:00Z,openai,gpt-4.1-2025-04-14,1000,100,standard,ok,research',
  'q-2,2026-04-03T10:00:01Z,openai,gpt-4.1-2025-04-14,1000,100,standard,ok,',
].join('\n');

interface Summary {
  run_id: string;
  warnings: { code: string; message: string; next: string }[];
}

for (const backend of testBackends()) {
  describe(`a month that cannot be reconciled says so [${backend}]`, () => {
    let target: CliTarget;
    before(async () => {
      target = await cliTarget(backend);
      fs.writeFileSync(path.join(target.dir, 'ledger.csv'), LEDGER);
      await runCliJson(target, ['ingest', 'ledger', path.join(target.dir, 'ledger.csv')]);
    });
    after(async () => target.cleanup());

    test('the run succeeds with warnings naming what is missing, stored with the run', async () => {
      const run = await runCliJson<Summary>(target, ['run', '--period', '2026-04']);
      assert.deepEqual(run.warnings.map((w) => w.code), ['no_invoice', 'no_rate_card', 'no_owners']);
      for (const w of run.warnings) assert.match(w.next, /recon (ingest invoice|ratecard import|owners import)/);
      const runs = await runCliJson<{ run_id: string; warnings: { code: string }[] }[]>(target, ['runs', '--period', '2026-04']);
      assert.deepEqual(runs.find((r) => r.run_id === run.run_id)?.warnings.map((w) => w.code), ['no_invoice', 'no_rate_card', 'no_owners']);
      const text = await runCli(target, ['run', '--period', '2026-04']);
      assert.match(text.stdout, /warning: no provider invoice lines dated in 2026-04/);
    });

    test('--require-complete fails, records the run as failed and leaves the current run as it was', async () => {
      const before = await runCliJson<{ run_id: string; current: boolean }[]>(target, ['runs', '--period', '2026-04']);
      const current = before.find((r) => r.current)!.run_id;
      const refused = await runCli(target, ['run', '--period', '2026-04', '--require-complete']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /period 2026-04 is not complete/);
      assert.match(refused.stderr, /next: load the invoices/);
      const afterRuns = await runCliJson<{ run_id: string; current: boolean; status: string }[]>(target, ['runs', '--period', '2026-04']);
      assert.equal(afterRuns.find((r) => r.current)!.run_id, current);
      assert.equal(afterRuns.filter((r) => r.status === 'failed').length, 1);
    });

    test('the month-end close uses it: the job fails and the period stays open', async () => {
      const job = await runCli(target, ['job', 'month-end-close', '--period', '2026-04', '--json']);
      assert.equal(job.code, 1);
      const record = JSON.parse(job.stdout) as { status: string; error: string };
      assert.equal(record.status, 'failed');
      assert.match(record.error, /not complete/);
      const runs = await runCliJson<{ status: string; trigger: string }[]>(target, ['runs', '--period', '2026-04']);
      assert.ok(runs.some((r) => r.trigger === 'month-end' && r.status === 'failed'));
    });
  });
}
