import { printResult, UserError } from "../command-context.js";
import { isPeriod } from "../period.js";
import { formatWaterfall } from "./waterfall.js";
import { selectExplainRun, selectRunScopes, selectVarianceSummary } from "./variance-summary.js";
export const registerExplainCommands = (program, context) => {
    program
        .command('explain')
        .description('show where the gap between invoice and priced ledger comes from: invoice total → each cause → priced ledger total, and the cells over tolerance')
        .option('--period <YYYY-MM>', 'the month to explain (its latest succeeded run)')
        .option('--provider <name>', 'only this provider, e.g. openai, anthropic, aws.bedrock')
        .option('--model <name>', 'only this canonical model, e.g. gpt-4o-2024-08-06')
        .option('--run <id>', 'explain this run instead of the period\'s latest succeeded run')
        .option('--cells <n>', 'how many cells over tolerance to list in the text output', '25')
        .option('--json', 'print the waterfall as JSON on stdout')
        .addHelpText('after', '\nExamples:\n  recon explain --period 2026-05\n  recon explain --period 2026-05 --provider anthropic --json\n\nCause amounts are signed: + means the invoice is above the priced ledger.')
        .action(async (options) => {
        if (!options.period)
            throw new UserError('--period is required', 'pass the month as --period YYYY-MM, e.g. recon explain --period 2026-05');
        if (!isPeriod(options.period))
            throw new UserError(`period must be YYYY-MM (got "${options.period}")`, 'pass the month as --period YYYY-MM, e.g. --period 2026-05');
        if (options.run !== undefined && !/^\d{1,18}$/.test(options.run))
            throw new UserError(`--run must be a run id (a number), got "${options.run}"`, 'list the runs with recon runs --period YYYY-MM');
        if (!/^\d{1,6}$/.test(options.cells ?? ''))
            throw new UserError(`--cells must be a whole number, got "${options.cells}"`, 'e.g. --cells 50');
        const store = await context.store();
        const run = await selectExplainRun(store.db, { period: options.period, ...(options.run !== undefined ? { runId: options.run } : {}) });
        if (!run) {
            throw options.run !== undefined
                ? new UserError(`run ${options.run} does not exist`, 'list the runs with recon runs --period YYYY-MM')
                : new UserError(`period ${options.period} has no succeeded run yet`, `reconcile it first: recon run --period ${options.period}`);
        }
        if (run.period !== options.period)
            throw new UserError(`run ${run.id} belongs to period ${run.period}, not ${options.period}`, `use --period ${run.period}, or leave out --run`);
        if (run.status !== 'succeeded')
            throw new UserError(`run ${run.id} did not succeed (status ${run.status}); it has no results to explain`, `explain the period's current run: recon explain --period ${run.period}`);
        if (options.provider !== undefined || options.model !== undefined) {
            const scopes = await selectRunScopes(store.db, run.id);
            if (options.provider !== undefined && !scopes.providers.includes(options.provider)) {
                throw new UserError(`provider "${options.provider}" has no variance cells in run ${run.id}`, `providers in this run: ${scopes.providers.join(', ') || '(none)'}`);
            }
            if (options.model !== undefined && !scopes.models.includes(options.model)) {
                throw new UserError(`model "${options.model}" has no variance cells in run ${run.id}`, `models in this run: ${scopes.models.join(', ') || '(none)'}`);
            }
        }
        const filter = { ...(options.provider !== undefined ? { provider: options.provider } : {}), ...(options.model !== undefined ? { model: options.model } : {}) };
        const summary = await selectVarianceSummary(store.db, run.id, filter);
        const scope = [options.provider ?? 'all providers', options.model].filter(Boolean).join(' · ');
        printResult(options.json === true, { run_id: run.id, period: run.period, ...filter, ...summary }, () => formatWaterfall(summary, `Variance ${run.period} · run ${run.id} · ${scope}`, Number(options.cells)));
    });
};
