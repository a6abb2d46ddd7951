import { Decimal, money, sum, toCents } from "../money.js";
import { CAUSES, RULES } from "./attribute.js";
function causeOrder(cause) {
    const i = CAUSES.indexOf(cause);
    return i === -1 ? CAUSES.length : i;
}
/**
 * Pure: the waterfall from stored figures. Each cause is shown to the cent; the cents lost or
 * gained by rounding each line on its own go to `unexplained` (or the largest cause when there
 * is none), so the lines always add up to the rounded variance.
 */
export function buildWaterfall(figures) {
    const invoice = money(figures.invoice_total);
    const ledger = money(figures.ledger_total);
    const variance = invoice.minus(ledger);
    const causes = figures.causes
        .map((c) => ({ ...c, exact: money(c.amount) }))
        .sort((a, b) => causeOrder(a.cause) - causeOrder(b.cause) || (a.cause < b.cause ? -1 : 1));
    const cents = causes.map((c) => money(toCents(c.exact)));
    const drift = money(toCents(variance)).minus(sum(cents));
    if (!drift.isZero() && causes.length > 0) {
        let target = causes.findIndex((c) => c.cause === 'unexplained');
        if (target === -1) {
            target = 0;
            causes.forEach((c, i) => {
                if (c.exact.abs().greaterThan(causes[target].exact.abs()))
                    target = i;
            });
        }
        cents[target] = cents[target].plus(drift);
    }
    const review = figures.cells_over_tolerance.filter((c) => c.status === 'review').length;
    const breach = figures.cells_over_tolerance.length - review;
    return {
        invoice_total: toCents(invoice),
        ledger_total: toCents(ledger),
        variance: toCents(variance),
        variance_pct: invoice.isZero() ? null : variance.dividedBy(invoice).times(100).toDecimalPlaces(2).toFixed(2),
        cells_over_tolerance: { review, breach, total: review + breach },
        causes: causes.map((c, i) => ({
            cause: c.cause,
            amount: cents[i].toFixed(2),
            amount_exact: c.exact.toFixed(),
            quantity: c.quantity,
            cells_affected: Number(c.cells_affected),
            record_count: c.record_count,
            rule: RULES[c.cause] ?? '',
            detail: c.detail,
        })),
        cells: figures.cells_over_tolerance.map((c) => ({
            provider: c.provider,
            model: c.model,
            token_category: c.token_category,
            service_tier: c.service_tier,
            day: c.day,
            status: c.status,
            invoice_amount: toCents(money(c.invoice_amount)),
            ledger_amount: toCents(money(c.ledger_amount)),
            variance: toCents(money(c.variance_amount)),
            variance_pct: c.variance_pct === null ? null : money(c.variance_pct).toDecimalPlaces(2).toFixed(2),
        })),
    };
}
function usd(text) {
    const value = new Decimal(text);
    const [whole, frac] = value.abs().toFixed(2).split('.');
    return `${value.isNegative() ? '-' : ''}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}
function signed(text) {
    const value = new Decimal(text);
    return value.isNegative() ? `− ${usd(value.abs().toFixed(2))}` : `+ ${usd(text)}`;
}
/** The readable waterfall for `recon explain`. */
export function formatWaterfall(s, heading, maxCells = 25) {
    const width = 24;
    const lines = [
        heading,
        '',
        `  ${'Invoice total'.padEnd(width)} ${usd(s.invoice_total).padStart(16)}`,
        `  causes of the difference (+ means the invoice is above the priced ledger):`,
    ];
    for (const c of s.causes) {
        const detail = c.detail ? `  ${c.detail.length > 110 ? c.detail.slice(0, 107) + '...' : c.detail}` : '';
        lines.push(`    ${c.cause.padEnd(width - 2)} ${signed(c.amount).padStart(16)}${detail}`);
    }
    if (s.causes.length === 0)
        lines.push('    (none: invoice and priced ledger agree)');
    lines.push(`  ${'Priced ledger total'.padEnd(width)} ${usd(s.ledger_total).padStart(16)}`);
    lines.push('');
    lines.push(`  Variance ${usd(s.variance)}${s.variance_pct !== null ? ` (${s.variance_pct}% of the invoice)` : ''}`);
    lines.push(`  Cells over tolerance: ${s.cells_over_tolerance.total} (${s.cells_over_tolerance.breach} breach, ${s.cells_over_tolerance.review} review)`);
    if (s.cells.length > 0) {
        lines.push('');
        lines.push(`  ${'status'.padEnd(7)} ${'provider'.padEnd(16)} ${'model'.padEnd(28)} ${'category'.padEnd(15)} ${'tier'.padEnd(9)} ${'day'.padEnd(10)} ${'invoice'.padStart(13)} ${'ledger'.padStart(13)} ${'variance'.padStart(13)} ${'pct'.padStart(8)}`);
        for (const c of s.cells.slice(0, maxCells)) {
            lines.push(`  ${c.status.padEnd(7)} ${c.provider.padEnd(16)} ${c.model.padEnd(28)} ${c.token_category.padEnd(15)} ${c.service_tier.padEnd(9)} ${c.day.padEnd(10)} ${usd(c.invoice_amount).padStart(13)} ${usd(c.ledger_amount).padStart(13)} ${usd(c.variance).padStart(13)} ${(c.variance_pct === null ? '—' : c.variance_pct + '%').padStart(8)}`);
        }
        if (s.cells.length > maxCells)
            lines.push(`  ... and ${s.cells.length - maxCells} more (use --json for all)`);
    }
    return lines.join('\n');
}
