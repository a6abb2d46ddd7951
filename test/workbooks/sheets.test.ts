import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellWorkStatus, countCellWork, flattenPolicy, reconciliationStatus, runInputFileIds, runToleranceRules, summarySheet, varianceCausesSheet } from '../../src/workbooks/allocation-sheets.ts';
import { cellText, displayLength, looksLikeFormula, rowsPerSheet, safeSheetName, toCellValue } from '../../src/workbooks/cell-values.ts';
import { disputeDeadline, topRequestsSheet } from '../../src/workbooks/dispute-sheets.ts';
import type { WorkbookRun } from '../../src/workbooks/queries.ts';
import type { SheetRow } from '../../src/workbooks/sheet-spec.ts';

const run: WorkbookRun = {
  id: '7', period: '2026-05', status: 'succeeded', trigger: 'manual', started_at: new Date('2026-06-02T05:59:00Z'),
  finished_at: new Date('2026-06-02T06:00:00Z'), inputs: {}, policy: {}, inputs_hash: 'h', results_hash: 'r', reopen_reason: null, period_status: 'open',
};

test('dispute deadline: five business days, weekends skipped', () => {
  assert.equal(disputeDeadline(new Date('2026-06-01T09:00:00Z')), '2026-06-08', 'Monday -> next Monday');
  assert.equal(disputeDeadline(new Date('2026-06-05T09:00:00Z')), '2026-06-12', 'Friday -> next Friday');
  assert.equal(disputeDeadline(new Date('2026-06-06T09:00:00Z')), '2026-06-12', 'issued on a Saturday counts from Monday');
  assert.equal(disputeDeadline(new Date('2026-12-29T23:30:00Z')), '2027-01-05', 'year rollover');
  assert.equal(disputeDeadline(new Date('2028-02-25T12:00:00Z')), '2028-03-03', 'leap February');
  assert.equal(disputeDeadline(new Date('2026-06-01T23:59:59Z')), '2026-06-08', 'the UTC day, whatever the local zone');
});

test('cell values: decimal strings become numbers at the edge; text stays text', () => {
  assert.equal(toCellValue('12.345', 'usd'), 12.345);
  assert.equal(toCellValue('0.025', 'percent'), 0.025);
  assert.equal(toCellValue('n/a', 'usd'), 'n/a', 'an unparseable amount is shown, not dropped');
  assert.equal(toCellValue(null, 'usd'), null);
  assert.equal(toCellValue('=1+1', 'text'), '=1+1');
  assert.equal(toCellValue(true, 'text'), 'yes');
  assert.deepEqual(toCellValue('2026-02-28', 'date'), new Date(Date.UTC(2026, 1, 28)));
  assert.equal(looksLikeFormula('=HYPERLINK("x")'), true);
  assert.equal(looksLikeFormula('-2+3'), true);
  assert.equal(looksLikeFormula('support'), false);
  assert.equal(cellText('x'.repeat(40_000)).length, 32_767);
});

test('sheet names: Excel’s forbidden characters and 31-character limit, unique case-insensitively', () => {
  assert.equal(safeSheetName('By service and workflow and more words', new Set()), 'By service and workflow and mor');
  assert.equal(safeSheetName('Summary', new Set(['summary'])), 'Summary (2)');
  assert.equal(safeSheetName('a/b', new Set()), 'a b');
});

test('rows per sheet stay under Excel’s 1,048,576 rows with the rows above and below', () => {
  assert.equal(rowsPerSheet(undefined, 5, 3), 1_048_576 - 8);
  assert.equal(rowsPerSheet(1000, 5, 3), 1000);
  assert.equal(rowsPerSheet(5_000_000, 5, 3), 1_048_576 - 8);
});

test('the waterfall runs from priced ledger through each cause to the invoice, and says when it does not tie out', () => {
  const providers = [{ provider: 'openai', invoiced: '10.00', priced: '9.00', allocated: '10.00', explained: '0.70', unexplained: '0.20', cells_review: '0', cells_breach: '0' }];
  const causes = [
    { provider: 'openai', cause: 'stale_price_card', amount: '0.70', cells_affected: '2', record_count: '0', rules: 'r' },
    { provider: 'openai', cause: 'unexplained', amount: '0.20', cells_affected: '0', record_count: '0', rules: 'residual' },
  ];
  const sheet = varianceCausesSheet(run, providers, causes);
  const rows = sheet.rows as SheetRow[];
  assert.deepEqual(rows.map((r) => r.running), ['9', '9.7', '9.9', '10.00']);
  assert.equal(rows[3]!.rule, 'does not tie out: 0.1 not attributed');
  assert.equal(sheet.highlight!(rows[3]!), true);
});

