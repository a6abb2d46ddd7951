import { Decimal, money, ZERO } from '../money.ts';
import { cellStatus, ruleFor, toleranceRules, type CellStatus, type ToleranceRule } from '../reconcile/tolerance.ts';
import { settingsSchema } from '../settings.ts';
import type { ColumnSpec, SheetRow, SheetSpec } from './sheet-spec.ts';
import type {
  CardVersionUsed,
  CauseDetailRow,
  CauseTotal,
  CostCenterFigures,
  DisputeRow,
  InputFileRow,
  InvoiceLineRow,
  ModelFigures,
  ProviderFigures,
  ServiceWorkflowFigures,
  TeamFigures,
  UntaggedRow,
  VarianceCellRow,
  WorkbookRun,
} from './queries.ts';

// Sheet contents of the allocation workbook: stored rows in, SheetSpec out. Pure: no database,
// file or clock; the shell loads the rows and the writer turns the specs into XLSX.

const text = (header: string, key: string, width?: number): ColumnSpec => ({ header, key, format: 'text', ...(width ? { width } : {}) });
const usd = (header: string, key: string, total = true): ColumnSpec => ({ header, key, format: 'usd', total });
const usdPrecise = (header: string, key: string, total = true): ColumnSpec => ({ header, key, format: 'usd_precise', total });
const pct = (header: string, key: string): ColumnSpec => ({ header, key, format: 'percent' });
const int = (header: string, key: string, total = true): ColumnSpec => ({ header, key, format: 'integer', total });

/** a / b as a decimal string, or null when b is zero */
export function share(numerator: string, denominator: string): string | null {
  const d = money(denominator);
  return d.isZero() ? null : money(numerator).dividedBy(d).toDecimalPlaces(6).toFixed();
}

function isoDay(date: Date | null): string {
  return date ? date.toISOString().slice(0, 10) : '';
}

/**
 * The tolerance rules the run recorded with its inputs (inputs.settings.tolerance), else the
 * default settings: a workbook judges cells by the rules the run was made with.
 */
export function runToleranceRules(run: Pick<WorkbookRun, 'inputs'>): ToleranceRule[] {
  const recorded = (run.inputs as { settings?: { tolerance?: unknown } } | null)?.settings?.tolerance;
  const parsed = settingsSchema.shape.tolerance.safeParse(recorded);
  return toleranceRules({ tolerance: parsed.success ? parsed.data : settingsSchema.shape.tolerance.parse(undefined) });
}

/** How a status reads in the workbooks: 'ok' is "within tolerance". */
export const STATUS_TEXT: Record<CellStatus, string> = { ok: 'within tolerance', review: 'review', breach: 'breach' };

/**
 * A variance cell's status after its causes: the one tolerance rule (reconcile/tolerance.ts
 * cellStatus) applied to the part of its variance no cause explains. A cell whose variance is
 * fully explained needs no work, however large the variance.
 */
export function cellWorkStatus(cell: Pick<VarianceCellRow, 'provider' | 'invoice_amount' | 'unexplained'>, rules: ToleranceRule[]): CellStatus {
  return cellStatus(money(cell.unexplained), money(cell.invoice_amount), ruleFor(rules, cell.provider));
}

/** Per provider: cells, and cells whose unexplained part is over tolerance (review / breach). */
export interface CellWork {
  cells: number;
  review: number;
  breach: number;
}

export async function countCellWork(cells: AsyncIterable<VarianceCellRow> | VarianceCellRow[], rules: ToleranceRule[]): Promise<Map<string, CellWork>> {
  const work = new Map<string, CellWork>();
  for await (const cell of cells) {
    const w = work.get(cell.provider) ?? { cells: 0, review: 0, breach: 0 };
    const status = cellWorkStatus(cell, rules);
    w.cells += 1;
    if (status === 'review') w.review += 1;
    if (status === 'breach') w.breach += 1;
    work.set(cell.provider, w);
  }
  return work;
}

const NO_WORK: CellWork = { cells: 0, review: 0, breach: 0 };

