import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { Decimal, sum } from '../../src/money.ts';
import { testBackends } from '../support/db.ts';
import { cliTarget, runCliJson, type CliTarget } from './cli-harness.ts';
import { writeSeedMonth } from './seed-month.ts';

// The seed's three-team example, through the real CLI: three teams share one gateway;
// Support sends 2,000,000 calls at $0.0008, Sales 80,000 at $0.09, an internal agent 300,000
// retried calls at $0.015; the invoice is $13,300. Allocating from priced records gives Support
// $1,600, Sales $7,200 and the agent $4,500 — not the request-count split.
// On real PostgreSQL the full volume (2.38 million records) goes through; the embedded store
// runs the same month at 1/100 of the calls, so the same arithmetic at a size PGlite loads quickly.

interface RunSummary {
  run_id: string;
  invoice_total: string;
  ledger_total: string;
  variance: string;
  allocated_total: string;
  unallocated: string;
  allocations: { team: string; amount: string }[];
  counts: { records: string; untagged: string; unpriced: string };
}

for (const backend of testBackends({ engines: 'both' })) {
  const scale = backend === 'postgres' ? 1 : 100;
  describe(`seed example: three teams, one gateway, $${new Decimal(13300).dividedBy(scale).toFixed(2)} [${backend}]`, () => {
    let target: CliTarget;
    let summary: RunSummary;
    before(async () => {
      target = await cliTarget(backend);
      const files = writeSeedMonth(target.dir, scale);
      await runCliJson(target, ['ratecard', 'import', files.card]);
      await runCliJson(target, ['ingest', 'ledger', files.ledger]);
      await runCliJson(target, ['ingest', 'invoice', files.invoice]);
      summary = await runCliJson<RunSummary>(target, ['run', '--period', '2026-05']);
    });
    after(async () => {
      await target?.cleanup();
    });

    test('allocation follows priced records, not request counts', () => {
      const byTeam = Object.fromEntries(summary.allocations.map((a) => [a.team, a.amount]));
      const at = (amount: number) => new Decimal(amount).dividedBy(scale).toFixed(2);
      assert.equal(summary.counts.records, String(2_380_000 / scale));
      assert.equal(summary.invoice_total, at(13_300));
      assert.equal(summary.ledger_total, at(13_300));
      assert.equal(summary.variance, '0.00');
      assert.deepEqual(byTeam, { support: at(1_600), sales: at(7_200), agent: at(4_500) });
      // Sales and the agent drove 88% of the dollars with 16% of the calls.
      const share = new Decimal(byTeam.sales!).plus(byTeam.agent!).dividedBy(summary.invoice_total);
      assert.equal(share.times(100).toFixed(0), '88');
      assert.equal(summary.unallocated, '0.00');
    });

    test('the allocation workbook shows the same split and ties to the invoice', async () => {
      const out = path.join(target.dir, 'out');
      const written = await runCliJson<{ files: { kind: string; path: string }[] }>(target, ['workbook', '--period', '2026-05', '--out', out]);
      const file = written.files.find((f) => f.kind === 'allocation');
      assert.ok(file, 'an allocation workbook was written');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.readFile(file.path);
      const sheet = workbook.getWorksheet('By team');
      assert.ok(sheet, 'the workbook has a By team sheet');
      const amounts = new Map<string, string>();
      sheet.eachRow((row) => {
        const values = (row.values as unknown[]).slice(1).map((v) => (v === null || v === undefined ? '' : String(typeof v === 'object' && v && 'result' in v ? (v as { result: unknown }).result : v)));
        const team = values[0];
        if (team && ['support', 'sales', 'agent'].includes(team)) {
          const amount = values.find((v, i) => i > 0 && /^-?\d+(\.\d+)?$/.test(v) && new Decimal(v).equals(new Decimal(summary.allocations.find((a) => a.team === team)!.amount)));
          if (amount) amounts.set(team, amount);
        }
      });
      assert.deepEqual([...amounts.keys()].sort(), ['agent', 'sales', 'support']);
      assert.equal(sum([...amounts.values()].map((v) => new Decimal(v))).toFixed(2), summary.invoice_total);
    });
  });
}
