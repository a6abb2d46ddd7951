import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { UserError } from '../../src/command-context.ts';
import { money, sum } from '../../src/money.ts';
import { parsePeriod } from '../../src/period.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { ingestFile } from '../../src/ingest/loader.ts';
import { importRateCard } from '../../src/pricing/import-card.ts';
import { runPeriod, type RunOutcome } from '../../src/run/run-period.ts';
import { closePeriod } from '../../src/run/close-period.ts';
import { selectRun } from '../../src/run/queries.ts';
import { writeAllocationWorkbook, writeDisputeWorkbook } from '../../src/workbooks/write-workbooks.ts';
import { describeOnBothEngines } from '../support/db.ts';
import { writeMonthFiles, type MonthFiles } from './month-files.ts';

// Issue #16.1: a replaced invoice or ledger file never rewrites the record of a finished or
// closed run. The replaced rows are retired (kept), every run reads the files it recorded, a run
// reads one snapshot, and a replace into a closed period needs --reopen.

const period = parsePeriod('2026-05');
const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const settings = parseSettings({});
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-immutable-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function invoicedOf(file: string): Promise<unknown> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheet = workbook.getWorksheet('Summary')!;
  for (let n = 1; n <= sheet.rowCount; n++) {
    if (sheet.getRow(n).getCell(1).value === 'Provider') {
      const headers = (sheet.getRow(n).values as unknown[]).map(String);
      return sheet.getRow(n + 1).getCell(headers.indexOf('Invoiced')).value;
    }
  }
  throw new Error('no Summary table');
}