/** A provider's reconciliation status: the worst status of its cells after causes. */
export function reconciliationStatus(work: CellWork | undefined): string {
  const w = work ?? NO_WORK;
  return STATUS_TEXT[w.breach > 0 ? 'breach' : w.review > 0 ? 'review' : 'ok'];
}

export function runNotes(run: WorkbookRun): string[] {
  return [
    `Period ${run.period}, run ${run.id} (${run.trigger}, ${run.status}), finished ${run.finished_at ? run.finished_at.toISOString() : 'not yet'}; period ${run.period_status ?? 'open'}.`,
  ];
}

/** The period's close record, as src/run/queries.ts selectPeriod reads it. */
export interface PeriodClose {
  status: 'open' | 'closed';
  closed_at: Date | null;
  /** who closed it (token name or user), when the close recorded one */
  closed_by?: string | null;
}

export interface CloseInput {
  run: WorkbookRun;
  providers: ProviderFigures[];
  work: ReadonlyMap<string, CellWork>;
  cards: CardVersionUsed[];
  period: PeriodClose | undefined;
  rules: ToleranceRule[];
}

const sumOf = (values: string[]): Decimal => values.reduce((t, v) => t.plus(money(v)), ZERO);

/**
 * The Close cover sheet, first in the allocation workbook: what a controller checks before
 * signing. Totals tie (invoice = allocated), what is still unexplained and how many cells still
 * need work, which run (id and hashes), cards and policy made the numbers, and the close record.
 */
