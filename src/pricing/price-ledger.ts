import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { GROUP_READING_SETTINGS, withPlannerSettings } from '../db/planner-settings.ts';
import { runFileIds } from '../ingest/files-that-count.ts';
import { periodBounds, type Period } from '../period.ts';
import {
  dropPricingWorkTable,
  raiseWorkMemForRun,
  insertCostCubeAndGatewayEstimates,
  insertRunPriceCard,
  insertPricingWorkTable,
  selectPricingCounts,
  type PricingCounts,
} from './queries.ts';

export type { PricingCounts } from './queries.ts';

/**
 * Prices every ledger record of the period into run_cost_cube for `runId`:
 * resolve the run's wide price card, group the month's records by everything the price and the
 * cube depend on (one parallel scan), then spread the groups into categories with their cost.
 */
export async function priceLedger(db: Kysely<Database>, input: { runId: string; period: Period }): Promise<PricingCounts> {
  if (!/^\d+$/.test(input.runId)) throw new Error(`priceLedger: run id must be an integer, got "${input.runId}"`);
  const { start, end } = periodBounds(input.period);
  const scope = { runId: input.runId, start: start.toISOString(), end: end.toISOString() };
  await raiseWorkMemForRun(db);
  await insertRunPriceCard(db, scope);
  try {
    const ledgerFileIds = await runFileIds(db, scope.runId, 'ledger');
    await withPlannerSettings(db, GROUP_READING_SETTINGS, async () => {
      await insertPricingWorkTable(db, scope, ledgerFileIds);
      await insertCostCubeAndGatewayEstimates(db, scope);
    });
    return await selectPricingCounts(db, scope);
  } finally {
    await dropPricingWorkTable(db, scope);
  }
}
