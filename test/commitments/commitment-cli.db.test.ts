import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testBackends } from '../support/db.ts';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { PTU_INVOICE_TOTAL, writePtuMonth } from './ptu-month.ts';

// The PTU month (test/commitments/ptu-month.ts) through the real CLI: import twice, a bad file,
// list, a run under idle: share, the FOCUS export. Figures by hand in ptu-month.db.test.ts:
// search 297.60 used + 818.40 idle = 1116.00, support 99.20 + 272.80 = 372.00, platform the 10.00 fee.

for (const backend of testBackends()) {
  describe(`recon commitment import / list and a PTU month through the CLI [${backend}]`, () => {
    let target: CliTarget;
    let files: ReturnType<typeof writePtuMonth>;
    before(async () => {
      target = await cliTarget(backend);
      files = writePtuMonth(target.dir);
    });
    after(async () => target.cleanup());

    test('the same file twice changes nothing; a bad file names each bad entry and imports nothing', async () => {
      const first = await runCliJson<{ added: number; updated: number; unchanged: number; commitments: { id: string; outcome: string }[] }>(target, ['commitment', 'import', files.commitments]);
      assert.deepEqual(first, { file: files.commitments, added: 1, updated: 0, unchanged: 0, commitments: [{ id: 'AZ-PTU-1', outcome: 'added' }] });
      const again = await runCliJson<{ added: number; unchanged: number }>(target, ['commitment', 'import', files.commitments]);
      assert.equal(again.added, 0);
      assert.equal(again.unchanged, 1);

      const bad = path.join(target.dir, 'bad.yaml');
      fs.writeFileSync(
        bad,
        `commitments:
  - id: GOOD-1
    provider: aws.bedrock
    kind: provisioned_throughput
    model: claude-sonnet-4-5-20250929
    quantity: 1
    unit: model unit
    price_per_month: "15000"
    effective_from: 2026-05-01
    effective_to: 2026-06-01
    bills_under: [PT-claude]
  - id: BAD-KIND
    provider: azure
    kind: reserved
    deployment: x
    quantity: 1
    unit: PTU
    price_per_hour: "2"
    effective_from: 2026-05-01
    effective_to: 2026-06-01
    bills_under: [X]
  - id: BAD-RANGE
    provider: azure
    kind: ptu
    quantity: 0
    unit: PTU
    price_per_hour: "2"
    price_per_month: "1440"
    effective_from: 2026-06-01
    effective_to: 2026-05-01
    bills_under: []
`,
      );
      const refused = await runCli(target, ['commitment', 'import', bad]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /2 bad entries, nothing imported/);
      assert.match(refused.stderr, /entry 2 \(BAD-KIND\): kind: /);
      assert.match(refused.stderr, /entry 3 \(BAD-RANGE\): .*quantity: must be greater than 0/);
      assert.match(refused.stderr, /entry 3 \(BAD-RANGE\): .*bills_under: must name at least one/);
      assert.match(refused.stderr, /entry 3 \(BAD-RANGE\): .*deployment: name the deployment or the model/);
      assert.match(refused.stderr, /entry 3 \(BAD-RANGE\): .*give exactly one of price_per_hour/);
      assert.match(refused.stderr, /entry 3 \(BAD-RANGE\): .*effective_to: must be after effective_from/);
      assert.doesNotMatch(refused.stderr, /entry 1/);

      const list = await runCliJson<{ id: string; provider: string; kind: string; price: string; price_per: string; bills_under: string[] }[]>(target, ['commitment', 'list']);
      assert.deepEqual(list.map((c) => [c.id, c.provider, c.kind, c.price, c.price_per, c.bills_under]), [['AZ-PTU-1', 'azure.ai.openai', 'ptu', '2.00', 'hour', ['PTU-gpt4o-ptu-eastus']]]);
    });

    test('a run under commitments.idle: share charges the teams by usage share and ties; the FOCUS export carries ContractApplied', async () => {
      await runCliJson(target, ['ingest', 'ledger', files.ledger]);
      await runCliJson(target, ['ingest', 'invoice', files.invoice]);
      const run = await runCliJson<{ invoice_total: string; allocated_total: string; unallocated: string; allocations: { team: string; amount: string }[]; causes: { cause: string; amount: string }[] }>(
        target,
        ['run', '--period', '2026-05', '--policy', files.policy('share')],
      );
      assert.equal(run.invoice_total, PTU_INVOICE_TOTAL);
      assert.equal(run.allocated_total, PTU_INVOICE_TOTAL);
      assert.equal(run.unallocated, '0.00');
      assert.deepEqual(run.allocations, [
        { team: 'platform', amount: '10.00' },
        { team: 'search', amount: '1116.00' },
        { team: 'support', amount: '372.00' },
      ]);
      assert.ok(run.causes.some((c) => c.cause === 'commitment' && c.amount === '1488.00'));

      const out = path.join(target.dir, 'focus.csv');
      const exported = await runCliJson<{ rows: number; origin_charges: number }>(target, ['export', 'focus', '--period', '2026-05', '--out', out]);
      assert.equal(exported.origin_charges, 32);
      const text = fs.readFileSync(out, 'utf8');
      assert.match(text, /ContractCommitmentID/);
    });
  });
}