export function closeSheet(input: CloseInput): SheetSpec {
  const { run, providers, work, cards, period, rules } = input;
  const rows: SheetRow[] = [];
  const add = (section: string, item: string, value: string | null, format: string, detail = '') => rows.push({ section, item, value, format, detail });

  const invoiced = sumOf(providers.map((p) => p.invoiced));
  const allocated = sumOf(providers.map((p) => p.allocated));
  const priced = sumOf(providers.map((p) => p.priced));
  const explained = sumOf(providers.map((p) => p.explained));
  const unexplained = sumOf(providers.map((p) => p.unexplained));
  const difference = invoiced.minus(allocated);
  const all = [...work.values()].reduce((t, w) => ({ cells: t.cells + w.cells, review: t.review + w.review, breach: t.breach + w.breach }), NO_WORK);
  const needingWork = all.review + all.breach;
  const fallback = ruleFor(rules, '');
  const others = rules.filter((r) => r.provider !== null).map((r) => `${r.provider} ${r.percent}% and $${r.amount}`);

  add('Totals', 'Invoice total', invoiced.toFixed(), 'usd', `${providers.length} provider(s), the invoice lines of ${run.period}`);
  add('Totals', 'Allocated to teams', allocated.toFixed(), 'usd', 'sheet By team');
  add('Totals', 'Difference (invoice − allocated)', difference.toFixed(), 'usd', difference.isZero() ? 'ties: the whole invoice is charged to teams' : 'DOES NOT TIE: see Untagged and unallocated');
  add('Totals', 'Priced ledger', priced.toFixed(), 'usd', 'gateway records at the rate card');
  add('Totals', 'Variance (invoice − priced ledger)', invoiced.minus(priced).toFixed(), 'usd', 'sheet Variance causes');
  add('Totals', 'Explained by causes', explained.toFixed(), 'usd');
  add('Totals', 'Unexplained variance', unexplained.toFixed(), 'usd', unexplained.isZero() ? 'every dollar of variance has a cause' : 'variance no cause explains');
  add('Totals', 'Variance cells', String(all.cells), 'integer', 'provider × model × token category × tier × day');
  add('Totals', 'Cells needing work', String(needingWork), 'integer',
    `unexplained part over tolerance: ${all.breach} breach, ${all.review} review (tolerance ${fallback.percent}% and $${fallback.amount}${others.length > 0 ? `; ${others.join('; ')}` : ''}); sheet Variance cells`);
  for (const p of providers) add('Reconciliation', p.provider, reconciliationStatus(work.get(p.provider)), 'text', `unexplained ${money(p.unexplained).toFixed(2)} USD; ${(work.get(p.provider)?.review ?? 0) + (work.get(p.provider)?.breach ?? 0)} cell(s) needing work`);

  add('Run', 'Run id', run.id, 'text', `${run.trigger}, ${run.status}`);
  add('Run', 'Period', run.period, 'text');
  add('Run', 'Finished', run.finished_at ? run.finished_at.toISOString() : null, 'datetime', 'UTC');
  add('Run', 'Inputs hash', run.inputs_hash ?? '(none)', 'text');
  add('Run', 'Results hash', run.results_hash ?? '(none)', 'text');
  if (cards.length === 0) add('Card versions', '(none used)', '', 'text');
  for (const c of cards) add('Card versions', c.card_version, c.source, 'text', `id ${c.id}; priced ${c.records} records`);
  const policy = run.policy as { version?: unknown; id?: unknown } | null;
  const recorded = (run.inputs as { policy?: { version?: unknown; hash?: unknown } } | null)?.policy;
  const version = policy?.version ?? recorded?.version;
  add('Policy', 'Policy version', version === undefined || version === null ? '(not recorded)' : String(version), 'text', typeof recorded?.hash === 'string' ? `policy hash ${recorded.hash}` : 'sheet Policy and method');

  // Only what a later run cannot change: a reopened rerun moves the period's closed_by_run and
  // reopened_at, and the closed run's workbook must keep its bytes (test/run/immutable-runs).
  const closed = period?.status === 'closed';
  add('Close', 'Period status', closed ? 'closed' : 'open', 'text', closed ? '' : 'not closed: the numbers can still change on a rerun');
  if (closed) {
    add('Close', 'Closed at', period!.closed_at ? period!.closed_at.toISOString() : null, 'datetime', 'UTC');
    add('Close', 'Closed by', period!.closed_by ?? '(not recorded)', 'text', period!.closed_by ? 'HTTP token name, or the OS user of `recon close`' : 'closed before recon recorded who closes');
  } else {
    add('Close', 'Closed at', 'not closed', 'text');
    add('Close', 'Closed by', 'not closed', 'text');
  }
  if (run.reopen_reason) add('Close', 'This run reopened the period', run.reopen_reason, 'text');

  return {
    name: 'Close',
    notes: [
      ...runNotes(run),
      'Open this sheet first. Sign off when the difference is $0.00 and no cell needs work; each line names the sheet with the detail.',
    ],
    columns: [
      text('Section', 'section', 15),
      text('Item', 'item', 34),
      { header: 'Value', key: 'value', format: 'text', formatFrom: 'format', width: 18 },
      text('Detail', 'detail', 80),
    ],
    rows,
    highlight: (row) =>
      (row.item === 'Difference (invoice − allocated)' && row.value !== '0') ||
      (row.item === 'Cells needing work' && row.value !== '0') ||
      (row.section === 'Reconciliation' && row.value !== STATUS_TEXT.ok),
  };
}

