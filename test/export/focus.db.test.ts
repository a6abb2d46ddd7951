import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { Decimal } from 'decimal.js';
import { parquetReadObjects } from 'hyparquet';
import { exportFocus, writeFocusCsv, writeFocusParquet } from '../../src/export/export-focus.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertWorkbookMonth } from '../workbooks/run-fixture.ts';
import { allocatedRatioText, validateFocus, type Row } from './focus-rules.ts';

// The workbook month (test/workbooks/run-fixture.ts): OpenAI invoice INV-1 of $9.26 in four lines
// (input 8.51, output 1.00, discount -0.50, an unmapped "mystery" line 0.25) and the run's
// allocation: support usage 3.49 + retry 0.01 + discount -0.19, sales usage 5.03 + discount
// -0.31, platform untagged 0.98 + unmatched 0.25.

function readCsv(file: string): { header: string[]; rows: Row[] } {
  const records = parse(fs.readFileSync(file, 'utf8'), { columns: false, skip_empty_lines: true }) as string[][];
  const header = records[0]!;
  const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] === '' ? null : r[i]!])));
  return { header, rows };
}

describeEachBackend('FOCUS 1.3 export of a run', (store) => {
  test('the CSV passes the FOCUS 1.3 column rules, adds back to each invoice line and to each owner', async () => {
    const month = await insertWorkbookMonth(store());
    const result = await exportFocus(store(), { period: '2026-05' });
    assert.equal(result.run_id, month.runId);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'focus-')), 'focus.csv');
    writeFocusCsv(result, file);
    const { header, rows } = readCsv(file);

    assert.deepEqual(validateFocus(header, rows), []);

    // one origin charge per invoice line: BilledCost of its allocated rows adds back to the cent
    const origins = new Map<string, { billed: Decimal; origin: string; ratios: Decimal }>();
    for (const r of rows) {
      const o = origins.get(r.x_OriginChargeId!) ?? { billed: new Decimal(0), origin: r.x_OriginBilledCost!, ratios: new Decimal(0) };
      o.billed = o.billed.plus(r.BilledCost!);
      for (const ratio of allocatedRatioText(r.AllocatedMethodDetails!)) o.ratios = o.ratios.plus(ratio);
      origins.set(r.x_OriginChargeId!, o);
    }
    assert.equal(origins.size, 4);
    assert.deepEqual([...origins.values()].map((o) => o.origin).sort(), ['-0.50', '0.25', '1.00', '8.51']);
    for (const [id, o] of origins) {
      assert.equal(o.billed.toFixed(2), o.origin, `line ${id} adds back`);
      assert.equal(o.ratios.toFixed(), '1', `line ${id} ratios sum to exactly 1`);
    }
    // the invoice ties: "The sum of the BilledCost for a given InvoiceId MUST match the ... invoice"
    assert.equal(rows.reduce((s, r) => s.plus(r.BilledCost!), new Decimal(0)).toFixed(2), '9.26');

    // every owner is charged exactly what the allocation charged it
    const byOwner = new Map<string, Decimal>();
    for (const r of rows) {
      const key = `${r.AllocatedResourceId}/${r.x_Component}`;
      byOwner.set(key, (byOwner.get(key) ?? new Decimal(0)).plus(r.BilledCost!));
    }
    assert.deepEqual(Object.fromEntries([...byOwner].map(([k, v]) => [k, v.toFixed(2)]).sort()), {
      'platform/unmatched_invoice': '0.25',
      'platform/untagged': '0.98',
      'sales/discount': '-0.31',
      'sales/usage': '5.03',
      'support/discount': '-0.19',
      'support/retry': '0.01',
      'support/usage': '3.49',
    });

    // the discount line, by hand: -0.50 over support -0.19 and sales -0.31, ratios 0.38 and 0.62
    const discount = rows.filter((r) => r.x_OriginBilledCost === '-0.50');
    assert.deepEqual(discount.map((r) => [r.AllocatedResourceId, r.BilledCost, allocatedRatioText(r.AllocatedMethodDetails!)[0]]).sort(), [
      ['sales', '-0.31', '0.62'],
      ['support', '-0.19', '0.38'],
    ]);
    assert.ok(discount.every((r) => r.ChargeCategory === 'Adjustment' && r.ConsumedQuantity === null && r.SkuPriceId === null));

    // the input line, by hand (cumulative rounding; the first line is its own running total):
    // 8.51 × owner / 9.76, floored to the cent, 3 cents left to the largest remainders
    const input = rows.filter((r) => r.x_OriginBilledCost === '8.51');
    assert.deepEqual(Object.fromEntries(input.map((r) => [`${r.AllocatedResourceId}/${r.x_Component}`, r.BilledCost])), {
      'platform/unmatched_invoice': '0.22',
      'platform/untagged': '0.85',
      'sales/usage': '4.39',
      'support/retry': '0.01',
      'support/usage': '3.04',
    });
    const sales = input.find((r) => r.AllocatedResourceId === 'sales')!;
    assert.equal(sales.ServiceProviderName, 'OpenAI');
    assert.equal(sales.InvoiceId, 'INV-1');
    assert.equal(sales.ChargePeriodStart, '2026-05-10T00:00:00Z');
    assert.equal(sales.ChargePeriodEnd, '2026-05-11T00:00:00Z');
    assert.equal(sales.BillingPeriodStart, '2026-05-01T00:00:00Z');
    assert.equal(sales.BillingPeriodEnd, '2026-06-01T00:00:00Z');
    assert.equal(sales.AllocatedMethodId, 'recon-policy:default-1');
    assert.equal(sales.x_RunId, month.runId);
    assert.equal(sales.x_InputsHash, 'in-hash');
    // the rules can fail: a usage row without its quantity, an unknown category, a ratio left out
    const broken = rows.map((r) => ({ ...r }));
    broken[0]!.ChargeCategory = 'Fee';
    broken[1]!.AllocatedMethodDetails = '{"Elements":[{"UsageQuantity":1}]}';
    const usageRow = broken.findIndex((r) => r.ChargeCategory === 'Usage');
    broken[usageRow]!.ConsumedQuantity = null;
    const problems = validateFocus(header, broken);
    assert.ok(problems.some((p) => p.includes('ChargeCategory: MUST be one of the allowed values')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('"AllocatedRatio" MUST be included')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('"UsageUnit" MUST be included')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('ConsumedQuantity: MUST NOT be null')), problems.join('\n'));
    assert.ok(validateFocus(header.filter((h) => h !== 'BilledCost'), rows).includes('BilledCost: MUST be present in a Cost and Usage FOCUS dataset'));

    // the same rows as Parquet, read back with hyparquet: costs are DECIMAL(18,2) and add back per origin
    const pq = file.replace(/\.csv$/, '.parquet');
    writeFocusParquet(result, pq);
    const buf = fs.readFileSync(pq);
    const objects = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
    assert.equal(objects.length, rows.length);
    const pqCents = new Map<string, number>();
    for (const o of objects) pqCents.set(String(o.x_OriginChargeId), (pqCents.get(String(o.x_OriginChargeId)) ?? 0) + Math.round(Number(o.BilledCost) * 100));
    for (const [id, o] of origins) assert.equal(pqCents.get(id), Math.round(Number(o.origin) * 100), `parquet line ${id} adds back`);
    assert.equal((objects[0]!.ChargePeriodStart as Date).toISOString(), '2026-05-10T00:00:00.000Z');
    assert.equal(objects.find((o) => o.x_OriginBilledCost !== undefined && Number(o.x_OriginBilledCost) === -0.5 && o.AllocatedResourceId === 'sales')?.BilledCost, -0.31);

    assert.deepEqual(JSON.parse(sales.AllocatedTags!), { 'recon/team': 'sales', 'recon/cost_center': 'cc-sales', 'recon/service': "+cmd|' /C calc'!A0", 'recon/workflow': 'proposal' });
  });

  test('a rerun that moves 0.10 from sales to support exports Correction rows after the history, which stays as it was', async () => {
    const first = await exportFocus(store(), { period: '2026-05' });
    assert.equal(first.added, 0, 'the same run exported again adds nothing');
    const { rows: made } = await sql<{ id: string }>`
      insert into run (period, trigger, status, started_at, finished_at, inputs_hash, policy)
      values ('2026-05', 'rerun', 'succeeded', now(), now(), 'in-hash-2', '{"version":"default-2"}'::jsonb) returning id::text`.execute(store().db);
    const rerun = made[0]!.id;
    await sql`
      insert into run_allocation (run_id, provider, invoice_id, team, cost_center, service, workflow, model, component, basis, amount, rule, cause)
      select ${rerun}::bigint, provider, invoice_id, team, cost_center, service, workflow, model, component, basis,
             amount + case when team = 'support' and component = 'usage' then 0.10 when team = 'sales' and component = 'usage' then -0.10 else 0 end,
             rule, cause
      from run_allocation where run_id = ${first.run_id}::bigint`.execute(store().db);

    const second = await exportFocus(store(), { period: '2026-05' });
    assert.equal(second.run_id, rerun);
    assert.ok(second.corrections > 0);
    assert.equal(second.corrections, second.added);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'focus-')), 'focus.csv');
    writeFocusCsv(second, file);
    const { header, rows } = readCsv(file);
    assert.deepEqual(validateFocus(header, rows), []);
    // history first, verbatim
    assert.deepEqual(rows.slice(0, first.rows.length), first.rows.map((r) => Object.fromEntries(header.map((h) => [h, r[h] === '' ? null : (r[h] ?? null)]))));
    const corrections = rows.slice(first.rows.length);
    assert.ok(corrections.every((r) => r.ChargeClass === 'Correction' && r.x_RunId === rerun && r.x_InputsHash === 'in-hash-2'));
    assert.ok(corrections.every((r) => r.x_Component === 'usage' && ['sales', 'support'].includes(r.AllocatedResourceId!)), 'only the moved owners are corrected');
    // the corrections net to zero per origin charge: +0.10 support, -0.10 sales in all
    const net = (team: string) => corrections.filter((r) => r.AllocatedResourceId === team).reduce((s, r) => s.plus(r.BilledCost!), new Decimal(0)).toFixed(2);
    assert.equal(net('support'), '0.10');
    assert.equal(net('sales'), '-0.10');
    const byOrigin = new Map<string, { billed: Decimal; ratio: Decimal; origin: string }>();
    for (const r of rows) {
      const o = byOrigin.get(r.x_OriginChargeId!) ?? { billed: new Decimal(0), ratio: new Decimal(0), origin: r.x_OriginBilledCost! };
      o.billed = o.billed.plus(r.BilledCost!);
      for (const ratio of allocatedRatioText(r.AllocatedMethodDetails!)) o.ratio = o.ratio.plus(ratio);
      byOrigin.set(r.x_OriginChargeId!, o);
    }
    for (const o of byOrigin.values()) {
      assert.equal(o.billed.toFixed(2), o.origin);
      assert.equal(o.ratio.toFixed(), '1');
    }
    const third = await exportFocus(store(), { period: '2026-05' });
    assert.equal(third.added, 0);
    assert.equal(third.rows.length, rows.length);
  });
});
