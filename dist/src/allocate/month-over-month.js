import { sql } from 'kysely';
import { money } from "../money.js";
import { isPeriod, previousPeriod } from "../period.js";
import { monthOverMonth } from "./mix-effects.js";
// Labels for ledger records without a team or workflow, as in the showback sheets.
const UNTAGGED = '(untagged)';
const NO_WORKFLOW = '(no workflow)';
/** Priced cost and requests of a run per team × workflow × model (a few hundred rows). */
export async function selectWorkflowModelCosts(db, runId) {
    const { rows } = await sql `
    select coalesce(team, ${UNTAGGED}) as team, coalesce(workflow, ${NO_WORKFLOW}) as workflow, model,
           coalesce(sum(records) filter (where token_category = 'request'), 0)::text as requests, sum(cost)::text as cost
    from run_cost_cube where run_id = ${runId}::bigint
    group by 1, 2, 3 order by 1, 2, 3`.execute(db);
    return rows.map((r) => ({ team: r.team, workflow: r.workflow, model: r.model, requests: money(r.requests), cost: money(r.cost) }));
}
async function selectRunPeriodAndPrevious(db, runId) {
    const { rows } = await sql `select period from run where id = ${runId}::bigint`.execute(db);
    const period = rows[0]?.period;
    if (period === undefined || !isPeriod(period))
        return undefined;
    const previous = previousPeriod(period);
    const prior = await sql `
    select id from run where period = ${previous} and status = 'succeeded' order by id desc limit 1`.execute(db);
    return { period, previousRunId: prior.rows[0]?.id, previousPeriod: previous };
}
/** Per team and workflow: the change against the previous period's current run, split into volume, price and model-mix effects. */
export async function monthOverMonthSheet(db, runId) {
    const columns = [
        { header: 'Team', key: 'team', format: 'text', width: 20 },
        { header: 'Workflow', key: 'workflow', format: 'text', width: 24 },
        { header: 'Previous cost', key: 'previous_cost', format: 'usd', total: true },
        { header: 'Current cost', key: 'current_cost', format: 'usd', total: true },
        { header: 'Change', key: 'change', format: 'usd', total: true },
        { header: 'Volume effect', key: 'volume_effect', format: 'usd', total: true },
        { header: 'Price effect', key: 'price_effect', format: 'usd', total: true },
        { header: 'Model mix effect', key: 'mix_effect', format: 'usd', total: true },
        { header: 'Previous requests', key: 'previous_requests', format: 'integer', total: true },
        { header: 'Current requests', key: 'current_requests', format: 'integer', total: true },
        { header: 'Main driver', key: 'driver', format: 'text', width: 18 },
        { header: 'Model shift (share of requests)', key: 'model_shift', format: 'text', width: 48 },
    ];
    const context = await selectRunPeriodAndPrevious(db, runId);
    if (!context)
        return { name: 'Month over month', notes: [`Run ${runId} does not exist.`], columns, rows: [] };
    const current = await selectWorkflowModelCosts(db, runId);
    const previous = context.previousRunId ? await selectWorkflowModelCosts(db, context.previousRunId) : [];
    const notes = [
        `Priced ledger cost of ${context.period} (run ${runId}) against ${context.previousPeriod} (${context.previousRunId ? `run ${context.previousRunId}, its current run` : 'no succeeded run: every workflow shows as new'}).`,
        'Volume: more or fewer requests at last month’s cost per request. Model mix: requests moving between models. Price: cost per request of the same model (rate card changes, longer prompts or outputs).',
        'Volume + price + model mix = change, to the cent.',
    ];
    return { name: 'Month over month', notes, columns, rows: monthOverMonth(previous, current) };
}
