import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { cliTarget, runCli, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { testBackends } from '../support/db.ts';

// The platform bucket's dispute workbook carries the evidence behind its charge, and a filled-in
// workbook reads back as disputes. The month, at $2.00 per 1M input and $8.00 per 1M output of
// gpt-4.1, billed at exactly the list price:
//
//   request  team      day         input      output   cost
//   r-1      research  2026-05-06  5,000,000  0        10.00
//   u-1      (none)    2026-05-06  1,000,000  100,000   2.80   (2.00 + 0.80)
//   u-2      (none)    2026-05-07    500,000  0         1.00
//   u-3      (none)    2026-05-07    250,000  50,000    0.90   (0.50 + 0.40)
//
// The three untagged requests (4.70) stay in the platform bucket (default policy). The invoice
// also bills 0.20 of input on 2026-05-08, when nothing was logged, and a 0.35 line no model maps
// (sku mystery-sku): both no ledger explains, both the bucket's (unmatched_invoice). A 1.00 fee is
// spread over everyone's spend.

const CARD = [
  'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source,region,min_input_tokens',
  'openai,gpt-4.1-2025-04-14,standard,input,2.00,2026-01-01,,d-v1,hand,,',
  'openai,gpt-4.1-2025-04-14,standard,output,8.00,2026-01-01,,d-v1,hand,,',
].join('\n');
const LEDGER = [
  'request_id,timestamp,provider,response_model,input_tokens,output_tokens,service_tier,status,team',
  'r-1,2026-05-06T10:00:00Z,openai,gpt-4.1-2025-04-14,5000000,0,standard,ok,research',
  'u-1,2026-05-06T11:00:00Z,openai,gpt-4.1-2025-04-14,1000000,100000,standard,ok,',
  'u-2,2026-05-07T09:00:00Z,openai,gpt-4.1-2025-04-14,500000,0,standard,ok,',
  'u-3,2026-05-07T15:30:00Z,openai,gpt-4.1-2025-04-14,250000,50000,standard,ok,',
].join('\n');
const INVOICE = [
  'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type,sku',
  'openai,INV-D,2026-05-06,gpt-4.1-2025-04-14,input,standard,6000000,12.00,USD,usage,',
  'openai,INV-D,2026-05-06,gpt-4.1-2025-04-14,output,standard,100000,0.80,USD,usage,',
  'openai,INV-D,2026-05-07,gpt-4.1-2025-04-14,input,standard,750000,1.50,USD,usage,',
  'openai,INV-D,2026-05-07,gpt-4.1-2025-04-14,output,standard,50000,0.40,USD,usage,',
  'openai,INV-D,2026-05-08,gpt-4.1-2025-04-14,input,standard,100000,0.20,USD,usage,',
  'openai,INV-D,2026-05-09,,,standard,10,0.35,USD,usage,mystery-sku',
  'openai,INV-D,2026-05-31,,,,,1.00,USD,fee,platform-fee',
].join('\n');

async function readBack(file: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  return workbook;
}

/** The sheet's table: header row found by its first header, then rows (with their row number) as objects by header. */
function table(sheet: ExcelJS.Worksheet, firstHeader: string): { header: number; columns: Map<string, number>; rows: (Record<string, unknown> & { _row: number })[] } {
  let header = -1;
  for (let n = 1; n <= sheet.rowCount; n++) if (sheet.getRow(n).getCell(1).value === firstHeader) { header = n; break; }
  assert.ok(header > 0, `sheet ${sheet.name} has a header starting ${firstHeader}`);
  const names = (sheet.getRow(header).values as unknown[]).slice(1).map(String);
  const rows: (Record<string, unknown> & { _row: number })[] = [];
  for (let n = header + 1; n <= sheet.rowCount; n++) {
    const row = sheet.getRow(n);
    if (!row.hasValues || String(row.getCell(1).value ?? '').startsWith('Total')) break;
    rows.push({ _row: n, ...Object.fromEntries(names.map((h, i) => [h, row.getCell(i + 1).value])) });
  }
  return { header, columns: new Map(names.map((h, i) => [h, i + 1])), rows };
}

interface ImportResult {
  period: string;
  run_id: string;
  team: string;
  opened: { id: string; line: string; row: number; amount: string; ref: string | null }[];
  already_imported: { id: string; line: string }[];
  errors: { sheet: string; row: number; line: string; column: string; reason: string; fix: string }[];
}

for (const backend of testBackends()) {
  describe(`the platform bucket's dispute workbook, filled in and imported [${backend}]`, () => {
    let target: CliTarget;
    let workbookPath: string;
    let runId: string;
    before(async () => {
      target = await cliTarget(backend);
      for (const [name, text] of [['card.csv', CARD], ['ledger.csv', LEDGER], ['invoice.csv', INVOICE]] as const) fs.writeFileSync(path.join(target.dir, name), text);
      await runCliJson(target, ['ratecard', 'import', path.join(target.dir, 'card.csv')]);
      await runCliJson(target, ['ingest', 'ledger', path.join(target.dir, 'ledger.csv')]);
      await runCliJson(target, ['ingest', 'invoice', path.join(target.dir, 'invoice.csv')]);
      runId = (await runCliJson<{ run_id: string }>(target, ['run', '--period', '2026-05'])).run_id;
      const written = await runCliJson<{ files: { kind: string; team: string | null; path: string }[] }>(target, ['workbook', '--period', '2026-05', '--team', 'platform', 'research', '--out', path.join(target.dir, 'out')]);
      workbookPath = written.files.find((f) => f.team === 'platform')!.path;
    });
    after(async () => target.cleanup());

    test('it lists exactly the untagged requests and the unexplained invoice lines charged to the bucket', async () => {
      const workbook = await readBack(workbookPath);
      const top = table(workbook.getWorksheet('Top requests')!, 'Request id').rows;
      assert.deepEqual(top.map((r) => [r['Request id'], r['Records of'], r['Input tokens'], r['Output tokens'], r['Cost']]), [
        ['u-1', 'untagged', 1_000_000, 100_000, 2.8],
        ['u-2', 'untagged', 500_000, 0, 1],
        ['u-3', 'untagged', 250_000, 50_000, 0.9],
      ]);
      const days = table(workbook.getWorksheet('By day')!, 'Day').rows;
      assert.deepEqual(days.map((r) => [(r['Day'] as Date).toISOString().slice(0, 10), r['Records of'], r['Records'], r['Priced cost']]), [
        ['2026-05-06', 'untagged', 1, 2.8],
        ['2026-05-07', 'untagged', 2, 1.9],
      ]);
      const lines = table(workbook.getWorksheet('Invoice lines')!, 'Invoice line id').rows;
      assert.deepEqual(lines.map((r) => [r['Line type'], r['Charged as'], r['SKU'], r['Why no ledger explains it'], r['Amount']]).sort((a, b) => String(a[1]).localeCompare(String(b[1])) || Number(b[4]) - Number(a[4])), [
        ['fee', 'fee', 'platform-fee', null, 1],
        ['usage', 'unmatched_invoice', 'mystery-sku', 'maps to no model or token category', 0.35],
        ['usage', 'unmatched_invoice', null, 'no ledger records in its cell (model, category, tier, day)', 0.2],
      ]);
      const charges = table(workbook.getWorksheet('Charges')!, 'Line').rows;
      const untagged = charges.filter((r) => r['Component'] === 'untagged');
      assert.equal(untagged.reduce((sum, r) => sum + Math.round(Number(r['Amount']) * 100), 0), 470, 'the three untagged requests: 2.80 + 1.00 + 0.90');

      // research's workbook shows its own request only, and the fee line behind its share of the fee
      const research = await readBack(workbookPath.replace('-platform.xlsx', '-research.xlsx'));
      assert.deepEqual(table(research.getWorksheet('Top requests')!, 'Request id').rows.map((r) => [r['Request id'], r['Records of'], r['Cost']]), [['r-1', 'own', 10]]);
      assert.deepEqual(table(research.getWorksheet('Invoice lines')!, 'Invoice line id').rows.map((r) => [r['Line type'], r['Amount']]), [['fee', 1]]);
    });

    test('the Dispute sheet checks what is typed in and totals it live', async () => {
      const workbook = await readBack(workbookPath);
      const form = workbook.getWorksheet('Dispute')!;
      const { columns, rows } = table(form, 'Line');
      const first = rows.find((r) => r['Line'] === 'new 1')!;
      const cell = (header: string) => form.getRow(first._row).getCell(columns.get(header)!);
      const chargeLine = cell('Charge line').dataValidation;
      assert.equal(chargeLine?.type, 'list');
      assert.match(String(chargeLine?.formulae?.[0]), /^'Charges'!\$A\$\d+:\$A\$\d+$/);
      const reason = cell('Reason code').dataValidation;
      assert.equal(reason?.type, 'list');
      assert.match(String(reason?.formulae?.[0]), /not_ours/);
      const amount = cell('Amount disputed').dataValidation;
      assert.equal(amount?.type, 'decimal');
      assert.equal(Number(amount?.formulae?.[0]), 0);
      // exceljs reads a decimal bound as a number (NaN for a formula): the bound as written, from the sheet's XML
      const { default: JSZip } = await import('jszip');
      const xml = await (await JSZip.loadAsync(fs.readFileSync(workbookPath))).file(`xl/worksheets/sheet${form.id}.xml`)!.async('string');
      const amountLetter = String.fromCharCode(64 + columns.get('Amount disputed')!);
      const bound = new RegExp(`<dataValidation type="decimal"[^>]*sqref="${amountLetter}\\d+:${amountLetter}\\d+"><formula1>0</formula1><formula2>IFERROR\\(INDEX\\(&apos;Charges&apos;!\\$I\\$\\d+:\\$I\\$\\d+,MATCH\\(C${first._row},&apos;Charges&apos;!\\$A\\$\\d+:\\$A\\$\\d+,0\\)\\),0\\)</formula2>`);
      assert.match(/<dataValidations.*<\/dataValidations>/.exec(xml)?.[0] ?? '(no dataValidations)', bound);
      // Total disputed: a SUM over the Amount disputed cells of every line
      let total: ExcelJS.CellValue = null;
      form.eachRow((row) => {
        if (row.getCell(1).value === 'Total disputed') total = row.getCell(columns.get('Amount disputed')!).value;
      });
      const amountColumn = String.fromCharCode(64 + columns.get('Amount disputed')!);
      assert.match(String((total as unknown as { formula?: string } | null)?.formula), new RegExp(`^SUM\\(${amountColumn}${rows[0]!._row}:${amountColumn}${rows[rows.length - 1]!._row}\\)$`));
      assert.equal(workbook.getWorksheet('recon')!.state, 'hidden');
    });

    test('two good lines open two disputes with their amounts, each bad line gets one error, and a second import opens nothing', async () => {
      const workbook = await readBack(workbookPath);
      const charges = table(workbook.getWorksheet('Charges')!, 'Line').rows;
      const untaggedLine = charges.find((r) => r['Component'] === 'untagged')!;
      const mysteryLine = charges.find((r) => r['Component'] === 'unmatched_invoice' && r['Model'] === 'mystery-sku')!;
      assert.ok(untaggedLine && mysteryLine, 'the untagged and the mystery-sku charge lines');
      const form = workbook.getWorksheet('Dispute')!;
      const { columns, rows } = table(form, 'Line');
      const fill = (line: string, values: Record<string, ExcelJS.CellValue>) => {
        const row = form.getRow(rows.find((r) => r['Line'] === line)!._row);
        for (const [header, value] of Object.entries(values)) row.getCell(columns.get(header)!).value = value;
        return row.number;
      };
      fill('new 1', { 'Charge line': untaggedLine['Line'] as string, 'Reference (request id / invoice line)': 'u-1', 'Reason code': 'belongs_elsewhere', 'Amount disputed': 2.8, Explanation: 'u-1 is research eval traffic on the shared key', Evidence: { formula: 'HYPERLINK("http://x","y")', result: 'y' } as ExcelJS.CellValue });
      fill('new 2', { 'Charge line': mysteryLine['Line'] as string, 'Reason code': 'wrong_price', 'Amount disputed': '0.35', Explanation: '=cmd|\' /C calc\'!A0' });
      const tooMuch = fill('new 3', { 'Charge line': untaggedLine['Line'] as string, 'Reason code': 'duplicate', 'Amount disputed': 5 });
      const unknown = fill('new 4', { 'Charge line': 'C99', 'Reason code': 'other', 'Amount disputed': 1 });
      const filled = path.join(target.dir, 'filled.xlsx');
      await workbook.xlsx.writeFile(filled);

      const first = await runCli(target, ['dispute', 'import', filled, '--json']);
      assert.equal(first.code, 1, 'some lines refused: exit 1, with the good ones imported');
      const result = JSON.parse(first.stdout) as ImportResult;
      assert.deepEqual([result.run_id, result.period, result.team], [runId, '2026-05', 'platform']);
      assert.deepEqual(result.opened.map((d) => [d.line, d.amount, d.ref]), [['new 1', '2.80', 'u-1'], ['new 2', '0.35', null]]);
      assert.deepEqual(result.errors.map((e) => [e.sheet, e.row, e.line, e.column]), [
        ['Dispute', tooMuch, 'new 3', 'Amount disputed'],
        ['Dispute', unknown, 'new 4', 'Charge line'],
      ]);
      assert.match(result.errors[0]!.reason, /5\.00 is more than the 4\.70 charged on C\d+/);
      assert.match(result.errors[1]!.reason, /"C99" is not a line of sheet Charges/);

      const listed = await runCliJson<{ id: string; amount: string; reason: string; ref: string | null; status: string }[]>(target, ['dispute', 'list', '--period', '2026-05', '--team', 'platform']);
      assert.deepEqual(listed.map((d) => [d.amount, d.status]), [['2.80', 'open'], ['0.35', 'open']]);
      // cell text that looks like a formula stays text
      assert.match(listed[0]!.reason, /evidence: =HYPERLINK\("http:\/\/x","y"\)/);
      assert.match(listed[1]!.reason, /^\[wrong_price\] =cmd\|' \/C calc'!A0/);

      const second = JSON.parse((await runCli(target, ['dispute', 'import', filled, '--json'])).stdout) as ImportResult;
      assert.deepEqual(second.opened, []);
      assert.deepEqual(second.already_imported.map((d) => [d.line, d.id]), result.opened.map((d) => [d.line, d.id]));
      assert.equal(second.errors.length, 2);
      const after = await runCliJson<unknown[]>(target, ['dispute', 'list', '--period', '2026-05', '--team', 'platform']);
      assert.equal(after.length, 2, 'nothing new opened');

      // a workbook that is not a dispute workbook is refused whole, saying why
      const other = await runCli(target, ['dispute', 'import', path.join(target.dir, 'out', 'allocation-2026-05.xlsx')]);
      assert.equal(other.code, 2);
      assert.match(other.stderr, /not a recon dispute workbook/);
    });
  });
}
