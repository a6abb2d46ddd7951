import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import type { Settings } from '../settings.ts';

/** Fills run_variance_cell for `runId` from invoice_line and run_cost_cube. */
export async function computeVarianceCells(_db: Kysely<Database>, _input: { runId: string; period: Period; settings: Settings }): Promise<void> {
  throw new Error('computeVarianceCells: not implemented yet');
}
