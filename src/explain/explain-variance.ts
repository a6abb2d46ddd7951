import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';

/** Fills run_variance_cause for `runId`: causes plus 'unexplained' equal each cell's variance. */
export async function explainVariance(_db: Kysely<Database>, _input: { runId: string; period: Period }): Promise<void> {
  throw new Error('explainVariance: not implemented yet');
}
