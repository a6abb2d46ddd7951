import { sql } from 'kysely';
import { priceLedger } from "../pricing/price-ledger.js";
import { computeVarianceCells } from "../reconcile/variance-cells.js";
import { explainVariance } from "../explain/explain-variance.js";
import { allocateInvoice } from "../allocate/allocate-invoice.js";
import { ruleFor, toleranceRules } from "../reconcile/tolerance.js";
import { computeShowback } from "../budget/showback.js";
/**
 * The whole reconciliation of a period for one run, reading top to bottom. `db` is the run's
 * transaction: every result lands together or not at all.
 */
export async function reconcilePeriod(db, input) {
    const { runId, period, log } = input;
    const timed = async (stage, work) => {
        const started = Date.now();
        const result = await work();
        log.info('stage done', { stage, seconds: (Date.now() - started) / 1000 });
        return result;
    };
    // Each stage reads the tables the previous one just filled; without fresh statistics the
    // planner takes them for nearly empty and picks nested loops over hundreds of thousands of rows.
    const analyze = (...tables) => sql.raw(`analyze ${tables.join(', ')}`).execute(db);
    const pricing = await timed('price', () => priceLedger(db, { runId, period }));
    await analyze('run_cost_cube');
    await timed('variance', () => computeVarianceCells(db, { runId, period, settings: input.settings }));
    await analyze('run_variance_cell');
    await timed('causes', () => explainVariance(db, { runId, period }));
    await analyze('run_variance_cause');
    await timed('allocation', () => allocateInvoice(db, { runId, period, policy: input.policy, now: input.now, tolerance: ruleFor(toleranceRules(input.settings), '') }));
    await timed('showback', () => computeShowback(db, { runId, period, now: input.now, log }));
    return { pricing };
}
