import { addBusinessDays, format } from 'date-fns';
import { money } from '../money.ts';
import { flattenPolicy, runNotes } from './allocation-sheets.ts';
import { DISPUTE_REASON_CODES } from '../vocabulary.ts';
import type { InvoiceLineEvidence } from '../allocate/queries.ts';
import type { ColumnSpec, SheetRow, SheetSpec } from './sheet-spec.ts';
import type { DisputeRow, TeamChargeRow, TeamDayRow, TeamFigures, TeamRetryRow, TeamRuleRow, TopRequestRow, WorkbookRun } from './queries.ts';

// Sheet contents of a team's dispute workbook. Pure: rows and dates in, SheetSpec out.

/** The written dispute window: five business days (Monday to Friday) after the workbook is issued. */
export const DISPUTE_BUSINESS_DAYS = 5;

/** Top requests listed per team: enough to check the big items, small enough to open anywhere. */
export const TOP_REQUESTS_CAP = 1000;

/** The UTC calendar day of an instant, 'YYYY-MM-DD'. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Due date of disputes on a workbook issued at `issuedAt`: its UTC day plus five business days (Saturdays and Sundays skipped). */
export function disputeDeadline(issuedAt: Date): string {
  const [y, m, d] = utcDay(issuedAt).split('-').map(Number) as [number, number, number];
  // date-fns counts in local calendar days; a local date built from the UTC day keeps it calendar-only.
  return format(addBusinessDays(new Date(y, m - 1, d), DISPUTE_BUSINESS_DAYS), 'yyyy-MM-dd');
}

const text = (header: string, key: string, width?: number): ColumnSpec => ({ header, key, format: 'text', ...(width ? { width } : {}) });
const usd = (header: string, key: string, total = true): ColumnSpec => ({ header, key, format: 'usd', total });
const usdPrecise = (header: string, key: string, total = true): ColumnSpec => ({ header, key, format: 'usd_precise', total });
const int = (header: string, key: string, total = true): ColumnSpec => ({ header, key, format: 'integer', total });

export interface DisputeContext {
  run: WorkbookRun;
  team: string;
  issuedAt: Date;
  deadline: string;
}

function teamNotes(c: DisputeContext): string[] {
  return [`Team ${c.team}. ${runNotes(c.run)[0]}`, `Issued ${utcDay(c.issuedAt)}; disputes are due by ${c.deadline} (five business days).`];
}

export function teamSummarySheet(c: DisputeContext, figures: TeamFigures | undefined): SheetSpec {
  const f = figures;
  const rows: SheetRow[] = f
    ? [
        { item: 'Usage', amount: f.usage },
        { item: 'Retries and failed attempts', amount: f.retry },
        { item: 'Untagged spend assigned by policy', amount: f.untagged },
        { item: 'Discounts and credits', amount: f.discounts_credits },
        { item: 'Tax and fees', amount: f.tax_fees },
        { item: 'Variance (invoice vs priced ledger)', amount: f.variance },
        { item: 'Accepted disputes', amount: f.disputes },
      ]
    : [];
  const notes = [...teamNotes(c)];
  if (f) {
    notes.push(`Charged ${money(f.allocated).toFixed(2)} USD; cost center ${f.cost_center ?? '(none)'}; mode ${f.mode ?? 'showback'}${f.mode_reason ? `: ${f.mode_reason}` : ''}.`);
    const parts = [
      f.attributable_share !== null ? `attributable share ${pct(f.attributable_share)}` : null,
      f.variance_share !== null ? `variance share ${pct(f.variance_share)}` : null,
      f.untagged_exposure !== null ? `untagged exposure ${money(f.untagged_exposure).toFixed(2)} USD` : null,
      f.unexplained_exposure !== null ? `unexplained exposure ${money(f.unexplained_exposure).toFixed(2)} USD` : null,
    ].filter((p): p is string => p !== null);
    if (parts.length > 0) notes.push(`Confidence: ${parts.join('; ')}.`);
    if (f.own_priced_usage !== null) {
      notes.push(
        `Your own records at card prices: ${money(f.own_priced_usage).toFixed(2)} USD; charged − own usage ${money(f.charge_difference ?? '0').toFixed(2)} USD` +
          (f.moved_by ? ` (${f.moved_by})` : '') + '.' +
          (f.bridge_flag ? ' No cause explains part of this difference beyond tolerance: it is worth disputing.' : ''),
      );
    }
  } else {
    notes.push('This run charged nothing to the team.');
  }
  return {
    name: 'Summary',
    notes,
    columns: [text('Component', 'item', 40), usd('Amount', 'amount')],
    rows,
    totalLabel: 'Total charged',
  };
}

