import { Decimal, largestRemainder, sum } from '../money.ts';

/**
 * Splitting origin charges (invoice lines) over owners so that both margins hold exactly: each
 * line's parts add back to the line, and each owner's parts add back to what the allocation
 * charged that owner. Pure; no database.
 */

export interface SplitResult {
  /** parts[i][j]: line i's part for owner j */
  parts: Decimal[][];
  /** ratios[i][j]: parts[i][j] / line i, rounded to RATIO_DP so each line's ratios sum to exactly 1 */
  ratios: Decimal[][];
}

export const RATIO_DP = 12;

/**
 * Splits `lines` over owners whose totals are `owners` (Σ owners = Σ lines). Cumulative
 * rounding: after line i the owners hold round(C_i × r_j) where C_i is the running line total
 * and r_j the owner's share, so each line's parts sum to the line and, after the last line,
 * each owner holds exactly its total. `dp` is the money precision (2 for cents).
 */
export function splitLines(lines: readonly Decimal[], owners: readonly Decimal[], ownerKeys: readonly string[], dp: number): SplitResult {
  const total = sum(owners);
  const shares = total.isZero()
    ? evenShares(owners.map((o) => o.abs()))
    : owners.map((o) => o.dividedBy(total));
  const parts: Decimal[][] = [];
  const ratios: Decimal[][] = [];
  let running = new Decimal(0);
  let held = owners.map(() => new Decimal(0));
  for (const line of lines) {
    running = running.plus(line);
    const next = largestRemainder(shares.map((s) => running.times(s)), ownerKeys, running.toDecimalPlaces(dp), dp);
    const row = next.map((n, j) => n.minus(held[j]!));
    held = next;
    parts.push(row);
    const exactRatios = line.isZero() ? shares : row.map((p) => p.dividedBy(line));
    ratios.push(largestRemainder(exactRatios, ownerKeys, new Decimal(1), RATIO_DP));
  }
  return { parts, ratios };
}

function evenShares(weights: Decimal[]): Decimal[] {
  const total = sum(weights);
  if (total.isZero()) return weights.map(() => new Decimal(1).dividedBy(weights.length));
  return weights.map((w) => w.dividedBy(total));
}
