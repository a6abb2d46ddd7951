import { addBusinessDays, format } from 'date-fns';
import { money } from "../money.js";
import { flattenPolicy, runNotes } from "./allocation-sheets.js";
// Sheet contents of a team's dispute workbook. Pure: rows and dates in, SheetSpec out.
/** The written dispute window: five business days (Monday to Friday) after the workbook is issued. */
export const DISPUTE_BUSINESS_DAYS = 5;
/** Top requests listed per team: enough to check the big items, small enough to open anywhere. */
export const TOP_REQUESTS_CAP = 1000;
/** The UTC calendar day of an instant, 'YYYY-MM-DD'. */
export function utcDay(instant) {
    return instant.toISOString().slice(0, 10);
}
/** Due date of disputes on a workbook issued at `issuedAt`: its UTC day plus five business days (Saturdays and Sundays skipped). */
export function disputeDeadline(issuedAt) {
    const [y, m, d] = utcDay(issuedAt).split('-').map(Number);
    // date-fns counts in local calendar days; a local date built from the UTC day keeps it calendar-only.
    return format(addBusinessDays(new Date(y, m - 1, d), DISPUTE_BUSINESS_DAYS), 'yyyy-MM-dd');
}
const text = (header, key, width) => ({ header, key, format: 'text', ...(width ? { width } : {}) });
const usd = (header, key, total = true) => ({ header, key, format: 'usd', total });
const usdPrecise = (header, key, total = true) => ({ header, key, format: 'usd_precise', total });
const int = (header, key, total = true) => ({ header, key, format: 'integer', total });
function teamNotes(c) {
    return [`Team ${c.team}. ${runNotes(c.run)[0]}`, `Issued ${utcDay(c.issuedAt)}; disputes are due by ${c.deadline} (five business days).`];
}
export function teamSummarySheet(c, figures) {
    const f = figures;
    const rows = f
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
        ].filter((p) => p !== null);
        if (parts.length > 0)
            notes.push(`Confidence: ${parts.join('; ')}.`);
        if (f.own_priced_usage !== null) {
            notes.push(`Your own records at card prices: ${money(f.own_priced_usage).toFixed(2)} USD; charged − own usage ${money(f.charge_difference ?? '0').toFixed(2)} USD` +
                (f.moved_by ? ` (${f.moved_by})` : '') + '.' +
                (f.bridge_flag ? ' No cause explains part of this difference beyond tolerance: it is worth disputing.' : ''));
        }
    }
    else {
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
function pct(fraction) {
    return `${money(fraction).times(100).toDecimalPlaces(2).toFixed(2)}%`;
}
export function teamChargesSheet(c, rows) {
    return {
        name: 'Charges',
        notes: [...teamNotes(c), 'The charge by provider invoice, service, workflow, model and component, with the rule that set it.'],
        columns: [
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
        rows: rows,
    };
}
export function teamDaysSheet(c, rows) {
    return {
        name: 'By day',
        notes: [...teamNotes(c), 'The team’s priced ledger cost per day, service, workflow and model (before the invoice is allocated).'],
        columns: [
            { header: 'Day', key: 'day', format: 'date' },
            text('Service', 'service'),
            text('Workflow', 'workflow', 22),
            text('Provider', 'provider'),
            text('Model', 'model', 26),
            int('Records', 'records'),
            usdPrecise('Priced cost', 'cost'),
        ],
        rows: rows,
    };
}
export function topRequestsSheet(c, rows, total, cap) {
    const capped = BigInt(total) > BigInt(rows.length);
    return {
        name: 'Top requests',
        notes: [
            ...teamNotes(c),
            capped
                ? `The ${rows.length.toLocaleString('en-US')} most expensive of the team's ${BigInt(total).toLocaleString('en-US')} requests (capped at ${cap.toLocaleString('en-US')}); the full list is in the gateway ledger (ledger_record) for the period.`
                : `All ${rows.length.toLocaleString('en-US')} requests of the team, most expensive first.`,
            'Tokens by category: input = uncached input (input − cache reads − cache writes). Cost = the request priced at the card version shown.',
        ],
        columns: [
            text('Request id', 'request_id', 24),
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
        rows: rows.map((r) => ({ ...r, attempt: r.attempt === null ? null : String(r.attempt) })),
        totalLabel: capped ? 'Total of listed requests' : 'Total',
    };
}
export function teamRetriesSheet(c, rows) {
    return {
        name: 'Retries and partials',
        notes: [...teamNotes(c), 'Retry attempts (attempt > 1 or linked to an earlier request), failed and partial (interrupted stream) requests charged to the team, as priced. The policy decides whether retries stay with the team (sheet Policy applied).'],
        columns: [
            { header: 'Day', key: 'day', format: 'date' },
            text('Service', 'service'),
            text('Workflow', 'workflow', 22),
            text('Provider', 'provider'),
            text('Model', 'model', 26),
            text('Status', 'status', 9),
            text('Retry', 'is_retry', 7),
            int('Records', 'records'),
            usdPrecise('Priced cost', 'cost'),
        ],
        rows: rows,
    };
}
export function policyAppliedSheet(c, rules) {
    const rows = rules.map((r) => ({ section: 'Rule applied', item: r.component, value: r.rule, amount: r.amount }));
    for (const p of flattenPolicy(c.run.policy))
        rows.push({ section: 'Policy', item: p.path, value: p.value });
    return {
        name: 'Policy applied',
        notes: [...teamNotes(c), 'The allocation rules that produced this team’s charge, with their amounts, then the full policy recorded with the run.'],
        columns: [text('Section', 'section', 14), text('Item', 'item', 34), text('Rule or value', 'value', 60), usd('Amount', 'amount')],
        rows,
    };
}
/** Blank lines the team fills in, after the disputes already on file. */
export const DISPUTE_FORM_LINES = 20;
export function disputeFormSheet(c, disputes) {
    const filed = disputes.map((d) => ({
        line: d.id,
        status: d.status,
        ref: d.ref,
        amount: d.amount,
        reason: d.reason,
        due: d.due_date,
        resolution: d.resolution_note,
    }));
    const blank = Array.from({ length: DISPUTE_FORM_LINES }, (_, i) => ({ line: `new ${i + 1}`, status: 'to file' }));
    return {
        name: 'Dispute',
        notes: [
            ...teamNotes(c),
            `To dispute a charge, fill in a "to file" line by ${c.deadline}: the request id or invoice line (Reference), the amount and why; evidence (sheet and row, ticket, link) helps.`,
            `Finance files it with: recon dispute open --period ${c.run.period} --team ${c.team} --reason "…" --ref <reference> --amount <amount>.`,
        ],
        columns: [
            text('Line', 'line', 10),
            text('Status', 'status', 10),
            text('Reference (request id / invoice line)', 'ref', 30),
            usd('Amount disputed', 'amount'),
            text('Reason', 'reason', 44),
            text('Evidence', 'evidence', 34),
            text('Contact', 'contact', 20),
            { header: 'Due', key: 'due', format: 'date' },
            text('Resolution', 'resolution', 34),
        ],
        rows: [...filed, ...blank],
        totalLabel: 'Total disputed',
    };
}
