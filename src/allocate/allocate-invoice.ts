import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import type { AllocationPolicy } from './policy.ts';

/** Fills run_allocation and run_team_summary for `runId` under `policy`. */
export async function allocateInvoice(_db: Kysely<Database>, _input: { runId: string; period: Period; policy: AllocationPolicy; now: Date }): Promise<void> {
  throw new Error('allocateInvoice: not implemented yet');
}
