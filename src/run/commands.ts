import os from 'node:os';
import { Option } from 'commander';
import { printResult, UserError, type CommandContext, type RegisterCommands } from '../command-context.ts';
import { isPeriod, type Period } from '../period.ts';
import { loadSettings } from '../settings.ts';
import { loadPolicy } from '../allocate/policy.ts';
import { runPeriod, reapDeadRuns, type RunOutcome } from './run-period.ts';
import { closePeriod } from './close-period.ts';
import { diffRuns, formatDiff, type StoredRun } from './diff.ts';
import { selectCurrentRun, selectPreviousSucceededRun, selectRun, selectRuns, type RunRow } from './queries.ts';
import { registerJobCommands } from '../../jobs/commands.ts';

export function periodArgument(text: string | undefined): Period {
  if (!text) throw new UserError('--period is required', 'pass the month as --period YYYY-MM, e.g. --period 2026-05');
  if (!isPeriod(text)) throw new UserError(`period must be YYYY-MM (got "${text}")`, 'pass the month as --period YYYY-MM, e.g. --period 2026-05');
  return text;
}

export function runIdArgument(text: string | undefined, flag: string): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,18}$/.test(text)) throw new UserError(`${flag} must be a run id (a number), got "${text}"`, 'list the runs with recon runs --period YYYY-MM');
  return text;
}

export function formatOutcome(o: RunOutcome): string {
  const lines = [
    `run ${o.run_id} of ${o.period} succeeded${o.no_change ? ` — no change since run ${o.previous_run_id}` : o.previous_run_id ? ` (previous run ${o.previous_run_id})` : ''}`,
    `  invoice total     ${o.invoice_total}`,
    `  priced ledger     ${o.ledger_total}`,
    `  variance          ${o.variance}${o.variance_pct !== null ? ` (${o.variance_pct}%)` : ''}`,
    `  allocated         ${o.allocated_total}   unallocated ${o.unallocated}`,
    ...(o.charged_vs_usage ?? []).map(
      (t) =>
        `    ${t.team.padEnd(24)} ${t.charged.padStart(14)}   own usage ${t.own_priced_usage}, difference ${t.difference}` +
        (t.by.length ? ` (${t.by.slice(0, 3).map((l) => `${l.why} ${l.amount}`).join('; ')}${t.by.length > 3 ? '; …' : ''})` : '') +
        (t.flagged ? '  ← no cause explains it' : ''),
    ),
    `  records ${o.counts.records}, unpriced ${o.counts.unpriced}, untagged ${o.counts.untagged}, rejected rows ${o.counts.rejected}`,
    `  cells over tolerance ${o.cells_over_tolerance.total} (review ${o.cells_over_tolerance.review}, breach ${o.cells_over_tolerance.breach})`,
    ...o.causes.map((c) => `    cause ${c.cause.padEnd(24)} ${c.amount.padStart(14)}`),
    ...(o.warnings ?? []).map((w) => `  warning: ${w.message}\n    next: ${w.next}`),
  ];
  return lines.join('\n');
}

function storedRun(r: RunRow): StoredRun {
  return { id: r.id, summary: r.summary as StoredRun['summary'], inputs: r.inputs as StoredRun['inputs'] };
}

function runView(r: RunRow) {
  const summary = (r.summary ?? {}) as Partial<RunOutcome>;
  return {
    run_id: r.id,
    period: r.period,
    trigger: r.trigger,
    status: r.status,
    started_at: r.started_at,
    finished_at: r.finished_at,
    error: r.error,
    reopen_reason: r.reopen_reason,
    inputs_hash: r.inputs_hash,
    results_hash: r.results_hash,
    invoice_total: summary.invoice_total ?? null,
    ledger_total: summary.ledger_total ?? null,
    variance: summary.variance ?? null,
    no_change: summary.no_change ?? null,
    warnings: summary.warnings ?? [],
  };
}

export async function listRuns(context: CommandContext, period: Period | undefined) {
  const store = await context.store();
  await reapDeadRuns(store.db, context.log);
  const runs = await selectRuns(store.db, period);
  const current = period ? await selectCurrentRun(store.db, period) : undefined;
  return runs.map((r) => ({ ...runView(r), current: current?.id === r.id }));
}

/** Who runs `recon close`, recorded with the close: the OS user (null when the system cannot say). */
function osUser(): string | null {
  try {
    return os.userInfo().username || null;
  } catch {
    return process.env.USER ?? null;
  }
}

