import { Decimal, ZERO, sum } from '../money.ts';
import { cellStatus, type ToleranceRule } from '../reconcile/tolerance.ts';
import type { TeamFigures } from './allocate.ts';

/**
 * A team's charge against its own priced usage, and what moved the difference. The lines add
 * up exactly to charged − own priced usage:
 * - a cause's name (batch_tier, cache_pricing, fallback_drift, model_alias, streaming_partial,
 *   unpriced_model): the invoice's dollars for the records that cause moved, minus their price;
 * - `cell_causes`: the explained variance of the cells its own usage was billed in (price
 *   changes, in-cell discounts...), shared by priced cost; `unexplained`: its share of their residual;
 * - a component (`untagged`, `unmatched_invoice`, `discount`, `credit`, `tax`, `fee`, `variance`,
 *   `dispute`, `retries_of_other_teams`): dollars of someone else's the policy gave it;
 * - `commitment`, `idle_capacity`: a commitment's flat charge, for the hours its usage used and
 *   for its share of the idle hours (src/commitments/amortise.ts);
 * - `retries_to_bucket`: its own retries the policy charges to the bucket;
 * - `not_invoiced`: its priced usage the invoice does not bill (failed attempts the provider did
 *   not charge, found by retry_billing; cells without an invoice line);
 * - `rounding`: the cents of rounding each invoice's rows.
 * A difference with no cause behind it (cell_causes + unexplained) beyond the variance tolerance
 * of its own usage (the cells' own rule, reconcile/tolerance.ts) is flagged.
 */
export interface ChargeBridge {
  team: string;
  charged: Decimal;
  own_priced_usage: Decimal;
  difference: Decimal;
  by: { why: string; amount: Decimal }[];
  /** the part of the difference no cause explains, and whether it is beyond tolerance */
  uncaused: Decimal;
  flagged: boolean;
}

const UNCAUSED = new Set(['cell_causes', 'unexplained']);

export function chargeBridge(f: TeamFigures, ownPricedUsage: Decimal, tolerance: ToleranceRule): ChargeBridge {
  const by = new Map(f.bridge);
  const notInvoiced = ownPricedUsage.minus(f.ownBilledBasis);
  if (!notInvoiced.isZero()) by.set('not_invoiced', (by.get('not_invoiced') ?? ZERO).minus(notInvoiced));
  const rounding = f.allocated.minus(f.chargedExact);
  if (!rounding.isZero()) by.set('rounding', rounding);
  const lines = [...by.entries()]
    .map(([why, amount]) => ({ why, amount }))
    .sort((a, b) => b.amount.abs().comparedTo(a.amount.abs()) || (a.why < b.why ? -1 : 1));
  const uncaused = sum(lines.filter((l) => UNCAUSED.has(l.why)).map((l) => l.amount));
  return {
    team: f.team,
    charged: f.allocated,
    own_priced_usage: ownPricedUsage,
    difference: f.allocated.minus(ownPricedUsage),
    by: lines,
    uncaused,
    flagged: cellStatus(uncaused, ownPricedUsage, tolerance) !== 'ok',
  };
}

/** Text of a bridge's lines for sheets and the terminal, largest first, to the cent. */
export function describeBridge(b: Pick<ChargeBridge, 'by'>): string {
  return shownLines(b.by).map((l) => `${l.why} ${l.amount}`).join('; ');
}

/** The lines a reader is shown: to the cent, those that round to 0.00 left out. */
export function shownLines(by: readonly { why: string; amount: Decimal }[]): { why: string; amount: string }[] {
  return by
    .map((l) => ({ why: l.why, amount: l.amount.toDecimalPlaces(2, Decimal.ROUND_HALF_UP) }))
    .filter((l) => !l.amount.isZero())
    .map((l) => ({ why: l.why, amount: l.amount.toFixed(2) }));
}