/** `converted`: the billed currencies other than the reporting one, when the month has any (src/fx). */
export function summarySheet(run: WorkbookRun, providers: ProviderFigures[], work: ReadonlyMap<string, CellWork>, converted?: { reporting: string; billed: string[] }): SheetSpec {
  const rows = providers.map((p) => {
    const variance = money(p.invoiced).minus(money(p.priced));
    const w = work.get(p.provider) ?? NO_WORK;
    return {
      provider: p.provider,
      invoiced: p.invoiced,
      priced: p.priced,
      variance: variance.toFixed(),
      variance_share: share(variance.toFixed(), p.invoiced),
      explained: p.explained,
      explained_share: variance.isZero() ? null : money(p.explained).dividedBy(variance).toDecimalPlaces(6).toFixed(),
      unexplained: p.unexplained,
      allocated: p.allocated,
      unallocated: money(p.invoiced).minus(money(p.allocated)).toFixed(),
      cells_over: (BigInt(p.cells_review) + BigInt(p.cells_breach)).toString(),
      cells_work: String(w.review + w.breach),
      reconciliation: reconciliationStatus(w),
      run_id: run.id,
      run_status: run.status,
    };
  });
  return {
    name: 'Summary',
    notes: [
      ...runNotes(run),
      'Invoiced = the provider invoice lines of the period; priced ledger = gateway records priced at the rate card; variance = invoiced − priced ledger.',
      'Explained share = the part of the variance attributed to a named cause (see Variance causes). Allocated = charged to teams; unallocated should be $0.00.',
      'Cells over tolerance = cells whose whole variance is over tolerance; cells needing work = those whose unexplained part still is. Reconciliation follows the unexplained part.',
      `Inputs hash ${run.inputs_hash ?? '(none)'}; results hash ${run.results_hash ?? '(none)'}${run.reopen_reason ? `; reopened: ${run.reopen_reason}` : ''}.`,
      ...(converted && converted.billed.length > 0
        ? [`Amounts are in ${converted.reporting}: invoice lines billed in ${converted.billed.join(', ')} are converted at the exchange rate of their charge date (sheet Invoice lines).`]
        : []),
    ],
    columns: [
      text('Provider', 'provider'),
      usd('Invoiced', 'invoiced'),
      usd('Priced ledger', 'priced'),
      usd('Variance', 'variance'),
      pct('Variance %', 'variance_share'),
      usd('Explained', 'explained'),
      pct('Explained share', 'explained_share'),
      usd('Unexplained', 'unexplained'),
      usd('Allocated', 'allocated'),
      usd('Unallocated', 'unallocated'),
      int('Cells over tolerance', 'cells_over'),
      int('Cells needing work', 'cells_work'),
      text('Reconciliation', 'reconciliation', 17),
      text('Run', 'run_id', 8),
      text('Run status', 'run_status', 12),
    ],
    rows,
    highlight: (row) => row.reconciliation !== STATUS_TEXT.ok || (typeof row.unallocated === 'string' && !money(row.unallocated).isZero()),
  };
}

export function byTeamSheet(run: WorkbookRun, teams: TeamFigures[]): SheetSpec {
  return {
    name: 'By team',
    notes: [
      ...runNotes(run),
      'What each team is charged, by component. Attributable share = part of the charge from the team’s own tagged (or key-owned), priced, reconciled records (the chargeback gate; `recon audit`’s “owner evidenced” share is another measure).',
      'Mode: chargeback only when the policy gates pass (attributable share, variance share, named key owners); otherwise showback, with the reason.',
      'Own priced usage = the team\'s own records at card prices, billed or not; What moved it = the difference by cause (README "Charged against own priced usage"); Flag = a difference no cause explains, beyond tolerance.',
    ],
    columns: [
      text('Team', 'team'),
      text('Cost center', 'cost_center', 14),
      text('Mode', 'mode', 12),
      usd('Allocated', 'allocated'),
      usd('Usage', 'usage'),
      usd('Retries', 'retry'),
      usd('Untagged', 'untagged'),
      usd('Discounts and credits', 'discounts_credits'),
      usd('Tax and fees', 'tax_fees'),
      usd('Variance', 'variance'),
      usd('Disputes', 'disputes'),
      usdPrecise('Priced cost', 'priced_cost'),
      usdPrecise('Own priced usage', 'own_priced_usage'),
      usdPrecise('Charged − own usage', 'charge_difference'),
      text('What moved it', 'moved_by', 50),
      text('Flag', 'bridge_flag', 20),
      pct('Attributable share', 'attributable_share'),
      pct('Variance share', 'variance_share'),
      usd('Untagged exposure', 'untagged_exposure'),
      usd('Unexplained exposure', 'unexplained_exposure'),
      usd('Budget', 'budget', false),
      usd('Forecast', 'forecast', false),
      text('Why this mode', 'mode_reason', 50),
    ],
    rows: teams as unknown as SheetRow[],
  };
}

