import { insertVarianceCells } from "./queries.js";
import { toleranceRules } from "./tolerance.js";
/** Fills run_variance_cell for `runId` from invoice_line and run_cost_cube. */
export async function computeVarianceCells(db, input) {
    await insertVarianceCells(db, { runId: input.runId, period: input.period, tolerances: toleranceRules(input.settings) });
}