function pct(fraction: string): string {
  return `${money(fraction).times(100).toDecimalPlaces(2).toFixed(2)}%`;
}

/** The code of a charge line: its place in the team's Charges sheet (selectTeamCharges order), C1, C2, ... */
export function chargeLineCode(index: number): string {
  return `C${index + 1}`;
}

export const CHARGES_SHEET = 'Charges';

export function teamChargesSheet(c: DisputeContext, rows: TeamChargeRow[]): SheetSpec {
  return {
    name: CHARGES_SHEET,
    notes: [...teamNotes(c), 'The charge by provider invoice, service, workflow, model and component, with the rule that set it. A dispute names its charge line (column Line) on sheet Dispute.'],
    columns: [
      text('Line', 'line', 7),
      text('Provider', 'provider'),
      text('Invoice', 'invoice_id'),
      text('Service', 'service'),
      text('Workflow', 'workflow', 22),
      text('Model', 'model', 26),
      text('Component', 'component', 16),
      usdPrecise('Priced basis', 'basis'),
      usd('Amount', 'amount'),
      text('Rule', 'rule', 40),
    ],
    rows: rows.map((r, i) => ({ line: chargeLineCode(i), ...r })) as unknown as SheetRow[],
  };
}

const RECORDS_OF: Record<TeamDayRow['records_of'], string> = { own: 'own', untagged: 'untagged' };
const UNTAGGED_NOTE = 'Records of = untagged: records with no team tag and no gateway key owner, which the policy keeps in this team (the platform bucket).';

export function teamDaysSheet(c: DisputeContext, rows: TeamDayRow[]): SheetSpec {
  return {
    name: 'By day',
    notes: [
      ...teamNotes(c),
      'The team’s priced ledger cost per day, service, workflow and model (before the invoice is allocated).',
      ...(rows.some((r) => r.records_of === 'untagged') ? [UNTAGGED_NOTE] : []),
    ],
    columns: [
      { header: 'Day', key: 'day', format: 'date' },
      text('Records of', 'records_of', 11),
      text('Service', 'service'),
      text('Workflow', 'workflow', 22),
      text('Provider', 'provider'),
      text('Model', 'model', 26),
      int('Records', 'records'),
      usdPrecise('Priced cost', 'cost'),
    ],
    rows: rows.map((r) => ({ ...r, records_of: RECORDS_OF[r.records_of] })) as unknown as SheetRow[],
  };
}

export function topRequestsSheet(c: DisputeContext, rows: TopRequestRow[], total: string, cap: number): SheetSpec {
  const capped = BigInt(total) > BigInt(rows.length);
  return {
    name: 'Top requests',
    notes: [
      ...teamNotes(c),
      capped
        ? `The ${rows.length.toLocaleString('en-US')} most expensive of the team's ${BigInt(total).toLocaleString('en-US')} requests (capped at ${cap.toLocaleString('en-US')}); the full list is in the gateway ledger (ledger_record) for the period.`
        : `All ${rows.length.toLocaleString('en-US')} requests of the team, most expensive first.`,
      'Tokens by category: input = uncached input (input − cache reads − cache writes). Cost = the request priced at the card version shown.',
      ...(rows.some((r) => r.records_of === 'untagged') ? [UNTAGGED_NOTE] : []),
    ],
    columns: [
      text('Request id', 'request_id', 24),
      text('Records of', 'records_of', 11),
      text('Provider response id', 'provider_response_id', 24),
      { header: 'Time (UTC)', key: 'ts', format: 'datetime' },
      text('Provider', 'provider'),
      text('Model', 'model', 26),
      text('Service', 'service'),
      text('Workflow', 'workflow'),
      text('Status', 'status', 9),
      int('Attempt', 'attempt', false),
      int('Input tokens', 'input_tokens'),
      int('Cached input tokens', 'cached_input_tokens'),
      int('Cache write 5m tokens', 'cache_write_5m_tokens'),
      int('Cache write 1h tokens', 'cache_write_1h_tokens'),
      int('Output tokens', 'output_tokens'),
      int('Reasoning tokens (in output)', 'reasoning_tokens'),
      text('Card version', 'card_version', 16),
      usdPrecise('Cost', 'cost'),
    ],
    rows: rows.map((r) => ({ ...r, attempt: r.attempt === null ? null : String(r.attempt) })) as unknown as SheetRow[],
    totalLabel: capped ? 'Total of listed requests' : 'Total',
  };
}

const REASON_TEXT: Record<string, string> = {
  no_ledger_records: 'no ledger records in its cell (model, category, tier, day)',
  unmapped_invoice_line: 'maps to no model or token category',
};