export function byCostCenterSheet(run: WorkbookRun, centers: CostCenterFigures[]): SheetSpec {
  const total = centers.reduce((t, c) => t.plus(money(c.allocated)), ZERO);
  return {
    name: 'By cost center',
    notes: [...runNotes(run), 'The allocation rolled up to cost centers (from the owners file); (none) = teams without a cost center.'],
    columns: [text('Cost center', 'cost_center'), int('Teams', 'teams', false), usd('Allocated', 'allocated'), usdPrecise('Priced basis', 'basis'), pct('Share of invoice', 'share')],
    rows: centers.map((c) => ({ ...c, cost_center: c.cost_center ?? '(none)', share: share(c.allocated, total.toFixed()) })),
  };
}

export function byServiceWorkflowSheet(run: WorkbookRun, rows: ServiceWorkflowFigures[]): SheetSpec {
  return {
    name: 'By service and workflow',
    notes: [...runNotes(run), 'Which services and workflows drove each team’s charge. Priced basis = the priced ledger cost the share was computed from.'],
    columns: [
      text('Team', 'team'),
      text('Cost center', 'cost_center', 14),
      text('Service', 'service'),
      text('Workflow', 'workflow', 22),
      usd('Allocated', 'allocated'),
      usdPrecise('Priced basis', 'basis'),
      text('Components', 'components', 30),
    ],
    rows: rows as unknown as SheetRow[],
  };
}

export function byModelSheet(run: WorkbookRun, rows: ModelFigures[]): SheetSpec {
  return {
    name: 'By model',
    notes: [...runNotes(run), 'Per provider and canonical model: gateway records, priced cost, invoiced usage (variance cells) and the allocation.'],
    columns: [
      text('Provider', 'provider'),
      text('Model', 'model', 30),
      int('Records', 'records'),
      int('Unpriced records', 'unpriced_records'),
      usdPrecise('Priced ledger', 'priced'),
      usd('Invoiced usage', 'invoiced'),
      usd('Allocated', 'allocated'),
    ],
    rows: rows as unknown as SheetRow[],
    highlight: (row) => row.unpriced_records !== '0',
  };
}

/** Variance cells with their status after causes and the unit their quantities are in. */
async function* cellsWithStatus(cells: AsyncIterable<VarianceCellRow> | VarianceCellRow[], rules: ToleranceRule[]): AsyncIterable<SheetRow> {
  for await (const cell of cells) {
    yield {
      ...cell,
      unit: cell.token_category === 'request' ? 'requests' : 'tokens',
      status: STATUS_TEXT[cellWorkStatus(cell, rules)],
      status_before: cell.status in STATUS_TEXT ? STATUS_TEXT[cell.status as CellStatus] : cell.status,
    };
  }
}

export function varianceCellsSheet(run: WorkbookRun, cells: AsyncIterable<VarianceCellRow> | VarianceCellRow[], rules: ToleranceRule[] = runToleranceRules(run)): SheetSpec {
  return {
    name: 'Variance cells',
    notes: [
      ...runNotes(run),
      'Invoice vs priced ledger per provider, model, token category, tier and day. Volume effect = (invoice qty − ledger qty) × card price; price effect = invoice amount − invoice qty × card price.',
      'Quantities are tokens, or requests where the token category is "request" (column Unit), so they are not totalled. Card price: USD per 1M tokens, or per request.',
      'Explained = the part of the variance attributed to a named cause; Status = the tolerance rule applied to the unexplained part (Status before causes: to the whole variance). Highlighted: cells needing work.',
    ],
    columns: [
      { header: 'Day', key: 'day', format: 'date' },
      text('Provider', 'provider'),
      text('Model', 'model', 28),
      text('Token category', 'token_category', 15),
      text('Tier', 'service_tier', 10),
      text('Unit', 'unit', 9),
      int('Invoice quantity', 'invoice_quantity', false),
      int('Ledger quantity', 'ledger_quantity', false),
      int('Quantity variance', 'quantity_variance', false),
      { header: 'Card price (per 1M tokens / per request)', key: 'card_price', format: 'usd_rate', width: 16 },
      usd('Invoice amount', 'invoice_amount'),
      usdPrecise('Ledger amount', 'ledger_amount'),
      usdPrecise('Volume effect', 'volume_effect'),
      usdPrecise('Price effect', 'price_effect'),
      usdPrecise('Variance', 'variance_amount'),
      pct('Variance %', 'variance_share'),
      usdPrecise('Explained', 'explained'),
      usdPrecise('Unexplained', 'unexplained'),
      text('Status', 'status', 17),
      text('Status before causes', 'status_before', 17),
      text('Invoice lines', 'invoice_line_ids', 16),
    ],
    rows: cellsWithStatus(cells, rules),
    highlight: (row) => row.status === STATUS_TEXT.review || row.status === STATUS_TEXT.breach,
  };
}

