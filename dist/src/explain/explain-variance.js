import { SAMPLE_RANKING_SETTINGS, withPlannerSettings } from "../db/planner-settings.js";
import { runFileIds } from "../ingest/files-that-count.js";
import { attributeVariance } from "./attribute.js";
import { deleteCauses, insertCauseRows, insertCellCauses, selectCellInputs, selectHourlyVolume, selectProviderLines, selectSampleIds } from "./queries.js";
/** Fills run_variance_cause for `runId`: causes plus 'unexplained' equal each cell's variance. */
export async function explainVariance(db, input) {
    const { runId, period } = input;
    const ledgerFileIds = await runFileIds(db, runId, 'ledger');
    const cells = await selectCellInputs(db, runId);
    const providerLines = await selectProviderLines(db, period);
    const hourly = await selectHourlyVolume(db, { period, ledgerFileIds });
    const samples = await withPlannerSettings(db, SAMPLE_RANKING_SETTINGS, () => selectSampleIds(db, { runId, period, ledgerFileIds }));
    const { causes, cellCauses } = attributeVariance({ cells, providerLines, hourly, samples });
    await deleteCauses(db, runId);
    await insertCauseRows(db, runId, causes);
    await insertCellCauses(db, runId, cellCauses);
}
//# sourceMappingURL=explain-variance.js.map