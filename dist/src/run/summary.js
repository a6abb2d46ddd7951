import { money, toCents, ZERO, sum } from "../money.js";
import { runWarnings } from "./completeness.js";
import { shownLines } from "../allocate/charge-bridge.js";
/**
 * Pure: rolls the stored figures of a run into its summary. `causes` are the variance
 * waterfall's lines (src/explain), already to the cent with the rounding drift settled there,
 * so `recon run` and `recon explain` show the same cents.
 */
export function buildRunSummary(run, figures, causes) {
    const invoice = money(figures.invoice_total);
    const ledger = money(figures.ledger_total);
    const variance = invoice.minus(ledger);
    const allocated = sum(figures.allocations.map((a) => money(a.amount)));
    return {
        run_id: run.id,
        period: run.period,
        status: 'succeeded',
        trigger: run.trigger,
        invoice_total: toCents(invoice),
        ledger_total: toCents(ledger),
        variance: toCents(variance),
        variance_pct: invoice.isZero() ? null : variance.dividedBy(invoice).times(100).toDecimalPlaces(2).toFixed(2),
        allocated_total: toCents(allocated),
        unallocated: toCents(figures.allocations.length === 0 && invoice.isZero() ? ZERO : invoice.minus(allocated)),
        allocations: figures.allocations.map((a) => ({ team: a.team, amount: toCents(money(a.amount)) })),
        charged_vs_usage: figures.teams.map((t) => ({
            team: t.team,
            charged: toCents(money(t.allocated)),
            own_priced_usage: toCents(money(t.own_priced_usage ?? '0')),
            difference: toCents(money(t.allocated).minus(t.own_priced_usage ?? '0')),
            by: shownLines(t.charge_bridge.map((l) => ({ why: l.why, amount: money(l.amount) }))),
            flagged: t.bridge_flagged,
        })),
        counts: { records: figures.records, unpriced: figures.unpriced, untagged: figures.untagged, rejected: figures.rejected },
        cells_over_tolerance: {
            review: figures.cells_review,
            breach: figures.cells_breach,
            total: String(BigInt(figures.cells_review) + BigInt(figures.cells_breach)),
        },
        causes: causes.map((c) => ({ cause: c.cause, amount: toCents(money(c.amount)) })),
        inputs_hash: run.inputsHash,
        results_hash: run.resultsHash,
        reopen_reason: run.reopenReason,
        warnings: runWarnings({
            period: run.period,
            records: BigInt(figures.records),
            unpriced: BigInt(figures.unpriced),
            untagged: BigInt(figures.untagged),
            invoiceLines: BigInt(figures.invoice_lines),
            cardLinesInEffect: BigInt(figures.card_lines_in_effect),
            owners: BigInt(figures.owners),
        }),
    };
}
