import fc from 'fast-check';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { UserError } from '../../src/command-context.ts';
import { disputeFileName, writeAllocationWorkbook, writeDisputeWorkbook } from '../../src/workbooks/write-workbooks.ts';
import { describeEachBackend } from '../support/db.ts';
import { CMD_SERVICE, HYPERLINK_TAG, insertWorkbookMonth, type MonthFixture } from './run-fixture.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-workbooks-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readBack(file: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  return workbook;
}

/** The sheet's table: header row found by its first header, then rows as objects by header. */
function table(sheet: ExcelJS.Worksheet, firstHeader: string): { rows: Record<string, unknown>[]; after: (label: string) => Record<string, unknown> | undefined } {
  let headerRow = -1;
  for (let n = 1; n <= sheet.rowCount; n++) if (sheet.getRow(n).getCell(1).value === firstHeader) { headerRow = n; break; }
  assert.ok(headerRow > 0, `sheet ${sheet.name} has a header starting ${firstHeader}`);
  const headers = (sheet.getRow(headerRow).values as unknown[]).slice(1).map(String);
  const asObject = (n: number) => Object.fromEntries(headers.map((h, i) => [h, sheet.getRow(n).getCell(i + 1).value]));
  const rows: Record<string, unknown>[] = [];
  let n = headerRow + 1;
  for (; n <= sheet.rowCount; n++) {
    const row = sheet.getRow(n);
    if (!row.hasValues || String(row.getCell(1).value ?? '').startsWith('Total')) break;
    rows.push(asObject(n));
  }
  return {
    rows,
    after: (label) => {
      for (let m = n; m <= sheet.rowCount; m++) {
        const values = (sheet.getRow(m).values as unknown[]).slice(1);
        if (values.includes(label)) return asObject(m);
      }
      return undefined;
    },
  };
}

