import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import type { Period } from '../period.ts';
import type { Settings } from '../settings.ts';
import type { AllocationPolicy } from '../allocate/policy.ts';
import { priceLedger, type PricingCounts } from '../pricing/price-ledger.ts';
import { computeVarianceCells } from '../reconcile/variance-cells.ts';
import { explainVariance } from '../explain/explain-variance.ts';
import { allocateInvoice } from '../allocate/allocate-invoice.ts';
import { ruleFor, toleranceRules } from '../reconcile/tolerance.ts';
import { computeShowback } from '../budget/showback.ts';

export interface ReconcileInput {
  runId: string;
  period: Period;
  settings: Settings;
  policy: AllocationPolicy;
  now: Date;
  log: Logger;
}

/**
 * The whole reconciliation of a period for one run, reading top to bottom. `db` is the run's
 * transaction: every result lands together or not at all.
 */
export async function reconcilePeriod(db: Kysely<Database>, input: ReconcileInput): Promise<{ pricing: PricingCounts }> {
  const { runId, period, log } = input;
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await work();
    log.info('stage done', { stage, seconds: (Date.now() - started) / 1000 });
    return result;
  };
  // Each stage reads the tables the previous one just filled; without fresh statistics the
  // planner takes them for nearly empty and picks nested loops over hundreds of thousands of rows.
  const analyze = (...tables: string[]) => sql.raw(`analyze ${tables.join(', ')}`).execute(db);
  const pricing = await timed('price', () => priceLedger(db, { runId, period }));
  await analyze('run_cost_cube');
  await timed('variance', () => computeVarianceCells(db, { runId, period, settings: input.settings }));
  await analyze('run_variance_cell');
  await timed('causes', () => explainVariance(db, { runId, period }));
  await analyze('run_variance_cause');
  await timed('allocation', () => allocateInvoice(db, { runId, period, policy: input.policy, now: input.now, tolerance: ruleFor(toleranceRules(input.settings), '') }));
  await timed('showback', () => computeShowback(db, { runId, period, now: input.now, log }));
  return { pricing };
}