export const registerRunCommands: RegisterCommands = (program, context) => {
  program
    .command('run')
    .description('reconcile a period: price, variance, causes, allocation, showback — recorded as a new immutable run')
    .option('--period <YYYY-MM>', 'the month to reconcile')
    .option('--json', 'print the run summary as JSON on stdout')
    .option('--reopen', 'rerun a closed period (requires --reason); recorded on the run and the period')
    .option('--reason <text>', 'why a closed period is reopened')
    .option('--policy <file>', 'allocation policy file (JSON or YAML); default RECON_POLICY_FILE or the built-in policy')
    .option('--require-complete', 'fail, recording nothing, when the month has no ledger, invoice, rate card in effect or owners (the month-end close uses it)')
    .addOption(new Option('--pause-before-commit <ms>', 'fault injection for tests: wait inside the transaction').hideHelp())
    .action(async (options: { period?: string; json?: boolean; reopen?: boolean; reason?: string; policy?: string; requireComplete?: boolean; pauseBeforeCommit?: string }) => {
      const period = periodArgument(options.period);
      if (options.reopen && !options.reason?.trim()) {
        throw new UserError('--reopen needs --reason "…"', `say why the closed period is rerun, e.g. --reopen --reason "late Anthropic credit note"`);
      }
      if (options.reason && !options.reopen) throw new UserError('--reason is only used with --reopen', 'add --reopen, or drop --reason');
      const settings = loadSettings(context.config.configFile);
      const policy = loadPolicy(options.policy ?? context.config.policyFile);
      const store = await context.store();
      const outcome = await runPeriod(store, {
        period,
        trigger: 'manual',
        settings,
        policy,
        log: context.log,
        reopen: options.reopen ? { reason: options.reason!.trim() } : undefined,
        requireComplete: Boolean(options.requireComplete),
        pauseBeforeCommitMs: options.pauseBeforeCommit ? Number(options.pauseBeforeCommit) : undefined,
      });
      printResult(Boolean(options.json), outcome, () => formatOutcome(outcome));
    });

  program
    .command('runs')
    .description('list the runs of a period (the current one is the latest succeeded)')
    .option('--period <YYYY-MM>', 'the month; all periods when left out')
    .option('--json', 'print as JSON')
    .action(async (options: { period?: string; json?: boolean }) => {
      const period = options.period === undefined ? undefined : periodArgument(options.period);
      const runs = await listRuns(context, period);
      printResult(Boolean(options.json), runs, () =>
        runs.length === 0
          ? `no runs${period ? ` for ${period}` : ''} yet; start one with recon run --period ${period ?? 'YYYY-MM'}`
          : runs
              .map((r) =>
                [
                  `${r.current ? '*' : ' '} run ${r.run_id.padEnd(6)} ${r.period} ${r.status.padEnd(9)} ${r.trigger.padEnd(9)}`,
                  new Date(r.started_at).toISOString(),
                  r.invoice_total !== null ? `invoice ${r.invoice_total} ledger ${r.ledger_total} variance ${r.variance}` : '',
                  r.no_change ? 'no change' : '',
                  r.warnings.length ? `incomplete: ${r.warnings.map((w) => w.code).join(', ')}` : '',
                  r.reopen_reason ? `reopened: ${r.reopen_reason}` : '',
                  r.error ? `error: ${r.error}` : '',
                ]
                  .filter(Boolean)
                  .join('  '),
              )
              .join('\n'),
      );
    });

  program
    .command('diff')
    .description('what changed between two runs of a period (totals, teams, causes, inputs), from stored results')
    .option('--period <YYYY-MM>', 'the month')
    .option('--from <run>', 'the earlier run id (default: the succeeded run before --to)')
    .option('--to <run>', 'the later run id (default: the current run)')
    .option('--json', 'print as JSON')
    .action(async (options: { period?: string; from?: string; to?: string; json?: boolean }) => {
      const period = periodArgument(options.period);
      const store = await context.store();
      const toId = runIdArgument(options.to, '--to');
      const fromId = runIdArgument(options.from, '--from');
      const to = toId ? await selectRun(store.db, toId) : await selectCurrentRun(store.db, period);
      if (!to) throw new UserError(toId ? `run ${toId} does not exist` : `period ${period} has no succeeded run`, `list the runs with recon runs --period ${period}`);
      const from = fromId ? await selectRun(store.db, fromId) : await selectPreviousSucceededRun(store.db, period, to.id);
      if (!from) throw new UserError(fromId ? `run ${fromId} does not exist` : `run ${to.id} has no earlier succeeded run in ${period} to compare with`, `list the runs with recon runs --period ${period}`);
      for (const r of [from, to]) {
        if (r.period !== period) throw new UserError(`run ${r.id} belongs to ${r.period}, not ${period}`, `list the runs with recon runs --period ${period}`);
        if (r.status !== 'succeeded') throw new UserError(`run ${r.id} ${r.status}; only succeeded runs have results to compare`, `pick succeeded runs from recon runs --period ${period}`);
      }
      const diff = diffRuns(storedRun(from), storedRun(to));
      printResult(Boolean(options.json), diff, () => formatDiff(diff));
    });

  program
    .command('close')
    .description('close a period after its current run: later reruns need --reopen --reason')
    .option('--period <YYYY-MM>', 'the month to close')
    .option('--json', 'print as JSON')
    .action(async (options: { period?: string; json?: boolean }) => {
      const period = periodArgument(options.period);
      const store = await context.store();
      const result = await closePeriod(store.db, period, osUser());
      printResult(Boolean(options.json), result, () =>
        result.already_closed ? `period ${period} was already closed by run ${result.closed_by_run}` : `period ${period} closed by run ${result.closed_by_run}`,
      );
    });

  registerJobCommands(program, context);
};
