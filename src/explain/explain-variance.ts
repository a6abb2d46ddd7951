import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { SAMPLE_RANKING_SETTINGS, withPlannerSettings } from '../db/planner-settings.ts';
import type { Period } from '../period.ts';
import { runFileIds } from '../ingest/files-that-count.ts';
import { attributeVariance } from './attribute.ts';
import { deleteCauses, insertCauseRows, insertCellCauses, selectCellInputs, selectHourlyVolume, selectProviderLines, selectSampleIds } from './queries.ts';

/** Fills run_variance_cause for `runId`: causes plus 'unexplained' equal each cell's variance. */
export async function explainVariance(db: Kysely<Database>, input: { runId: string; period: Period }): Promise<void> {
  const { runId, period } = input;
  const ledgerFileIds = await runFileIds(db, runId, 'ledger');
  const cells = await selectCellInputs(db, runId);
  const providerLines = await selectProviderLines(db, runId, period);
  const hourly = await selectHourlyVolume(db, { period, ledgerFileIds });
  const samples = await withPlannerSettings(db, SAMPLE_RANKING_SETTINGS, () =>
    selectSampleIds(db, { runId, period, ledgerFileIds }),
  );

  const { causes, cellCauses } = attributeVariance({ cells, providerLines, hourly, samples });

  await deleteCauses(db, runId);
  await insertCauseRows(db, runId, causes);
  await insertCellCauses(db, runId, cellCauses);
}
