import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import type { Settings } from '../settings.ts';
import { insertVarianceCells } from './queries.ts';
import { toleranceRules } from './tolerance.ts';

/** Fills run_variance_cell for `runId` from the invoice lines (in the reporting currency, src/fx) and run_cost_cube. */
export async function computeVarianceCells(db: Kysely<Database>, input: { runId: string; period: Period; settings: Settings }): Promise<void> {
  await insertVarianceCells(db, { runId: input.runId, period: input.period, tolerances: toleranceRules(input.settings) });
}
