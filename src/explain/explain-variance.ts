import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Period } from '../period.ts';
import { loadModelResolver } from '../reconcile/model-resolver.ts';
import { attributeVariance } from './attribute.ts';
import { deleteCauses, insertCauseRows, insertCellCauses, selectCellInputs, selectHourlyVolume, selectProviderLines, selectSampleIds } from './queries.ts';

/** Fills run_variance_cause for `runId`: causes plus 'unexplained' equal each cell's variance. */
export async function explainVariance(db: Kysely<Database>, input: { runId: string; period: Period }): Promise<void> {
  const { runId, period } = input;
  const resolveModel = await loadModelResolver(db);
  const cells = await selectCellInputs(db, runId);
  const providerLines = await selectProviderLines(db, period);
  const hourly = await selectHourlyVolume(db, period);
  const samples = await selectSampleIds(db, { runId, period, resolveModel });

  const { causes, cellCauses } = attributeVariance({ cells, providerLines, hourly, samples });

  await deleteCauses(db, runId);
  await insertCauseRows(db, runId, causes);
  await insertCellCauses(db, runId, cellCauses);
}
