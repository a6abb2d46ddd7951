import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { SAMPLE_RANKING_SETTINGS, withPlannerSettings } from '../db/planner-settings.ts';
import type { Period } from '../period.ts';
import { runFileIds } from '../ingest/files-that-count.ts';
import { attributeVariance, type CellInput } from './attribute.ts';
import { money } from '../money.ts';
import { selectCommittedCellQuantities, type CommittedCellRow } from '../commitments/queries.ts';
import { deleteCauses, insertCauseRows, insertCellCauses, selectCellInputs, selectHourlyVolume, selectProviderLines, selectSampleIds } from './queries.ts';

/** Fills run_variance_cause for `runId`: causes plus 'unexplained' equal each cell's variance. */
export async function explainVariance(db: Kysely<Database>, input: { runId: string; period: Period }): Promise<void> {
  const { runId, period } = input;
  const ledgerFileIds = await runFileIds(db, runId, 'ledger');
  const cells = withCommitted(await selectCellInputs(db, runId), await selectCommittedCellQuantities(db, { period, ledgerFileIds }));
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

const COMMITTED_CATEGORIES = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output'] as const;

/** Each cell's quantity of records that ran on a commitment (request cells: the records). */
function withCommitted(cells: CellInput[], committed: readonly CommittedCellRow[]): CellInput[] {
  if (committed.length === 0) return cells;
  const byKey = new Map(committed.map((c) => [`${c.provider}|${c.model}|${c.service_tier}|${c.day}`, c]));
  return cells.map((cell) => {
    const c = byKey.get(`${cell.provider}|${cell.model}|${cell.service_tier}|${cell.day}`);
    if (!c) return cell;
    const category = cell.token_category as (typeof COMMITTED_CATEGORIES)[number] | 'request';
    const quantity = category === 'request' ? money(c.records) : COMMITTED_CATEGORIES.includes(category) ? money(c[category]) : money('0');
    return { ...cell, committed: { quantity, records: money(c.records) } };
  });
}
