import { Decimal, money, sum, toCents } from '../money.ts';
import { CAUSES, RULES, type Cause } from './attribute.ts';

/** Stored figures of a run (optionally narrowed to a provider / model), as read from the store. */
export interface WaterfallFigures {
  invoice_total: string;
  ledger_total: string;
  causes: { cause: string; amount: string; quantity: string | null; cells_affected: string; record_count: string; detail: string | null }[];
  cells_over_tolerance: {
    provider: string;
    model: string;
    token_category: string;
    service_tier: string;
    day: string;
    status: 'review' | 'breach';
    invoice_amount: string;
    ledger_amount: string;
    variance_amount: string;
    variance_pct: string | null;
  }[];
}

/** The waterfall of a run: invoice total → each cause → priced ledger total. Money as strings. */
export interface VarianceSummary {
  invoice_total: string;
  ledger_total: string;
  variance: string;
  /** variance as a percent of the invoice total, two decimals; null without an invoice */
  variance_pct: string | null;
  cells_over_tolerance: { review: number; breach: number; total: number };
  causes: {
    cause: string;
    /** to the cent; the cents of all causes add up to `variance` */
    amount: string;
    /** full precision */
    amount_exact: string;
    quantity: string | null;
    cells_affected: number;
    record_count: string;
    rule: string;
    detail: string | null;
  }[];
  cells: {
    provider: string;
    model: string;
    token_category: string;
    service_tier: string;
    day: string;
    status: 'review' | 'breach';
    invoice_amount: string;
    ledger_amount: string;
    variance: string;
    variance_pct: string | null;
  }[];
}

function causeOrder(cause: string): number {
  const i = CAUSES.indexOf(cause as Cause);
  return i === -1 ? CAUSES.length : i;
}

/**
 * Pure: the waterfall from stored figures. Each cause is shown to the cent; the cents lost or
 * gained by rounding each line on its own go to `unexplained` (or the largest cause when there
 * is none), so the lines always add up to the rounded variance.
 */
export function buildWaterfall(figures: WaterfallFigures): VarianceSummary {
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
        if (c.exact.abs().greaterThan(causes[target]!.exact.abs())) target = i;
      });
    }
    cents[target] = cents[target]!.plus(drift);
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
      amount: cents[i]!.toFixed(2),
      amount_exact: c.exact.toFixed(),
      quantity: c.quantity,
      cells_affected: Number(c.cells_affected),
      record_count: c.record_count,
      rule: RULES[c.cause as Cause] ?? '',
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

function usd(text: string): string {
  const value = new Decimal(text);
  const [whole, frac] = value.abs().toFixed(2).split('.');
  return `${value.isNegative() ? '-' : ''}$${whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

function signed(text: string): string {
  const value = new Decimal(text);
  return value.isNegative() ? `− ${usd(value.abs().toFixed(2))}` : `+ ${usd(text)}`;
}

/** `text` in lines of at most `width` characters, broken between words (a longer word gets a line of its own). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The readable waterfall for `recon explain`. */
export function formatWaterfall(s: VarianceSummary, heading: string, maxCells = 25): string {
  const width = 24;
  const lines = [
    heading,
    '',
    `  ${'Invoice total'.padEnd(width)} ${usd(s.invoice_total).padStart(16)}`,
    `  causes of the difference (+ means the invoice is above the priced ledger):`,
  ];
  for (const c of s.causes) {
    // the detail wraps at word boundaries under itself, never cut: it is the evidence of the cause
    const [first = '', ...rest] = wrapWords(c.detail ?? '', 100);
    lines.push(`    ${c.cause.padEnd(width - 2)} ${signed(c.amount).padStart(16)}${first ? `  ${first}` : ''}`);
    for (const line of rest) lines.push(`${' '.repeat(4 + width - 2 + 1 + 16 + 2)}${line}`);
  }
  if (s.causes.length === 0) lines.push('    (none: invoice and priced ledger agree)');
  lines.push(`  ${'Priced ledger total'.padEnd(width)} ${usd(s.ledger_total).padStart(16)}`);
  lines.push('');
  lines.push(`  Variance ${usd(s.variance)}${s.variance_pct !== null ? ` (${s.variance_pct}% of the invoice)` : ''}`);
  lines.push(`  Cells over tolerance: ${s.cells_over_tolerance.total} (${s.cells_over_tolerance.breach} breach, ${s.cells_over_tolerance.review} review)`);
  if (s.cells.length > 0) {
    lines.push('');
    lines.push(`  ${'status'.padEnd(7)} ${'provider'.padEnd(16)} ${'model'.padEnd(28)} ${'category'.padEnd(15)} ${'tier'.padEnd(9)} ${'day'.padEnd(10)} ${'invoice'.padStart(13)} ${'ledger'.padStart(13)} ${'variance'.padStart(13)} ${'pct'.padStart(8)}`);
    for (const c of s.cells.slice(0, maxCells)) {
      lines.push(
        `  ${c.status.padEnd(7)} ${c.provider.padEnd(16)} ${c.model.padEnd(28)} ${c.token_category.padEnd(15)} ${c.service_tier.padEnd(9)} ${c.day.padEnd(10)} ${usd(c.invoice_amount).padStart(13)} ${usd(c.ledger_amount).padStart(13)} ${usd(c.variance).padStart(13)} ${(c.variance_pct === null ? '—' : c.variance_pct + '%').padStart(8)}`,
      );
    }
    if (s.cells.length > maxCells) lines.push(`  ... and ${s.cells.length - maxCells} more (use --json for all)`);
  }
  return lines.join('\n');
}

