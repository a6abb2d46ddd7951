import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import ExcelJS from 'exceljs';
import { writeWorkbook } from '../../src/workbooks/xlsx-writer.ts';
import type { SheetRow, SheetSpec } from '../../src/workbooks/sheet-spec.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-xlsx-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const CREATED = new Date('2026-06-02T06:15:00Z');

async function readBack(file: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  return workbook;
}

/** The header row: the first row whose first cell equals the first header. */
function findRow(sheet: ExcelJS.Worksheet, firstCell: string): number {
  for (let n = 1; n <= sheet.rowCount; n++) if (sheet.getRow(n).getCell(1).value === firstCell) return n;
  return -1;
}

const INJECTIONS = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", '@SUM(1)', '-2+3', '\t=1+1', '\r=2+2'];

test('ledger values that look like formulas are written and read back as the same text, never formulas', async () => {
  const spec: SheetSpec = {
    name: 'Tags',
    columns: [
      { header: 'Team', key: 'team', format: 'text' },
      { header: 'Workflow', key: 'workflow', format: 'text' },
      { header: 'Cost', key: 'cost', format: 'usd', total: true },
    ],
    rows: INJECTIONS.map((value, i) => ({ team: value, workflow: `wf-${i}`, cost: '1.00' })),
  };
  const out = await writeWorkbook(path.join(dir, 'injection.xlsx'), [spec], { created: CREATED, title: 'injection' });
  const sheet = (await readBack(out.path)).getWorksheet('Tags')!;
  const header = findRow(sheet, 'Team');
  INJECTIONS.forEach((value, i) => {
    const cell = sheet.getRow(header + 1 + i).getCell(1);
    assert.equal(cell.type, ExcelJS.ValueType.String, `${JSON.stringify(value)} is a string cell`);
    // XML stores a carriage return as a line feed; the text is otherwise the same
    assert.equal(cell.value, value.replace('\r', '\n'));
    assert.equal(cell.formula, undefined);
    assert.equal(cell.numFmt, '@', 'text format keeps it text when someone edits the cell');
  });
  // and no formula element anywhere in the sheet XML
  const xml = await sheetXml(out.path);
  assert.doesNotMatch(xml, /<f>/);
});

async function sheetXml(file: string): Promise<string> {
  const { default: JSZip } = await import('jszip');
  const zip = await JSZip.loadAsync(fs.readFileSync(file));
  return zip.file('xl/worksheets/sheet1.xml')!.async('string');
}

test('formats, frozen header, autofilter, widths, highlight and a totals row equal to the exact decimal sum', async () => {
  const rows: SheetRow[] = [
    { team: 'support', amount: '0.10', share: '0.025', day: '2026-05-01', records: '3' },
    { team: 'sales', amount: '0.20', share: '0.5', day: '2026-05-31', records: '4' },
    { team: 'research', amount: '-0.05', share: null, day: null, records: '9007199254740993' },
  ];
  const spec: SheetSpec = {
    name: 'By team',
    notes: ['What each team is charged.'],
    columns: [
      { header: 'Team', key: 'team', format: 'text' },
      { header: 'Allocated', key: 'amount', format: 'usd', total: true },
      { header: 'Share', key: 'share', format: 'percent' },
      { header: 'Day', key: 'day', format: 'date' },
      { header: 'Records', key: 'records', format: 'integer', total: true },
    ],
    rows,
    highlight: (row) => row.team === 'sales',
  };
  const out = await writeWorkbook(path.join(dir, 'formats.xlsx'), [spec], { created: CREATED, title: 'formats' });
  const sheet = (await readBack(out.path)).getWorksheet('By team')!;
  const header = findRow(sheet, 'Team');
  assert.equal(header, 4, 'title, one note, a blank line, then the header');
  assert.deepEqual((sheet.getRow(header).values as unknown[]).slice(1), ['Team', 'Allocated', 'Share', 'Day', 'Records']);
  assert.equal(sheet.getRow(header).getCell(1).font?.bold, true);
  assert.equal(sheet.views[0]?.state, 'frozen');
  assert.equal((sheet.views[0] as { ySplit?: number }).ySplit, header);
  assert.equal(sheet.getRow(header + 1).getCell(2).numFmt, '"$"#,##0.00;[Red]-"$"#,##0.00');
  assert.equal(sheet.getRow(header + 1).getCell(3).numFmt, '0.00%');
  assert.equal(sheet.getRow(header + 1).getCell(3).value, 0.025);
  assert.deepEqual(sheet.getRow(header + 1).getCell(4).value, new Date('2026-05-01T00:00:00Z'));
  assert.ok((sheet.getColumn(1).width ?? 0) >= 10);
  const fill = sheet.getRow(header + 2).getCell(1).fill as ExcelJS.FillPattern;
  assert.equal(fill?.fgColor?.argb, 'FFFFE699', 'the highlighted row is filled');
  assert.equal((sheet.getRow(header + 1).getCell(1).fill as ExcelJS.FillPattern | undefined)?.fgColor, undefined);
  const totals = sheet.getRow(header + 4);
  assert.equal(totals.getCell(1).value, 'Total');
  assert.equal(totals.getCell(2).value, 0.25, '0.10 + 0.20 - 0.05 summed as decimals, not floats');
  assert.equal(typeof totals.getCell(2).value, 'number');
  assert.equal(totals.getCell(2).formula, undefined);
  const xml = await sheetXml(out.path);
  assert.match(xml, /<autoFilter ref="A4:E7"\/>/);
});

