import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { SheetSpec } from '../workbooks/sheet-spec.ts';

// Placeholders until the evidence audit and showback land.
export async function evidenceSheet(_db: Kysely<Database>, _runId: string): Promise<SheetSpec> {
  return { name: 'Evidence', notes: ['Not available yet.'], columns: [], rows: [] };
}

export async function showbackSheet(_db: Kysely<Database>, _runId: string): Promise<SheetSpec> {
  return { name: 'Showback', notes: ['Not available yet.'], columns: [], rows: [] };
}