/** The invoice lines behind the team's unmatched-invoice, fee, tax, discount and credit charges. */
export function teamInvoiceLinesSheet(c: DisputeContext, rows: InvoiceLineEvidence[]): SheetSpec {
  return {
    name: 'Invoice lines',
    notes: [
      ...teamNotes(c),
      rows.length > 0
        ? 'The invoice lines behind the team’s charges that no ledger record of its own explains: usage lines no ledger record explains (charged as unmatched_invoice) and fee, tax, discount and credit lines, on each invoice where the run charged the team that component. Amount = the whole line; the team’s part of it is on sheet Charges (component).'
        : 'The run charged the team no unmatched invoice lines, fees, tax, discounts or credits.',
    ],
    columns: [
      text('Invoice line id', 'id', 14),
      text('Provider', 'provider'),
      text('Invoice', 'invoice_id'),
      { header: 'Day', key: 'charge_date', format: 'date' },
      text('Line type', 'line_type', 10),
      text('Charged as', 'component', 18),
      text('Why no ledger explains it', 'why', 40),
      text('Provider model', 'provider_model', 22),
      text('Model', 'model', 24),
      text('SKU', 'sku', 18),
      text('Category', 'token_category', 14),
      text('Tier', 'service_tier', 10),
      { header: 'Quantity', key: 'quantity', format: 'decimal' },
      usd('Amount', 'amount'),
      int('Source line', 'source_line', false),
    ],
    rows: rows.map((r) => ({ ...r, why: r.reason === null ? null : (REASON_TEXT[r.reason] ?? r.reason) })) as unknown as SheetRow[],
  };
}

export function teamRetriesSheet(c: DisputeContext, rows: TeamRetryRow[]): SheetSpec {
  const others = rows.some((r) => r.team !== c.team);
  return {
    name: 'Retries and partials',
    notes: [
      ...teamNotes(c),
      'Retry attempts (attempt > 1 or linked to an earlier request), failed and partial (interrupted stream) requests charged to the team, as priced. The policy decides whether retries stay with the team (sheet Policy applied).',
      ...(others ? [`Rows of other teams (column Team): their retries and failed attempts, which the policy (retries: platform) charges to ${c.team}.`] : []),
    ],
    columns: [
      { header: 'Day', key: 'day', format: 'date' },
      text('Team', 'team'),
      text('Service', 'service'),
      text('Workflow', 'workflow', 22),
      text('Provider', 'provider'),
      text('Model', 'model', 26),
      text('Status', 'status', 9),
      text('Retry', 'is_retry', 7),
      int('Records', 'records'),
      usdPrecise('Priced cost', 'cost'),
    ],
    rows: rows as unknown as SheetRow[],
  };
}

export function policyAppliedSheet(c: DisputeContext, rules: TeamRuleRow[]): SheetSpec {
  const rows: SheetRow[] = rules.map((r) => ({ section: 'Rule applied', item: r.component, value: r.rule, amount: r.amount }));
  for (const p of flattenPolicy(c.run.policy)) rows.push({ section: 'Policy', item: p.path, value: p.value });
  return {
    name: 'Policy applied',
    notes: [...teamNotes(c), 'The allocation rules that produced this team’s charge, with their amounts, then the full policy recorded with the run.'],
    columns: [text('Section', 'section', 14), text('Item', 'item', 34), text('Rule or value', 'value', 60), usd('Amount', 'amount')],
    rows,
  };
}

/** Blank lines the team fills in, after the disputes already on file. */
export const DISPUTE_FORM_LINES = 20;

export const DISPUTE_SHEET = 'Dispute';
/** The hidden sheet a filled-in dispute workbook is read back by (`recon dispute import`). */
export const DISPUTE_META_SHEET = 'recon';
/** What the hidden sheet says the workbook is; a later layout gets a new version. */
export const DISPUTE_WORKBOOK_KIND = 'recon dispute workbook';
export const DISPUTE_WORKBOOK_VERSION = '1';

/** Headers of the Dispute sheet: the import finds its columns by them. */
export const DISPUTE_COLUMNS = {
  line: 'Line',
  status: 'Status',
  charge_line: 'Charge line',
  ref: 'Reference (request id / invoice line)',
  reason_code: 'Reason code',
  amount: 'Amount disputed',
  explanation: 'Explanation',
  evidence: 'Evidence',
  contact: 'Contact',
  due: 'Due',
  resolution: 'Resolution',
} as const;

/** The form line a team fills in: "new N" (N from 1). */
export function newLineLabel(n: number): string {
  return `new ${n}`;
}