/**
 * The waterfall per provider: priced ledger, each cause, unexplained, invoiced. The running total
 * of each provider ends on its invoiced amount when causes + unexplained = variance.
 */
export function varianceCausesSheet(run: WorkbookRun, providers: ProviderFigures[], causes: CauseTotal[], cellsWithCauses: string | null = null): SheetSpec {
  const rows: SheetRow[] = [];
  for (const p of providers) {
    let running = money(p.priced);
    rows.push({ provider: p.provider, step: 'Priced ledger', running: running.toFixed() });
    for (const c of causes.filter((x) => x.provider === p.provider)) {
      running = running.plus(money(c.amount));
      rows.push({ provider: p.provider, step: c.cause === 'unexplained' ? 'Unexplained' : 'Cause', cause: c.cause, amount: c.amount, running: running.toFixed(), cells: c.cells_affected, records: c.record_count, rule: c.rules });
    }
    const gap = money(p.invoiced).minus(running);
    rows.push({ provider: p.provider, step: 'Invoiced', running: p.invoiced, rule: gap.isZero() ? 'ties out' : `does not tie out: ${gap.toFixed()} not attributed` });
  }
  return {
    name: 'Variance causes',
    notes: [
      ...runNotes(run),
      'From priced ledger to invoice, per provider: each cause adds its amount; what no cause explains is shown as unexplained, never hidden.',
      'Details per cell and sample request ids: sheet Cause detail. Cells affected: variance cells the step took an amount from; the total counts each cell once, though a cell can have several causes.',
      'Records are counted per cause (a record can be evidence for more than one), so they are not totalled.',
    ],
    columns: [
      text('Provider', 'provider'),
      text('Step', 'step', 14),
      text('Cause', 'cause', 22),
      usd('Amount', 'amount'),
      usd('Running total', 'running', false),
      int('Cells affected', 'cells', cellsWithCauses !== null),
      int('Records', 'records', false),
      text('Rule', 'rule', 50),
    ],
    rows,
    totalLabel: 'Total variance',
    ...(cellsWithCauses !== null ? { totalOverrides: { cells: cellsWithCauses } } : {}),
    highlight: (row) => row.step === 'Unexplained' || (typeof row.rule === 'string' && row.rule.startsWith('does not tie out')),
  };
}

export function causeDetailSheet(run: WorkbookRun, rows: CauseDetailRow[]): SheetSpec {
  return {
    name: 'Cause detail',
    notes: [
      ...runNotes(run),
      'Every cause found, at the cell it was found in (blank cell columns = found at provider level), with its evidence.',
      'Quantity: tokens (requests for token category "request"), rounded to whole units where a cause estimates them; cells and records are per cause and not totalled (a cell can have several causes).',
    ],
    columns: [
      text('Provider', 'provider'),
      text('Cause', 'cause', 22),
      { header: 'Day', key: 'day', format: 'date' },
      text('Model', 'model', 26),
      text('Token category', 'token_category', 15),
      text('Tier', 'service_tier', 10),
      usdPrecise('Amount', 'amount'),
      int('Quantity', 'quantity', false),
      int('Cells affected', 'cells_affected', false),
      int('Records', 'record_count', false),
      text('Rule', 'rule', 30),
      text('Detail', 'detail', 50),
      text('Sample request ids', 'sample_request_ids', 40),
      text('Invoice lines', 'invoice_line_ids', 16),
    ],
    rows: rows.map((r) => ({ ...r, quantity: r.quantity === null ? null : money(r.quantity).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed() })),
  };
}

