import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../log.ts';
import type { Period } from '../period.ts';

// Placeholder until budgets land: month-to-date spend, run-rate forecast, budget and alerts per
// team for the run, written to the run and logged as structured lines.
export async function computeShowback(_db: Kysely<Database>, _input: { runId: string; period: Period; now: Date; log: Logger }): Promise<void> {}
