import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import ExcelJS from 'exceljs';
import { writeAllocationWorkbook } from '../../src/workbooks/write-workbooks.ts';
import { Decimal } from 'decimal.js';
import { exportFocus } from '../../src/export/export-focus.ts';
import { FOCUS_COLUMNS } from '../../src/export/focus.ts';
import { allocatedRatioText, validateFocus } from '../export/focus-rules.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { loadPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { importAliases, importRateCard } from '../../src/pricing/import-card.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { parseCommitmentFile } from '../../src/commitments/commitment-file.ts';
import { upsertCommitments, selectCommitmentHours, selectCommitmentHourBands } from '../../src/commitments/queries.ts';
import { commitmentsSection } from '../../src/serve/commitments-section.ts';
import { describeEachBackend } from '../support/db.ts';
import { PTU_INVOICE_TOTAL, writePtuMonth } from './ptu-month.ts';

// The done-when month of issue #20 part 2 (test/commitments/ptu-month.ts), figures by hand:
// 1488.00 over 744 hours = 2.00 per hour. Working hour (09-16, 248 of them): 80,000 of 100,000
// tokens = utilisation 0.8, used 1.60 (search 60/80 = 1.20, support 20/80 = 0.40), idle 0.40.
// Night hour (496): used 0, idle 2.00.
// Used: search 248 × 1.20 = 297.60, support 248 × 0.40 = 99.20 (396.80).
// Idle: 248 × 0.40 + 496 × 2.00 = 99.20 + 992.00 = 1091.20.
// share: search 0.75 × 1091.20 = 818.40, support 0.25 × 1091.20 = 272.80.
// The support-plan fee (10.00) is no commitment's: kept central (policy tax_and_fees: central).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-ptu-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const files = writePtuMonth(tmp);
const log = createLogger({ logFormat: 'json', logLevel: 'error' });

async function charges(db: Parameters<typeof selectCommitmentHours>[0], runId: string) {
  const { rows } = await sql<{ team: string; component: string; amount: string }>`
    select team, component, sum(amount)::text as amount from run_allocation where run_id = ${runId}::bigint
    group by 1, 2 order by 1, 2`.execute(db);
  return Object.fromEntries(rows.map((r) => [`${r.team}/${r.component}`, r.amount]));
}