export const TO_FILE = 'to file';

/**
 * The Dispute sheet: disputes on file, then DISPUTE_FORM_LINES blank lines numbered after
 * `lastImportedLine` (the highest line already imported from this run's workbook of the team, so a
 * line filled in a reissued workbook never meets one imported before).
 */
export function disputeFormSheet(c: DisputeContext, disputes: DisputeRow[], lastImportedLine = 0): SheetSpec {
  const filed: SheetRow[] = disputes.map((d) => ({
    line: `#${d.id}`,
    status: d.status,
    ref: d.ref,
    amount: d.amount,
    explanation: d.reason,
    due: d.due_date,
    resolution: d.resolution_note,
  }));
  const blank: SheetRow[] = Array.from({ length: DISPUTE_FORM_LINES }, (_, i) => ({ line: newLineLabel(lastImportedLine + i + 1), status: TO_FILE }));
  const codes = Object.entries(DISPUTE_REASON_CODES);
  return {
    name: DISPUTE_SHEET,
    notes: [
      ...teamNotes(c),
      `How to dispute a charge, by ${c.deadline}: on a "${TO_FILE}" line,`,
      `  1. Charge line: pick the line of sheet Charges (column Line, e.g. C1) you dispute.`,
      `  2. Reference (optional): the request id (sheets Top requests, By day) or invoice line id (sheet Invoice lines) the dispute is about.`,
      `  3. Reason code: pick one — ${codes.map(([code, meaning]) => `${code}: ${meaning}`).join('; ')}.`,
      `  4. Amount disputed: in USD, more than 0 and at most the charge line's Amount. Explanation: why. Evidence and Contact help.`,
      `  5. Save the file and send it back. Leave Line and Status as they are, and fill one line per dispute. Total disputed adds up as you type.`,
      `Finance reads it back with: recon dispute import <this file> (a line already imported is not opened twice).`,
    ],
    columns: [
      text(DISPUTE_COLUMNS.line, 'line', 9),
      text(DISPUTE_COLUMNS.status, 'status', 10),
      {
        ...text(DISPUTE_COLUMNS.charge_line, 'charge_line', 12),
        validation: { type: 'list', column: { sheet: CHARGES_SHEET, key: 'line' }, prompt: 'The Line of sheet Charges you dispute', error: 'Pick a Line of sheet Charges (C1, C2, ...).' },
      },
      text(DISPUTE_COLUMNS.ref, 'ref', 30),
      {
        ...text(DISPUTE_COLUMNS.reason_code, 'reason_code', 18),
        validation: { type: 'list', values: codes.map(([code]) => code), error: `Pick a reason code: ${codes.map(([code]) => code).join(', ')}.` },
      },
      {
        ...usd(DISPUTE_COLUMNS.amount, 'amount'),
        validation: {
          type: 'decimal',
          min: '0',
          max: { byKey: 'charge_line', lookup: { column: { sheet: CHARGES_SHEET, key: 'line' }, value: { sheet: CHARGES_SHEET, key: 'amount' } } },
          prompt: 'USD, at most the charge line’s Amount',
          error: 'The amount must be more than 0 and at most the Amount of the charge line picked (sheet Charges); pick the charge line first.',
        },
      },
      text(DISPUTE_COLUMNS.explanation, 'explanation', 44),
      text(DISPUTE_COLUMNS.evidence, 'evidence', 34),
      text(DISPUTE_COLUMNS.contact, 'contact', 20),
      { header: DISPUTE_COLUMNS.due, key: 'due', format: 'date' },
      text(DISPUTE_COLUMNS.resolution, 'resolution', 34),
    ],
    rows: [...filed, ...blank],
    totalLabel: 'Total disputed',
    liveTotals: true,
  };
}

/** The hidden sheet that says which run, period and team the workbook is for. */
export function disputeMetaSheet(c: DisputeContext): SheetSpec {
  const rows: SheetRow[] = [
    { key: 'kind', value: DISPUTE_WORKBOOK_KIND },
    { key: 'version', value: DISPUTE_WORKBOOK_VERSION },
    { key: 'period', value: c.run.period },
    { key: 'run_id', value: c.run.id },
    { key: 'team', value: c.team },
    { key: 'issued_at', value: c.issuedAt.toISOString() },
    { key: 'deadline', value: c.deadline },
  ];
  return {
    name: DISPUTE_META_SHEET,
    notes: ['What recon dispute import reads this workbook by. Do not edit.'],
    columns: [text('Key', 'key', 12), text('Value', 'value', 40)],
    rows,
    hidden: true,
  };
}