export function untaggedSheet(run: WorkbookRun, rows: UntaggedRow[]): SheetSpec {
  return {
    name: 'Untagged and unallocated',
    notes: [
      ...runNotes(run),
      'Untagged spend: priced records with no team tag and no gateway key owner, with sample request ids. Allocated to bucket: where the policy put it.',
      'Unmapped invoice lines: usage lines that matched no model or token category. Unallocated invoice amount: invoiced but charged to no team (should not occur).',
    ],
    columns: [
      text('Kind', 'kind', 24),
      text('Provider', 'provider'),
      text('Model', 'model', 26),
      text('Environment', 'environment', 14),
      text('Service', 'service'),
      text('Workflow', 'workflow'),
      text('Gateway key', 'gateway_key_id'),
      int('Records / lines', 'records', false),
      usdPrecise('Amount', 'amount', false),
      text('Went to', 'went_to'),
      text('Evidence', 'evidence', 60),
    ],
    rows: rows as unknown as SheetRow[],
    highlight: (row) => row.kind === 'unallocated invoice amount',
  };
}


/**
 * Every invoice line of the run with its billed amount and currency beside its reporting amount
 * and the exchange rate used (src/fx). Written only when some line is billed in another currency
 * than the reporting one: a month billed in the reporting currency has nothing to show here.
 */
export function invoiceLinesSheet(run: WorkbookRun, lines: InvoiceLineRow[]): SheetSpec | null {
  if (!lines.some((l) => l.billed_currency !== l.reporting_currency)) return null;
  const reporting = lines[0]!.reporting_currency;
  return {
    name: 'Invoice lines',
    notes: [
      ...runNotes(run),
      `Reporting amount (${reporting}) = billed amount × rate, unrounded; the period's total is rounded to the cent once, where it is allocated.`,
      'Rate: the day rate of the charge month on or before the charge date, else the month rate (recon fx list); source "provider currency_conversion_rate" = the rate in the provider\'s own export.',
    ],
    columns: [
      text('Invoice line', 'id', 10),
      { header: 'Charge date', key: 'charge_date', format: 'date' },
      text('Provider', 'provider'),
      text('Invoice', 'invoice_id', 20),
      text('Line type', 'line_type', 10),
      text('Model', 'model', 28),
      text('Token category', 'token_category', 15),
      text('Meter / SKU', 'sku', 28),
      usdPrecise(`Amount (${reporting})`, 'reporting_amount'),
      { header: 'Billed amount', key: 'billed_amount', format: 'decimal' },
      text('Billed currency', 'billed_currency', 8),
      { header: 'Rate', key: 'fx_rate', format: 'decimal' },
      { header: 'Rate date', key: 'fx_rate_date', format: 'date' },
      text('Rate source', 'fx_rate_source', 24),
      text('Rate id', 'fx_rate_id', 8),
    ],
    rows: lines as unknown as SheetRow[],
  };
}
/** Flattens a JSON value to dotted paths and values, in key order, for a readable policy table. */
export function flattenPolicy(value: unknown, prefix = ''): { path: string; value: string }[] {
  if (value === null || value === undefined) return prefix ? [{ path: prefix, value: '' }] : [];
  if (Array.isArray(value)) {
    if (value.length === 0) return [{ path: prefix, value: '[]' }];
    return value.flatMap((v, i) => flattenPolicy(v, `${prefix}[${i}]`));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return prefix ? [{ path: prefix, value: '{}' }] : [];
    return entries.flatMap(([k, v]) => flattenPolicy(v, prefix ? `${prefix}.${k}` : k));
  }
  return [{ path: prefix, value: String(value) }];
}