test('a sheet past the row cap continues on numbered sheets, says where the rest is, and totals all parts', async () => {
  async function* many(): AsyncIterable<SheetRow> {
    for (let i = 1; i <= 25; i++) yield { id: `r${i}`, amount: '1.01' };
  }
  const spec: SheetSpec = {
    name: 'Variance cells',
    notes: ['cells'],
    columns: [
      { header: 'Id', key: 'id', format: 'text' },
      { header: 'Amount', key: 'amount', format: 'usd', total: true },
    ],
    rows: many(),
  };
  const out = await writeWorkbook(path.join(dir, 'cap.xlsx'), [spec], { created: CREATED, title: 'cap' }, { maxRowsPerSheet: 10 });
  assert.deepEqual(out.sheets, [{ name: 'Variance cells', rows: 25, parts: ['Variance cells', 'Variance cells (2)', 'Variance cells (3)'] }]);
  const workbook = await readBack(out.path);
  assert.deepEqual(workbook.worksheets.map((s) => s.name), ['Variance cells', 'Variance cells (2)', 'Variance cells (3)']);
  const first = workbook.getWorksheet('Variance cells')!;
  const texts = (sheet: ExcelJS.Worksheet) => {
    const all: string[] = [];
    sheet.eachRow((row) => all.push(String(row.getCell(1).value)));
    return all;
  };
  assert.ok(texts(first).some((t) => t.includes("Rows after 10 continue on sheet 'Variance cells (2)'")));
  const second = workbook.getWorksheet('Variance cells (2)')!;
  assert.ok(texts(second).some((t) => t.includes("Continued from sheet 'Variance cells': rows 11 onward")));
  const third = workbook.getWorksheet('Variance cells (3)')!;
  const ids = [first, second, third].flatMap((s) => texts(s).filter((t) => /^r\d+$/.test(t)));
  assert.equal(ids.length, 25);
  const totalRow = findRow(third, 'Total (all parts)');
  assert.equal(third.getRow(totalRow).getCell(2).value, 25.25);
});

test('the same content and date give byte-identical files', async () => {
  const spec = (): SheetSpec => ({
    name: 'Summary',
    columns: [{ header: 'Provider', key: 'p', format: 'text' }, { header: 'Invoiced', key: 'a', format: 'usd', total: true }],
    rows: [{ p: 'openai', a: '12.34' }],
  });
  const a = await writeWorkbook(path.join(dir, 'same-a.xlsx'), [spec()], { created: CREATED, title: 'same' });
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const b = await writeWorkbook(path.join(dir, 'same-b.xlsx'), [spec()], { created: CREATED, title: 'same' });
  assert.equal(a.sha256, b.sha256);
  assert.deepEqual(fs.readFileSync(a.path), fs.readFileSync(b.path));
  const workbook = await readBack(a.path);
  assert.equal(workbook.creator, 'recon');
  assert.deepEqual(workbook.created, CREATED);
});

test('control characters that XML cannot carry are dropped instead of corrupting the file', async () => {
  const out = await writeWorkbook(
    path.join(dir, 'control.xlsx'),
    [{ name: 'Odd/Name:[x]', columns: [{ header: 'Tag', key: 't', format: 'text' }], rows: [{ t: 'a\u0001b\u0008c' }] }],
    { created: CREATED, title: 'control' },
  );
  const workbook = await readBack(out.path);
  assert.equal(workbook.worksheets[0]!.name, 'Odd Name  x');
  const sheet = workbook.worksheets[0]!;
  assert.equal(sheet.getRow(findRow(sheet, 'Tag') + 1).getCell(1).value, 'abc');
});

test('a sheet without columns (a section not available yet) is written with its notes', async () => {
  const out = await writeWorkbook(path.join(dir, 'empty.xlsx'), [{ name: 'Month over month', notes: ['Not available yet.'], columns: [], rows: [] }], { created: CREATED, title: 'e' });
  const sheet = (await readBack(out.path)).getWorksheet('Month over month')!;
  assert.equal(sheet.getRow(2).getCell(1).value, 'Not available yet.');
});

test('amounts a double cannot hold to the cent are written as exact text, smaller ones as numbers (#16.12)', async () => {
  const { toCellValue, LARGEST_EXACT_CENTS } = await import('../../src/workbooks/cell-values.ts');
  assert.equal(LARGEST_EXACT_CENTS.toFixed(), '90071992547409.91');
  assert.equal(toCellValue('90071992547409.91', 'usd'), 90071992547409.91);
  assert.equal(toCellValue('-1234.56', 'usd'), -1234.56);
  // the nearest double to 1,234,567,890,123,456.78 is ...456.75: as a number the cents would be wrong
  assert.equal((1234567890123456.78).toFixed(2), '1234567890123456.75');
  assert.equal(toCellValue('1234567890123456.78', 'usd'), '1234567890123456.78');
  assert.equal(toCellValue('-90071992547410.00', 'usd'), '-90071992547410');
});