test('the top-requests sheet says when it is capped and where the rest is', () => {
  const sheet = topRequestsSheet({ run, team: 'support', issuedAt: new Date('2026-06-03T00:00:00Z'), deadline: '2026-06-10' }, [], '2500', 1000);
  assert.ok(sheet.notes!.some((n) => n.includes('capped at 1,000') && n.includes('ledger_record')));
});

test('policy flattening and run input file ids', () => {
  assert.deepEqual(flattenPolicy({ retries: 'owner', chargeback: { enabled: true, min: '0.95' } }), [
    { path: 'chargeback.enabled', value: 'true' },
    { path: 'chargeback.min', value: '0.95' },
    { path: 'retries', value: 'owner' },
  ]);
  assert.deepEqual(runInputFileIds({ files: [{ id: '3', kind: 'ledger' }, { id: 4, kind: 'invoice' }] }, 'invoice'), ['4']);
  assert.equal(runInputFileIds({}), null);
});

test('a cell’s status follows the unexplained part of its variance (the one tolerance rule, default 2% and $1.00)', async () => {
  const rules = runToleranceRules(run);
  const cell = { provider: 'anthropic', invoice_amount: '100.00' };
  // $50 of variance on a $100 cell is a breach (over twice $1 and twice 2%) when nothing explains it...
  assert.equal(cellWorkStatus({ ...cell, unexplained: '50' }, rules), 'breach');
  assert.equal(cellWorkStatus({ ...cell, unexplained: '2.50' }, rules), 'review');
  // ...and needs no work when causes explain all of it
  assert.equal(cellWorkStatus({ ...cell, unexplained: '0' }, rules), 'ok');
  // the run's recorded tolerance is the one used
  const strict = runToleranceRules({ inputs: { settings: { tolerance: { default: { percent: '0.1', amount: '0.01' }, providers: {} } } } });
  assert.equal(cellWorkStatus({ ...cell, unexplained: '0.50' }, strict), 'breach');

  const fully = { day: '2026-05-01', provider: 'anthropic', model: 'm', token_category: 'input', service_tier: 'standard', invoice_quantity: '1', ledger_quantity: '1', quantity_variance: '0', card_price: '3', invoice_amount: '100.00', ledger_amount: '50', volume_effect: '0', price_effect: '50', variance_amount: '50', variance_share: '0.5', explained: '50', unexplained: '0', status: 'breach', invoice_line_ids: '' };
  const work = await countCellWork([fully], rules);
  assert.deepEqual(work.get('anthropic'), { cells: 1, review: 0, breach: 0 });
  assert.equal(reconciliationStatus(work.get('anthropic')), 'within tolerance');
  const providers = [{ provider: 'anthropic', invoiced: '100.00', priced: '50', allocated: '100.00', explained: '50', unexplained: '0', cells_review: '0', cells_breach: '1' }];
  const summary = summarySheet(run, providers, work);
  const row = (summary.rows as SheetRow[])[0]!;
  assert.deepEqual([row.cells_over, row.cells_work, row.reconciliation], ['1', '0', 'within tolerance']);
  assert.equal(summary.highlight!(row), false, 'a fully explained provider is not flagged');
});

test('widths fit every number as its format shows it', () => {
  assert.equal(displayLength('-1234.5', 'usd'), '-$1,234.50'.length);
  assert.equal(displayLength('12345678.1234567', 'usd_precise'), '$12,345,678.123457'.length);
  assert.equal(displayLength('2.5', 'usd_rate'), '$2.50'.length);
  assert.equal(displayLength('0.075', 'usd_rate'), '$0.075'.length);
  assert.equal(displayLength('1234567890', 'integer'), '1,234,567,890'.length);
  assert.equal(displayLength('0.416', 'percent'), '41.60%'.length);
  assert.equal(displayLength('some text', 'text'), 0);
});
