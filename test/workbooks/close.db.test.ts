import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { parsePeriod } from '../../src/period.ts';
import { closePeriod } from '../../src/run/close-period.ts';
import { writeAllocationWorkbook } from '../../src/workbooks/write-workbooks.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertWorkbookMonth, type MonthFixture } from './run-fixture.ts';

// The Close cover sheet and the labels, units and print setup of the allocation workbook, read
// back from the written file and checked against the fixture's figures worked out by hand
// (test/workbooks/run-fixture.ts):
//   invoice   8.51 + 1.00 − 0.50 + 0.25                           = 9.26
//   allocated 3.49 + 0.01 − 0.19 + 0.98 + 0.25 + 5.03 − 0.31      = 9.26   (difference 0.00)
//   priced    2.5025 + 1.001 + 0.0025 + 1.00 + 5.00               = 9.506
//   explained −0.50 + 0.25 + 0.005 = −0.245; unexplained −0.001 (within 2% and $1.00: no cell needs work)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-close-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function readBack(file: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  return workbook;
}

function headerRowOf(sheet: ExcelJS.Worksheet, firstHeader: string): number {
  for (let n = 1; n <= sheet.rowCount; n++) if (sheet.getRow(n).getCell(1).value === firstHeader) return n;
  assert.fail(`sheet ${sheet.name} has no header starting ${firstHeader}`);
}

/** Close sheet rows by item: value, its number format, detail. */
function closeItems(sheet: ExcelJS.Worksheet): Map<string, { value: unknown; numFmt: string; detail: unknown; section: unknown }> {
  const items = new Map<string, { value: unknown; numFmt: string; detail: unknown; section: unknown }>();
  for (let n = headerRowOf(sheet, 'Section') + 1; n <= sheet.rowCount; n++) {
    const row = sheet.getRow(n);
    if (!row.hasValues) continue;
    items.set(`${row.getCell(1).value}/${row.getCell(2).value}`, { section: row.getCell(1).value, value: row.getCell(3).value, numFmt: row.getCell(3).numFmt, detail: row.getCell(4).value });
  }
  return items;
}

function rowsOf(sheet: ExcelJS.Worksheet, firstHeader: string): Record<string, ExcelJS.Cell>[] {
  const header = headerRowOf(sheet, firstHeader);
  const names = (sheet.getRow(header).values as unknown[]).slice(1).map(String);
  const rows: Record<string, ExcelJS.Cell>[] = [];
  for (let n = header + 1; n <= sheet.rowCount; n++) {
    const row = sheet.getRow(n);
    if (!row.hasValues || String(row.getCell(1).value ?? '').startsWith('Total')) break;
    rows.push(Object.fromEntries(names.map((h, i) => [h, row.getCell(i + 1)])));
  }
  return rows;
}