describeEachBackend('a PTU deployment shared by two teams, idle at night (#20.2)', (store) => {
  test('used and idle by hour, teams by usage share, idle by each policy option, the invoice ties', async () => {
    // the deployment's records priced at the card (alias gpt4o-ptu → gpt-4o-2024-08-06): no usage
    // line bills them, the commitment does. Per day: search 8 × (50,000 × 2.50 + 10,000 × 10) / 1M
    // = 1.80, support 8 × (15,000 × 2.50 + 5,000 × 10) / 1M = 0.70; the month 31 × 2.50 = 77.50.
    // The westus record (0.075 + 0.10 = 0.175) ran on no commitment: it stays unexplained.
    await importAliases(store().db, { path: files.aliases, bytes: fs.readFileSync(files.aliases) });
    await importRateCard(store().db, { path: files.card, bytes: fs.readFileSync(files.card), format: 'csv' });
    await ingestFile(store(), { kind: 'ledger', path: files.ledger });
    await ingestFile(store(), { kind: 'invoice', path: files.invoice });
    const parsed = parseCommitmentFile(fs.readFileSync(files.commitments, 'utf8'), files.commitments);
    assert.ok(!('syntax' in parsed) && parsed.errors.length === 0);
    await upsertCommitments(store().db, parsed.commitments);

    const run = (idle: 'share' | 'bucket' | 'separate') =>
      runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings: parseSettings({}), policy: loadPolicy(files.policy(idle)), log });

    const separate = await run('separate');
    assert.equal(separate.invoice_total, PTU_INVOICE_TOTAL);
    assert.equal(separate.allocated_total, PTU_INVOICE_TOTAL);
    assert.equal(separate.unallocated, '0.00');

    // the flat lines a commitment bills under are its cause, not variance; the support plan is a flat charge of its own
    const flat = separate.causes.filter((c) => ['commitment', 'uncommitted_flat_charge', 'invoice_tax_fee', 'unexplained'].includes(c.cause));
    assert.deepEqual(flat, [
      { cause: 'commitment', amount: '1488.00' },
      { cause: 'uncommitted_flat_charge', amount: '10.00' },
      { cause: 'unexplained', amount: '-0.17' },
    ]);
    // exactly: the westus record's -0.175, nothing else (the summary shows the run's rounding of it)
    const { rows: unexplained } = await sql<{ amount: string }>`
      select sum(amount)::text as amount from run_variance_cause where run_id = ${separate.run_id}::bigint and cause = 'unexplained'`.execute(store().db);
    assert.equal(Number(unexplained[0]!.amount), -0.175);
    assert.deepEqual(separate.causes.find((c) => c.cause === 'commitment_usage'), { cause: 'commitment_usage', amount: '-77.50' });
    assert.equal(separate.ledger_total, '77.68');

    // by hour: a working hour and a night hour, by hand
    const hours = await selectCommitmentHours(store().db, separate.run_id);
    assert.equal(hours.length, 744);
    const at = (hour: string) => {
      const h = hours.find((x) => x.hour === hour)!;
      return { amount: h.amount, used: h.used, idle: h.idle, tokens: h.tokens, utilisation: h.utilisation };
    };
    assert.deepEqual(at('2026-05-10T09:00:00.000Z'), { amount: '2', used: '1.6', idle: '0.4', tokens: '80000', utilisation: '0.8' });
    assert.deepEqual(at('2026-05-10T16:00:00.000Z'), { amount: '2', used: '1.6', idle: '0.4', tokens: '80000', utilisation: '0.8' });
    assert.deepEqual(at('2026-05-10T17:00:00.000Z'), { amount: '2', used: '0', idle: '2', tokens: '0', utilisation: '0' });
    // the westus record and the other deployment do not consume it
    assert.deepEqual(at('2026-05-05T03:00:00.000Z'), { amount: '2', used: '0', idle: '2', tokens: '0', utilisation: '0' });
    assert.deepEqual(at('2026-05-06T02:00:00.000Z'), { amount: '2', used: '0', idle: '2', tokens: '0', utilisation: '0' });

    assert.deepEqual(await charges(store().db, separate.run_id), {
      'idle-capacity/idle_capacity': '1091.20',
      'platform/fee': '10.00',
      'search/commitment': '297.60',
      'support/commitment': '99.20',
    });

    // the workbook's Commitments sheet, read back: per UTC hour band over the 31 days
    // 09:00-10:00: 31 hours × 2.00 = 62.00 billed, 31 × 1.60 = 49.60 used, 12.40 idle, 80%;
    // 02:00-03:00: 62.00 billed, all idle
    const written = await writeAllocationWorkbook(store(), { period: '2026-05', runId: separate.run_id, outDir: tmp, now: new Date('2026-06-02T06:00:00Z') });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(written.path);
    const sheet = workbook.getWorksheet('Commitments')!;
    assert.ok(sheet, 'the allocation workbook has a Commitments sheet');
    const bands = new Map<string, unknown[]>();
    let header: string[] = [];
    sheet.eachRow((row) => {
      const values = (row.values as unknown[]).slice(1);
      if (values[0] === 'Commitment') header = values.map(String);
      else if (header.length > 0 && values[0] === 'AZ-PTU-1') bands.set(String(values[header.indexOf('Hour band (UTC)')]), values);
    });
    assert.equal(bands.size, 24);
    const band = (name: string) => {
      const v = bands.get(name)!;
      return ['Hours', 'Billed', 'Used', 'Idle', 'Utilisation'].map((h) => Number(v[header.indexOf(h)]));
    };
    assert.deepEqual(band('09:00-10:00'), [31, 62, 49.6, 12.4, 0.8]);
    assert.deepEqual(band('16:00-17:00'), [31, 62, 49.6, 12.4, 0.8]);
    assert.deepEqual(band('02:00-03:00'), [31, 62, 0, 62, 0]);

    const bucket = await run('bucket');
    assert.equal(bucket.allocated_total, PTU_INVOICE_TOTAL);
    assert.deepEqual(await charges(store().db, bucket.run_id), {
      'platform/fee': '10.00',
      'platform/idle_capacity': '1091.20',
      'search/commitment': '297.60',
      'support/commitment': '99.20',
    });

    const share = await run('share');
    assert.equal(share.allocated_total, PTU_INVOICE_TOTAL);
    assert.deepEqual(await charges(store().db, share.run_id), {
      'platform/fee': '10.00',
      'search/commitment': '297.60',
      'search/idle_capacity': '818.40',
      'support/commitment': '99.20',
      'support/idle_capacity': '272.80',
    });
    // the FOCUS export of the month (the share run): the column rules hold, every origin line adds
    // back to the cent with ratios summing to 1, ContractApplied names the commitment on its rows
    const focus = await exportFocus(store(), { period: '2026-05', runId: share.run_id });
    const rows = focus.rows;
    assert.deepEqual(validateFocus([...FOCUS_COLUMNS], rows), []);
    const origins = new Map<string, { billed: Decimal; origin: string; ratios: Decimal }>();
    for (const r of rows) {
      const o = origins.get(r.x_OriginChargeId!) ?? { billed: new Decimal(0), origin: r.x_OriginBilledCost!, ratios: new Decimal(0) };
      o.billed = o.billed.plus(r.BilledCost!);
      for (const ratio of allocatedRatioText(r.AllocatedMethodDetails!)) o.ratios = o.ratios.plus(ratio);
      origins.set(r.x_OriginChargeId!, o);
    }
    assert.equal(origins.size, 32);
    for (const [id, o] of origins) {
      assert.equal(o.billed.toFixed(2), o.origin, `line ${id} adds back`);
      assert.equal(o.ratios.toFixed(), '1', `line ${id} ratios sum to 1`);
    }
    assert.equal(rows.reduce((t, r) => t.plus(r.BilledCost!), new Decimal(0)).toFixed(2), PTU_INVOICE_TOTAL);
    const byOwner = new Map<string, Decimal>();
    let applied = new Decimal(0);
    for (const r of rows) {
      const key = `${r.AllocatedResourceId}/${r.x_Component}`;
      byOwner.set(key, (byOwner.get(key) ?? new Decimal(0)).plus(r.BilledCost!));
      if (r.ContractApplied !== null) {
        const element = JSON.parse(r.ContractApplied!).Elements[0];
        assert.equal(element.ContractCommitmentID, 'AZ-PTU-1');
        assert.equal(String(element.ContractCommitmentAppliedCost), String(Number(r.BilledCost)));
        applied = applied.plus(r.BilledCost!);
      }
    }
    assert.deepEqual(Object.fromEntries([...byOwner].map(([k, v]) => [k, v.toFixed(2)]).sort()), {
      'platform/fee': '10.00',
      'search/commitment': '297.60',
      'search/idle_capacity': '818.40',
      'support/commitment': '99.20',
      'support/idle_capacity': '272.80',
    });
    assert.equal(applied.toFixed(2), '1488.00', 'ContractApplied on every row allocated from the commitment, and only there');

    // the period page's section: the month 1488.00 billed, 396.80 used, 1091.20 idle, 396.80 / 1488 = 26.7%;
    // hour band 09: 49.60 / 62.00 = 80.0%, band 02: 0.0%
    const section = String(commitmentsSection(await selectCommitmentHourBands(store().db, share.run_id)));
    for (const text of ['AZ-PTU-1', '$1,488.00', '$396.80', '$1,091.20', '26.7%', '09h 80.0%', '02h 0.0%']) assert.ok(section.includes(text), `${text} in ${section}`);

    assert.deepEqual(share.allocations, [
      { team: 'platform', amount: '10.00' },
      { team: 'search', amount: '1116.00' },
      { team: 'support', amount: '372.00' },
    ]);
  });
});