/** The ingested file ids a run recorded among its inputs, or null when it recorded none. */
export function runInputFileIds(inputs: unknown, kind?: string): string[] | null {
  const files = (inputs as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return null;
  const ids = files
    .filter((f): f is { id: unknown; kind?: unknown } => typeof f === 'object' && f !== null && 'id' in f)
    .filter((f) => kind === undefined || f.kind === kind)
    .map((f) => String(f.id))
    .filter((id) => /^\d+$/.test(id));
  return ids;
}

export const METHOD_LINES: string[] = [
  'Pricing: every gateway record is priced at the rate card line in effect at its timestamp (provider, canonical model, tier, token category, region); records with no price are flagged with a reason, never priced at $0 silently.',
  'Variance: per provider, model, token category, tier and day, invoice minus priced ledger, split into volume and price effects, then attributed to causes; the rest is unexplained.',
  'Allocation: each provider invoice is charged to owners under the policy below. Rounding happens once: the period\'s exact invoice total to the cent (half-up), its cents shared over the invoices and then over each invoice\'s rows by largest remainder (ties by name), so allocations sum exactly to each invoice and to the total.',
  'Disputes: a team has five business days from the issue of its dispute workbook; accepted disputes move the amount under the policy on the next run.',
];

export function policyAndMethodSheet(run: WorkbookRun, cards: CardVersionUsed[], files: InputFileRow[]): SheetSpec {
  const rows: SheetRow[] = [];
  const add = (section: string, item: string, value: string, detail = '') => rows.push({ section, item, value, detail });
  add('Run', 'run id', run.id);
  add('Run', 'period', run.period);
  add('Run', 'trigger', run.trigger);
  add('Run', 'status', run.status);
  add('Run', 'started', run.started_at.toISOString());
  add('Run', 'finished', run.finished_at ? run.finished_at.toISOString() : '');
  add('Run', 'inputs hash', run.inputs_hash ?? '');
  add('Run', 'results hash', run.results_hash ?? '');
  if (run.reopen_reason) add('Run', 'reopened because', run.reopen_reason);
  METHOD_LINES.forEach((line, i) => add('Method', String(i + 1), line));
  const policy = flattenPolicy(run.policy);
  if (policy.length === 0) add('Policy', '(none recorded)', '');
  for (const p of policy) add('Policy', p.path, p.value);
  if (cards.length === 0) add('Card versions', '(none used)', '');
  for (const c of cards) add('Card versions', c.card_version, c.source, `id ${c.id}; imported ${c.imported_at.toISOString()}; priced ${c.records} records, ${c.cost} USD`);
  if (files.length === 0) add('Input files', '(none recorded)', '');
  for (const f of files) add('Input files', `${f.kind} #${f.id}: ${f.path}`, f.sha256, `${f.format}; ${f.status}; ${f.rows_stored} rows stored, ${f.rows_rejected} rejected; ingested ${f.ingested_at.toISOString()}`);
  return {
    name: 'Policy and method',
    notes: [...runNotes(run), 'How the numbers were made: the run, the rules, the allocation policy as recorded with the run, the rate card versions used and the input files with their sha256.'],
    columns: [text('Section', 'section', 14), text('Item', 'item', 40), text('Value', 'value', 70), text('Detail', 'detail', 60)],
    rows,
  };
}

export function disputesSheet(run: WorkbookRun, disputes: DisputeRow[], today: string): SheetSpec {
  return {
    name: 'Disputes',
    notes: [...runNotes(run), 'Disputes of the period, open first. Highlighted: open disputes past their due date as of the run. Accepted disputes move the amount on the next run (Applied in run).'],
    columns: [
      text('Dispute', 'id', 9),
      text('Team', 'team'),
      text('Status', 'status', 10),
      text('Reason', 'reason', 40),
      text('Reference', 'ref', 22),
      usd('Amount', 'amount'),
      { header: 'Opened', key: 'opened', format: 'date' },
      { header: 'Due', key: 'due_date', format: 'date' },
      { header: 'Resolved', key: 'resolved', format: 'date' },
      text('Resolution note', 'resolution_note', 40),
      text('Applied in run', 'applied_in_run', 12),
    ],
    rows: disputes.map(({ opened_at, resolved_at, ...d }) => ({ ...d, opened: isoDay(opened_at), resolved: isoDay(resolved_at) })),
    highlight: (row) => row.status === 'open' && typeof row.due_date === 'string' && row.due_date < today,
  };
}

export const sumText = (values: string[]): string => values.reduce((t, v) => t.plus(money(v)), new Decimal(0)).toFixed();
