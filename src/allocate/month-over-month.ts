import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { SheetSpec } from '../workbooks/sheet-spec.ts';

// Placeholder until month-over-month analysis lands: per team and workflow, the change against
// the previous period split into volume, price and model-mix effects.
export async function monthOverMonthSheet(_db: Kysely<Database>, _runId: string): Promise<SheetSpec> {
  return { name: 'Month over month', notes: ['Not available yet.'], columns: [], rows: [] };
}