describeEachBackend('the Close sheet', (store, backend) => {
  let fixture: MonthFixture;
  const out = path.join(dir, backend);

  before(async () => {
    fixture = await insertWorkbookMonth(store());
  });

  test('comes first and shows the totals tying, the run, hashes, card and policy, and "not closed" for an open period', async () => {
    const result = await writeAllocationWorkbook(store(), { period: '2026-05', outDir: out, now: new Date('2026-06-03T10:00:00Z') });
    const workbook = await readBack(result.path);
    assert.equal(workbook.worksheets[0]!.name, 'Close');
    const items = closeItems(workbook.getWorksheet('Close')!);
    const value = (key: string) => items.get(key)?.value;

    assert.equal(value('Totals/Invoice total'), 9.26);
    assert.equal(value('Totals/Allocated to teams'), 9.26);
    assert.equal(value('Totals/Difference (invoice − allocated)'), 0);
    assert.equal(items.get('Totals/Difference (invoice − allocated)')!.numFmt, '"$"#,##0.00;[Red]-"$"#,##0.00', 'shown as $0.00');
    assert.equal(value('Totals/Priced ledger'), 9.506);
    assert.equal(value('Totals/Variance (invoice − priced ledger)'), -0.246);
    assert.equal(value('Totals/Explained by causes'), -0.245);
    assert.equal(value('Totals/Unexplained variance'), -0.001);
    assert.equal(value('Totals/Variance cells'), 3);
    assert.equal(value('Totals/Cells needing work'), 0);
    assert.equal(items.get('Totals/Cells needing work')!.numFmt, '#,##0');
    assert.equal(value('Reconciliation/openai'), 'within tolerance');

    assert.equal(value('Run/Run id'), fixture.runId);
    assert.equal(value('Run/Inputs hash'), 'in-hash');
    assert.equal(value('Run/Results hash'), 'out-hash');
    assert.deepEqual(value('Run/Finished'), new Date('2026-06-02T06:00:00Z'));
    assert.equal(value('Card versions/openai-2026-05'), 'test');
    assert.match(String(items.get('Card versions/openai-2026-05')!.detail), new RegExp(`^id ${fixture.cardVersionId};`));
    assert.equal(value('Policy/Policy version'), 'default-1');
    assert.equal(value('Close/Period status'), 'open');
    assert.equal(value('Close/Closed at'), 'not closed');
    assert.equal(value('Close/Closed by'), 'not closed');
  });

  test('card prices are per 1M tokens, token counts are whole numbers, and quantities are not totalled', async () => {
    const workbook = await readBack(path.join(out, 'allocation-2026-05.xlsx'));
    const cells = rowsOf(workbook.getWorksheet('Variance cells')!, 'Day');
    const byCategory = Object.fromEntries(cells.map((c) => [String(c['Token category']!.value), c]));
    const price = 'Card price (per 1M tokens / per request)';
    // the run stores 0.0000025 per token; the card says 2.50 per 1M
    assert.equal(byCategory.input![price]!.value, 2.5);
    assert.equal(byCategory.output![price]!.value, 10);
    assert.equal(byCategory.request![price]!.value, null);
    assert.equal(byCategory.input![price]!.numFmt, '"$"#,##0.00####;[Red]-"$"#,##0.00####');
    assert.deepEqual([byCategory.input!['Unit']!.value, byCategory.request!['Unit']!.value], ['tokens', 'requests']);
    for (const cell of cells) {
      for (const column of ['Invoice quantity', 'Ledger quantity', 'Quantity variance']) {
        assert.ok(Number.isInteger(cell[column]!.value), `${column} is a whole number`);
        assert.equal(cell[column]!.numFmt, '#,##0');
      }
    }
    assert.deepEqual(cells.map((c) => c['Invoice quantity']!.value), [3_401_000, 100_000, 0]);

    const detail = rowsOf(workbook.getWorksheet('Cause detail')!, 'Provider');
    const stale = detail.find((r) => r['Cause']!.value === 'stale_price_card')!;
    assert.equal(stale['Cells affected']!.numFmt, '#,##0');
  });

  test('every sheet prints landscape, one page wide, with its header row repeated', async () => {
    const workbook = await readBack(path.join(out, 'allocation-2026-05.xlsx'));
    assert.ok(workbook.worksheets.length >= 15);
    for (const sheet of workbook.worksheets) {
      const setup = sheet.pageSetup;
      assert.equal(setup.orientation, 'landscape', sheet.name);
      assert.equal(setup.fitToPage, true, sheet.name);
      assert.equal(setup.fitToWidth, 1, sheet.name);
      assert.equal(setup.fitToHeight, 0, sheet.name);
    }
    // title, one note line per note, a blank line, then the header: Close has two notes, so row 5
    assert.equal(workbook.getWorksheet('Close')!.pageSetup.printTitlesRow, '5:5');
    assert.equal(workbook.getWorksheet('Summary')!.pageSetup.printTitlesRow, `${headerRowOf(workbook.getWorksheet('Summary')!, 'Provider')}:${headerRowOf(workbook.getWorksheet('Summary')!, 'Provider')}`);
    const cellsSheet = workbook.getWorksheet('Variance cells')!;
    assert.equal(cellsSheet.pageSetup.printTitlesRow, `${headerRowOf(cellsSheet, 'Day')}:${headerRowOf(cellsSheet, 'Day')}`);
  });

  test('a closed period shows when it was closed and by whom', async () => {
    const closed = await closePeriod(store().db, parsePeriod('2026-05'), 'controller-token');
    assert.equal(closed.closed_by_run, fixture.runId);
    const result = await writeAllocationWorkbook(store(), { period: '2026-05', outDir: path.join(out, 'closed') });
    const items = closeItems((await readBack(result.path)).getWorksheet('Close')!);
    assert.equal(items.get('Close/Period status')!.value, 'closed');
    assert.ok(items.get('Close/Closed at')!.value instanceof Date, 'the close time, as a date');
    assert.equal(items.get('Close/Closed by')!.value, 'controller-token');
  });
});