describeEachBackend('workbooks', (store, backend) => {
  let fixture: MonthFixture;
  const out = path.join(dir, backend);
  const NOW = new Date('2026-06-03T10:00:00Z'); // a Wednesday

  before(async () => {
    fixture = await insertWorkbookMonth(store());
  });

  test('the allocation workbook has every sheet, and its totals equal the stored numbers', async () => {
    const result = await writeAllocationWorkbook(store(), { period: '2026-05', outDir: out, now: NOW });
    assert.equal(result.run_id, fixture.runId, 'the latest succeeded run, not the later failed one');
    assert.equal(path.basename(result.path), 'allocation-2026-05.xlsx');
    const workbook = await readBack(result.path);
    assert.deepEqual(workbook.worksheets.map((s) => s.name), [
      'Close', 'Summary', 'By team', 'By cost center', 'By service and workflow', 'By model', 'Variance cells', 'Variance causes',
      'Cause detail', 'Untagged and unallocated', 'Month over month', 'Evidence', 'Showback', 'Policy and method', 'Disputes',
    ]);

    const summary = table(workbook.getWorksheet('Summary')!, 'Provider').rows;
    assert.equal(summary.length, 1);
    assert.equal(summary[0]!['Invoiced'], 9.26);
    assert.equal(summary[0]!['Priced ledger'], 9.506);
    assert.equal(summary[0]!['Variance'], -0.246);
    assert.equal(summary[0]!['Allocated'], 9.26);
    assert.equal(summary[0]!['Unallocated'], 0);
    assert.equal(summary[0]!['Explained'], -0.245);
    // The cell stored 'review' for its whole variance, but all of it is explained but -0.001,
    // which is within tolerance: the provider's reconciliation follows the unexplained part.
    assert.equal(summary[0]!['Cells over tolerance'], 1);
    assert.equal(summary[0]!['Cells needing work'], 0);
    assert.equal(summary[0]!['Reconciliation'], 'within tolerance');
    assert.equal(summary[0]!['Run'], fixture.runId);

    const { rows: dbTotal } = await sql<{ total: string }>`select sum(amount)::text as total from run_allocation where run_id = ${fixture.runId}::bigint`.execute(store().db);
    const byTeam = table(workbook.getWorksheet('By team')!, 'Team');
    assert.deepEqual(byTeam.rows.map((r) => [r['Team'], r['Allocated'], r['Mode']]), [
      ['platform', 1.23, 'showback'],
      ['sales', 4.72, 'showback'],
      ['support', 3.31, 'chargeback'],
    ]);
    assert.equal(byTeam.after('Total')!['Allocated'], Number(dbTotal[0]!.total));
    assert.equal(byTeam.after('Total')!['Allocated'], 9.26);
    assert.equal(byTeam.rows[2]!['Attributable share'], 0.97);

    const centers = table(workbook.getWorksheet('By cost center')!, 'Cost center');
    assert.equal(centers.after('Total')!['Allocated'], 9.26);

    const services = table(workbook.getWorksheet('By service and workflow')!, 'Team').rows;
    const sales = services.find((r) => r['Team'] === 'sales')!;
    assert.equal(sales['Service'], CMD_SERVICE, 'a service named like a formula is text');
    assert.ok(services.some((r) => r['Workflow'] === HYPERLINK_TAG));

    const cells = workbook.getWorksheet('Variance cells')!;
    const cellTable = table(cells, 'Day');
    assert.equal(cellTable.rows.length, 3);
    assert.equal(cellTable.after('Total')!['Invoice amount'], 9.51);
    // quantities are tokens or requests: never added up together
    assert.equal(cellTable.after('Total')!['Invoice quantity'], null);
    const outputRow = cellTable.rows.findIndex((r) => r['Token category'] === 'output');
    let header = 0;
    for (let n = 1; n <= cells.rowCount; n++) if (cells.getRow(n).getCell(1).value === 'Day') header = n;
    // the output cell stored 'review' for its whole variance; its unexplained part is within tolerance
    const output = cellTable.rows[outputRow]!;
    assert.deepEqual([output['Explained'], output['Unexplained'], output['Status'], output['Status before causes']], [0, -0.001, 'within tolerance', 'review']);
    assert.notEqual((cells.getRow(header + 1 + outputRow).getCell(1).fill as ExcelJS.FillPattern | undefined)?.fgColor?.argb, 'FFFFE699', 'a cell that needs no work is not highlighted');

    const causes = table(workbook.getWorksheet('Variance causes')!, 'Provider');
    assert.deepEqual(causes.rows.map((r) => [r['Step'], r['Cause'] ?? null, r['Running total']]), [
      ['Priced ledger', null, 9.506],
      ['Cause', 'invoice_discount', 9.006],
      ['Cause', 'unmapped_invoice_line', 9.256],
      ['Cause', 'stale_price_card', 9.261],
      ['Unexplained', 'unexplained', 9.26],
      ['Invoiced', null, 9.26],
    ]);
    assert.equal(causes.rows[5]!['Rule'], 'ties out');
    assert.equal(causes.after('Total variance')!['Amount'], -0.246);
    // two cells took an amount (stale card on input, unexplained on output); each counts once
    assert.deepEqual(causes.rows.map((r) => r['Cells affected'] ?? null), [null, 0, 0, 1, 1, null]);
    assert.equal(causes.after('Total variance')!['Cells affected'], 2);
    assert.equal(causes.after('Total variance')!['Records'], null, 'records are per cause, not totalled');

    const untagged = table(workbook.getWorksheet('Untagged and unallocated')!, 'Kind').rows;
    const spend = untagged.find((r) => r['Kind'] === 'untagged spend')!;
    assert.equal(spend['Workflow'], HYPERLINK_TAG);
    assert.equal(spend['Amount'], 1);
    assert.match(String(spend['Evidence']), /r-untagged/);
    assert.ok(untagged.some((r) => r['Kind'] === 'allocated to bucket' && r['Went to'] === 'platform'));
    assert.ok(untagged.some((r) => r['Kind'] === 'unmapped invoice line' && r['Amount'] === 0.25));
    assert.ok(!untagged.some((r) => r['Kind'] === 'unallocated invoice amount'), 'the invoice is fully allocated');

    const policy = table(workbook.getWorksheet('Policy and method')!, 'Section').rows;
    assert.ok(policy.some((r) => r['Section'] === 'Policy' && r['Item'] === 'untagged' && r['Value'] === 'bucket'));
    assert.ok(policy.some((r) => r['Section'] === 'Card versions' && r['Item'] === 'openai-2026-05'));
    assert.ok(policy.some((r) => r['Section'] === 'Input files' && String(r['Value']).startsWith('test-invoice-')));

    const disputes = table(workbook.getWorksheet('Disputes')!, 'Dispute').rows;
    assert.deepEqual(disputes.map((r) => [r['Team'], r['Status']]), [['support', 'open'], ['sales', 'rejected']]);

    const { rows: issues } = await sql<{ kind: string; sha256: string }>`select kind, sha256 from workbook_issue where run_id = ${fixture.runId}::bigint and kind = 'allocation'`.execute(store().db);
    assert.deepEqual(issues, [{ kind: 'allocation', sha256: result.sha256 }]);
  });

  test('the same run writes byte-identical workbooks, recorded once', async () => {
    const a = await writeAllocationWorkbook(store(), { period: '2026-05', outDir: path.join(out, 'a') });
    const b = await writeAllocationWorkbook(store(), { period: '2026-05', runId: fixture.runId, outDir: path.join(out, 'b') });
    assert.equal(a.sha256, b.sha256);
    assert.deepEqual(fs.readFileSync(a.path), fs.readFileSync(b.path));
    const again = await writeAllocationWorkbook(store(), { period: '2026-05', outDir: path.join(out, 'a') });
    assert.equal(again.sha256, a.sha256);
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from workbook_issue where path = ${a.path}`.execute(store().db);
    assert.equal(rows[0]!.n, '1');
  });

  test('a dispute workbook shows the team’s charges, top requests, retries, policy, and a deadline five business days after issue', async () => {
    const result = await writeDisputeWorkbook(store(), { period: '2026-05', team: 'support', outDir: out, now: NOW });
    assert.equal(path.basename(result.path), 'dispute-2026-05-support.xlsx');
    assert.equal(result.deadline, '2026-06-10', 'issued Wednesday 3 June: due the next Wednesday');
    const workbook = await readBack(result.path);
    assert.deepEqual(workbook.worksheets.map((s) => s.name), ['Summary', 'Charges', 'By day', 'Top requests', 'Invoice lines', 'Retries and partials', 'Policy applied', 'Dispute', 'recon']);
    assert.equal(workbook.getWorksheet('recon')!.state, 'hidden', 'the sheet the import reads is hidden');

    const summary = table(workbook.getWorksheet('Summary')!, 'Component');
    assert.equal(summary.after('Total charged')!['Amount'], 3.31);

    const charges = table(workbook.getWorksheet('Charges')!, 'Line');
    assert.deepEqual(charges.rows.map((r) => [r['Line'], r['Component'], r['Amount']]), [['C1', 'retry', 0.01], ['C2', 'usage', 3.49], ['C3', 'discount', -0.19]]);
    assert.equal(charges.after('Total')!['Amount'], 3.31);

    const top = table(workbook.getWorksheet('Top requests')!, 'Request id').rows;
    assert.deepEqual(top.map((r) => [r['Request id'], r['Records of'], r['Cost']]), [['r-big', 'own', 3.5], ['r-small', 'own', 0.0035], ['r-retry', 'own', 0.0025]]);
    // the invoice's discount line is behind the team's discount charge
    const lines = table(workbook.getWorksheet('Invoice lines')!, 'Invoice line id').rows;
    assert.deepEqual(lines.map((r) => [r['Line type'], r['Charged as'], r['Amount']]), [['discount', 'discount', -0.5]]);
    assert.equal(top[0]!['Provider response id'], 'chatcmpl-big');
    assert.equal(top[0]!['Input tokens'], 1_000_000);
    assert.equal(top[0]!['Output tokens'], 100_000);
    assert.equal(top[0]!['Card version'], 'openai-2026-05');
    assert.deepEqual(top[0]!['Time (UTC)'], new Date('2026-05-10T12:00:00Z'));

    const retries = table(workbook.getWorksheet('Retries and partials')!, 'Day').rows;
    assert.deepEqual(retries.map((r) => [r['Team'], r['Status'], r['Retry'], r['Records'], r['Priced cost']]), [['support', 'error', 'yes', 1, 0.0025]]);

    const policy = table(workbook.getWorksheet('Policy applied')!, 'Section').rows;
    assert.ok(policy.some((r) => r['Section'] === 'Rule applied' && r['Item'] === 'retry' && r['Amount'] === 0.01));

    const form = workbook.getWorksheet('Dispute')!;
    const notes: string[] = [];
    form.eachRow((row) => notes.push(String(row.getCell(1).value)));
    assert.ok(notes.some((n) => n.includes('disputes are due by 2026-06-10')));
    const formRows = table(form, 'Line').rows;
    assert.equal(formRows[0]!['Reference (request id / invoice line)'], 'r-retry');
    assert.equal(formRows.filter((r) => r['Status'] === 'to file').length, 20);

    // Reissued a week later (or downloaded over HTTP): same deadline, same bytes.
    const later = await writeDisputeWorkbook(store(), { period: '2026-05', team: 'support', outDir: path.join(out, 'later'), now: new Date('2026-06-10T10:00:00Z') });
    assert.equal(later.deadline, '2026-06-10');
    assert.equal(later.sha256, result.sha256);
    const { rows } = await sql<{ issued_at: Date }>`select issued_at from workbook_issue where kind = 'dispute' and team = 'support' order by issued_at`.execute(store().db);
    assert.deepEqual(rows.map((r) => r.issued_at.toISOString()), ['2026-06-03T10:00:00.000Z', '2026-06-10T10:00:00.000Z']);
  });

  test('the platform bucket’s dispute workbook lists the untagged request it absorbed', async () => {
    const result = await writeDisputeWorkbook(store(), { period: '2026-05', team: 'platform', outDir: out, now: NOW });
    const workbook = await readBack(result.path);
    const charges = table(workbook.getWorksheet('Charges')!, 'Line').rows;
    assert.ok(charges.some((r) => r['Component'] === 'untagged' && r['Workflow'] === HYPERLINK_TAG && r['Amount'] === 0.98));
    // r-untagged: 400,000 input tokens at $2.50 per 1M = $1.00, no team tag, no key owner
    const top = table(workbook.getWorksheet('Top requests')!, 'Request id').rows;
    assert.deepEqual(top.map((r) => [r['Request id'], r['Records of'], r['Workflow'], r['Input tokens'], r['Cost']]), [['r-untagged', 'untagged', HYPERLINK_TAG, 400_000, 1]]);
    const days = table(workbook.getWorksheet('By day')!, 'Day').rows;
    assert.deepEqual(days.map((r) => [r['Records of'], r['Workflow'], r['Records'], r['Priced cost']]), [['untagged', HYPERLINK_TAG, 1, 1]]);
    // the unmapped invoice line (sku mystery-sku, $0.25) it was charged as unmatched_invoice
    const lines = table(workbook.getWorksheet('Invoice lines')!, 'Invoice line id').rows;
    assert.deepEqual(lines.map((r) => [r['Provider model'], r['SKU'], r['Charged as'], r['Why no ledger explains it'], r['Amount']]), [['mystery', 'mystery-sku', 'unmatched_invoice', 'maps to no model or token category', 0.25]]);
  });

  test('under policy retries: platform, the bucket’s Retries sheet lists the other teams’ retries charged to it', async () => {
    await sql`update run set policy = jsonb_set(policy, '{retries}', '"platform"') where id = ${fixture.runId}::bigint`.execute(store().db);
    try {
      const result = await writeDisputeWorkbook(store(), { period: '2026-05', team: 'platform', outDir: path.join(out, 'retries-platform'), now: NOW });
      const retries = table((await readBack(result.path)).getWorksheet('Retries and partials')!, 'Day').rows;
      // r-retry: support's failed second attempt, 1,000 input tokens at $2.50 per 1M
      assert.deepEqual(retries.map((r) => [r['Team'], r['Status'], r['Retry'], r['Records'], r['Priced cost']]), [['support', 'error', 'yes', 1, 0.0025]]);
    } finally {
      await sql`update run set policy = jsonb_set(policy, '{retries}', '"owner"') where id = ${fixture.runId}::bigint`.execute(store().db);
    }
  });

  test('mistakes get a clear error with what to do', async () => {
    const rejects = (promise: Promise<unknown>, pattern: RegExp) =>
      assert.rejects(promise, (error: Error) => error instanceof UserError && pattern.test(error.message));
    await rejects(writeAllocationWorkbook(store(), { period: '2026-13', outDir: out }), /YYYY-MM/);
    await rejects(writeAllocationWorkbook(store(), { period: '2026-04', outDir: out }), /2026-04 has no succeeded run/);
    await rejects(writeAllocationWorkbook(store(), { period: '2026-05', runId: fixture.failedRunId, outDir: out }), /did not succeed/);
    await rejects(writeAllocationWorkbook(store(), { period: '2026-04', runId: fixture.runId, outDir: out }), /run of 2026-05, not 2026-04/);
    await rejects(writeDisputeWorkbook(store(), { period: '2026-05', team: 'nobody', outDir: out }), /charges nothing to team "nobody"/);
  });
});

test('dispute file names are safe for any team name and stay distinct', () => {
  assert.equal(disputeFileName('2026-05', 'support'), 'dispute-2026-05-support.xlsx');
  assert.equal(disputeFileName('2026-05', 'sales.emea'), 'dispute-2026-05-sales.emea.xlsx');
  // '/' is 0x2f and '.' stays: no separator survives, so the file stays in the folder
  assert.equal(disputeFileName('2026-05', '../etc/passwd'), 'dispute-2026-05-.._2fetc_2fpasswd.xlsx');
  assert.equal(disputeFileName('2026-05', 'a/b'), 'dispute-2026-05-a_2fb.xlsx');
});

test('dispute file names are injective over team names (#16.7: a/b and a_b-c14cdd no longer meet)', () => {
  // The pair from the attack: before, both were dispute-2026-05-a_b-c14cdd.xlsx.
  const crafted = [
    'a/b', 'a_b-c14cdd', 'a b', 'a_b', 'a_2fb', 'a_5f2fb', 'A/b', 'a/B', 'Sales', 'sales', 'SALES', '', '_', '.', '..', '~',
    'ü', 'u\u0308', '数据', 'x'.repeat(200), 'x'.repeat(200) + 'y', 'team\u0000', 'con', 'a\\b', 'a:b', 'a*b',
  ];
  const names = crafted.map((t) => disputeFileName('2026-05', t));
  assert.equal(new Set(names).size, crafted.length, 'two crafted team names share a file name');
  // case-insensitive file systems (macOS, Windows) see the same set
  assert.equal(new Set(names.map((n) => n.toLowerCase())).size, crafted.length);
  for (const name of names) {
    assert.match(name, /^dispute-2026-05-[a-z0-9._~-]+\.xlsx$/, name);
    assert.ok(Buffer.byteLength(name) <= 255, `${name.length} bytes`);
  }
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
      fc.pre(a !== b);
      return disputeFileName('2026-05', a).toLowerCase() !== disputeFileName('2026-05', b).toLowerCase();
    }),
    { numRuns: 2000 },
  );
});