/** The invoice file with its $5.00 credit corrected to `credit` (a provider's corrected export). */
function correctedInvoice(files: MonthFiles, name: string, credit: string): string {
  const text = fs.readFileSync(files.invoice, 'utf8').replace('2026-05-31,,,standard,,-5.00,USD,credit', `2026-05-31,,,standard,,${credit},USD,credit`);
  assert.ok(text.includes(credit));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describeOnBothEngines('runs are immutable evidence (#16.1)', (store, backend) => {
  const root = path.join(dir, backend);
  let files: MonthFiles;
  let closed: RunOutcome;
  const run = (extra: Partial<Parameters<typeof runPeriod>[1]> = {}) => runPeriod(store(), { period, trigger: 'manual', settings, policy: defaultPolicy, log, ...extra });
  const workbooks = async (name: string, runId: string) => {
    const outDir = path.join(root, name);
    const allocation = await writeAllocationWorkbook(store(), { period, runId, outDir });
    const dispute = await writeDisputeWorkbook(store(), { period, runId, outDir, team: 'sales' });
    return { allocation: fs.readFileSync(allocation.path), dispute: fs.readFileSync(dispute.path), allocationPath: allocation.path };
  };

  before(async () => {
    files = writeMonthFiles(path.join(root, 'in'));
    await importRateCard(store().db, { path: files.card, bytes: fs.readFileSync(files.card), format: 'csv' });
    await ingestFile(store(), { kind: 'ledger', path: files.ledger });
    await ingestFile(store(), { kind: 'invoice', path: files.invoice });
  });

  test('a closed run keeps its workbook byte for byte when its invoice and ledger files are replaced', async () => {
    closed = await run();
    assert.equal(closed.invoice_total, files.invoiceTotal);
    await closePeriod(store().db, period);
    const first = await workbooks('first', closed.run_id);
    assert.equal(await invoicedOf(first.allocationPath), Number(files.invoiceTotal));

    // A replace into the closed month is refused without --reopen, and changes nothing.
    const v2 = correctedInvoice(files, 'invoice-v2.csv', '-7.50');
    await assert.rejects(
      ingestFile(store(), { kind: 'invoice', path: v2, replace: true, reason: 'credit corrected' }),
      (error: unknown) => error instanceof UserError && /closed period\(s\) 2026-05/.test(error.message) && /--reopen/.test(error.hint ?? ''),
    );
    const loaded = await store().db.selectFrom('ingested_file').select(['kind', 'status']).where('kind', 'in', ['ledger', 'invoice']).orderBy('id').execute();
    assert.deepEqual(loaded, [{ kind: 'ledger', status: 'loaded' }, { kind: 'invoice', status: 'loaded' }]);

    // With --reopen the replace goes in; so does a corrected ledger (the first support request dropped).
    const invoice = await ingestFile(store(), { kind: 'invoice', path: v2, replace: true, reason: 'credit corrected', reopen: true });
    assert.deepEqual(invoice.reopened_periods, ['2026-05']);
    assert.equal(invoice.replaced_file_ids.length, 1);
    const ledgerLines = fs.readFileSync(files.ledger, 'utf8').split('\n');
    const dropped = ledgerLines.findIndex((l) => l.startsWith('support-'));
    const ledgerV2 = path.join(root, 'ledger-v2.csv');
    fs.writeFileSync(ledgerV2, ledgerLines.filter((_, i) => i !== dropped).join('\n'));
    const ledger = await ingestFile(store(), { kind: 'ledger', path: ledgerV2, replace: true, reason: 'gateway re-export', reopen: true });
    // every request of the corrected export is stored: the retired records no longer count as duplicates
    const records = ledgerLines.filter((l) => l.trim() !== '').length - 1;
    assert.deepEqual([ledger.rows_stored, ledger.rows_duplicate, ledger.replaced_file_ids.length], [records - 1, 0, 1]);

    // The replaced rows are retired, not deleted.
    const { rows } = await sql<{ retired_lines: string; retired_records: string }>`
      select (select count(*) from invoice_line where retired_by = ${invoice.ingested_file_id}::bigint)::text as retired_lines,
             (select count(*) from ledger_record where retired_by = ${ledger.ingested_file_id}::bigint)::text as retired_records`.execute(store().db);
    assert.ok(Number(rows[0]!.retired_lines) > 0);
    assert.equal(rows[0]!.retired_records, String(records));

    // The closed run, written again under the same run id: the same bytes, Invoiced as it was.
    const again = await workbooks('again', closed.run_id);
    assert.equal(await invoicedOf(again.allocationPath), Number(files.invoiceTotal));
    assert.ok(again.allocation.equals(first.allocation), 'allocation workbook byte-identical');
    assert.ok(again.dispute.equals(first.dispute), 'dispute workbook byte-identical');
    assert.deepEqual((await selectRun(store().db, closed.run_id))!.summary, closed);

    // A reopened rerun reads the corrected files; the closed run's workbook still does not move.
    const corrected = await run({ reopen: { reason: 'credit corrected' } });
    // the corrected credit: $2.50 more off the invoice (by hand: -7.50 instead of -5.00)
    assert.equal(corrected.invoice_total, money(files.invoiceTotal).minus('2.50').toFixed(2));
    assert.equal(corrected.allocated_total, corrected.invoice_total);
    assert.equal(corrected.counts.records, String(records - 1));
    const inputs = (await selectRun(store().db, corrected.run_id))!.inputs as { files: { id: string; status: string }[] };
    const counting = inputs.files.filter((f) => f.status === 'loaded').map((f) => f.id).sort();
    assert.deepEqual(counting, [invoice.ingested_file_id, ledger.ingested_file_id].sort());
    const later = await workbooks('later', closed.run_id);
    assert.ok(later.allocation.equals(first.allocation), 'allocation workbook of the closed run byte-identical after the rerun');
    assert.ok(later.dispute.equals(first.dispute), 'dispute workbook of the closed run byte-identical after the rerun');
  });

  test('a replace committed while a run is in progress: the run reads one snapshot, its inputs and results agree', async () => {
    const before = await sql<{ total: string }>`
      select sum(i.amount)::text as total from invoice_line i join ingested_file f on f.id = i.ingested_file_id
      where f.status = 'loaded' and i.charge_date between '2026-05-01' and '2026-05-31'`.execute(store().db);
    const seen = before.rows[0]!.total;
    let started!: () => void;
    const inRun = new Promise<void>((resolve) => (started = resolve));
    const pending = run({ reopen: { reason: 'mid-run replace' }, pauseBeforeCommitMs: 1500, onStarted: () => started() });
    await inRun;
    // started: on PostgreSQL the replace commits during the run's pause; on PGlite (one session) it waits for the run
    await new Promise((resolve) => setTimeout(resolve, 300));
    const v3 = correctedInvoice(files, 'invoice-v3.csv', '-1000.00');
    const replaced = ingestFile(store(), { kind: 'invoice', path: v3, replace: true, reason: 'mid-run correction', reopen: true });
    const [outcome, v3Result] = await Promise.all([pending, replaced]);
    const inputs = (await selectRun(store().db, outcome.run_id))!.inputs as { files: { id: string; kind: string; status: string }[] };
    const invoiceIds = inputs.files.filter((f) => f.kind === 'invoice' && f.status === 'loaded').map((f) => f.id);
    assert.equal(invoiceIds.length, 1);
    if (backend === 'postgres') {
      assert.notEqual(invoiceIds[0], v3Result.ingested_file_id, 'the run recorded the invoice of its snapshot');
      assert.equal(outcome.invoice_total, money(seen).toFixed(2), 'the summary reads the recorded invoice');
    }
    const recorded = await sql<{ total: string }>`select sum(amount)::text as total from invoice_line where ingested_file_id = ${invoiceIds[0]!}::bigint`.execute(store().db);
    assert.equal(outcome.invoice_total, money(recorded.rows[0]!.total).toFixed(2), 'invoice total of the recorded file');
    assert.equal(outcome.allocated_total, outcome.invoice_total, 'the allocation charged the recorded invoice');
    assert.equal(sum(outcome.causes.map((c) => money(c.amount))).toFixed(2), outcome.variance, 'the causes explain the same invoice');
  });
});
