import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';

export interface PricingCounts {
  records: string;
  priced: string;
  unpriced: string;
  untagged: string;
  /** priced ledger total, full precision decimal text */
  ledger_cost: string;
}

/** Prices every ledger record of the period into run_cost_cube for `runId`. */
export async function priceLedger(_db: Kysely<Database>, _input: { runId: string; period: Period }): Promise<PricingCounts> {
  throw new Error('priceLedger: not implemented yet');
}
