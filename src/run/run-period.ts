import os from 'node:os';
import type { Kysely } from 'kysely';
import { UserError } from '../command-context.ts';
import type { Database } from '../db/schema.ts';
import type { Store } from '../db/connection.ts';
import type { Logger } from '../log.ts';
import type { Period } from '../period.ts';
import type { Settings } from '../settings.ts';
import type { AllocationPolicy } from '../allocate/policy.ts';
import { reconcilePeriod } from './pipeline.ts';
import { selectVarianceSummary } from '../explain/variance-summary.ts';
import { hashValue } from './hash.ts';
import { recordedFileIds } from '../ingest/files-that-count.ts';
import {
  ensurePeriod,
  insertRunWithLock,
  markDeadRuns,
  markRunFailed,
  markRunSucceeded,
  recordReopen,
  selectPeriod,
  selectPreviousSucceededRun,
  selectResultHashes,
  selectRunInputs,
  selectRunningRuns,
  selectSummaryFigures,
  tryLockPeriod,
  unlockPeriod,
  unlockRun,
  updateRunInputs,
  type RawRunInputs,
} from './queries.ts';
import { buildRunSummary, type RunSummary } from './summary.ts';
import { DEFAULT_REPORTING_CURRENCY, fxRunInputs, type FxRunInputs } from '../fx/run-rates.ts';

export interface RunInputs extends RawRunInputs {
  period: string;
  policy: { version: string; hash: string };
  /** settings that change results: the variance tolerances (and the reporting currency when it is not USD) */
  settings: { tolerance: Settings['tolerance']; reporting_currency?: string };
  /** the exchange rates the period's invoice lines are converted with (src/fx), when any */
  fx_rates?: FxRunInputs['fx_rates'];
}

export interface RunOutcome extends RunSummary {
  previous_run_id: string | null;
  /** true when the stored results hash equals the previous succeeded run's */
  no_change: boolean;
}

export type Reconcile = typeof reconcilePeriod;

export interface RunPeriodOptions {
  period: Period;
  trigger: 'manual' | 'nightly' | 'month-end' | 'http';
  settings: Settings;
  policy: AllocationPolicy;
  log: Logger;
  reopen?: { reason: string } | undefined;
  now?: Date;
  /** the pipeline; tests of the run lifecycle may pass a small stand-in */
  reconcile?: Reconcile;
  /** called once the run row exists (the HTTP service answers with the id before the run ends) */
  onStarted?: (runId: string) => void;
  /** refuse to record a run whose month is incomplete (see completeness.ts): the month-end close */
  requireComplete?: boolean;
  /** fault injection for the kill -9 test: wait this long at the start of the run's transaction */
  pauseBeforeCommitMs?: number;
}

/** Run ids started by this process and not yet finished (PGlite shares one session for all). */
const activeRuns = new Set<string>();

/**
 * One reconciliation of a period: a new immutable run row committed at once (status running,
 * holding an advisory lock for its life), then ONE repeatable-read transaction that records and
 * hashes its inputs, runs every stage, writes the summary and flips the run to succeeded. Anything thrown marks the run failed;
 * a killed process leaves the row 'running' and the next start marks it failed. The previous
 * succeeded run stays the period's current one until this one commits.
 */
export async function runPeriod(store: Store, options: RunPeriodOptions): Promise<RunOutcome> {
  const { period, log } = options;
  const reconcile = options.reconcile ?? reconcilePeriod;
  return store.db.connection().execute(async (conn) => {
    if (!(await tryLockPeriod(conn, period))) {
      const running = await selectRunningRuns(conn, period);
      const which = running.map((r) => `run ${r.id} (pid ${r.pid ?? '?'} on ${r.host ?? '?'})`).join(', ') || 'another run';
      throw new UserError(`period ${period} is being reconciled right now by ${which}`, 'wait for it to finish (recon runs --period ' + period + '), then rerun');
    }
    let runId: string | undefined;
    let recorded: { inputs: RunInputs; inputsHash: string } | undefined;
    try {
      const dead = (await markDeadRuns(conn)).filter((r) => !activeRuns.has(r.id));
      for (const run of dead) log.warn('marked a dead run failed', { dead_run_id: run.id, period: run.period, pid: run.pid, host: run.host });

      const periodRow = await selectPeriod(conn, period);
      if (periodRow?.status === 'closed' && !options.reopen) {
        throw new UserError(
          `period ${period} is closed (closed by run ${periodRow.closed_by_run ?? '?'}); a plain rerun would change posted numbers`,
          `rerun with --reopen --reason "why" to replace its numbers on the record`,
        );
      }
      if (options.reopen && periodRow?.status !== 'closed') {
        throw new UserError(`period ${period} is not closed, so there is nothing to reopen`, 'rerun without --reopen');
      }

      runId = await insertRunWithLock(conn, {
        period,
        trigger: options.trigger,
        pid: process.pid,
        host: os.hostname(),
        reopenReason: options.reopen?.reason ?? null,
      });
      activeRuns.add(runId);
      options.onStarted?.(runId);
      const runLog = log.child({ run_id: runId, period });
      runLog.info('run started', { trigger: options.trigger });

      const id = runId;
      // One snapshot for the whole run (repeatable read): the inputs it records and hashes are the
      // rows every stage reads, even while another process ingests or replaces a file.
      const outcome = await conn.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
        const raw = await selectRunInputs(trx, period);
        // a month with an invoice line no rate converts fails here, naming the currency and month
        const fx = await fxRunInputs(trx, period, options.settings.fx?.reportingCurrency ?? DEFAULT_REPORTING_CURRENCY);
        const inputs: RunInputs = {
          period,
          ...raw,
          policy: { version: options.policy.version, hash: hashValue(options.policy) },
          settings: { tolerance: options.settings.tolerance, ...(fx.reporting_currency ? { reporting_currency: fx.reporting_currency } : {}) },
          ...(fx.fx_rates ? { fx_rates: fx.fx_rates } : {}),
        };
        const inputsHash = hashValue(inputs);
        recorded = { inputs, inputsHash };
        await updateRunInputs(trx, id, inputs, inputsHash, options.policy);
        if (options.pauseBeforeCommitMs) {
          runLog.warn('paused inside the run transaction', { ms: options.pauseBeforeCommitMs });
          await new Promise((resolve) => setTimeout(resolve, options.pauseBeforeCommitMs));
        }
        await reconcile(trx, { runId: id, period, settings: options.settings, policy: options.policy, now: options.now ?? new Date(), log: runLog });
        const resultsHash = hashValue(await selectResultHashes(trx, id));
        const figures = await selectSummaryFigures(trx, id, period, recordedFileIds(inputs) ?? []);
        const variance = await selectVarianceSummary(trx, id);
        const summary = buildRunSummary(
          { id, period, trigger: options.trigger, inputsHash, resultsHash, reopenReason: options.reopen?.reason ?? null },
          figures,
          variance.causes,
        );
        if (options.requireComplete && summary.warnings.length > 0) {
          throw new UserError(
            `period ${period} is not complete, so run ${id} was not recorded (--require-complete): ${summary.warnings.map((w) => w.message).join('; ')}`,
            summary.warnings.map((w) => w.next).join('; then '),
          );
        }
        const previous = await selectPreviousSucceededRun(trx, period, id);
        const result: RunOutcome = {
          ...summary,
          previous_run_id: previous?.id ?? null,
          no_change: previous?.results_hash === resultsHash,
        };
        await ensurePeriod(trx, period);
        if (options.reopen) await recordReopen(trx, period, id, options.reopen.reason);
        await markRunSucceeded(trx, id, result, resultsHash);
        return result;
      });
      runLog.info('run succeeded', { no_change: outcome.no_change, results_hash: outcome.results_hash });
      return outcome;
    } catch (error) {
      if (runId) {
        const message = error instanceof Error ? error.message : String(error);
        // On a lost connection the run's own session is gone: record the failure on another one
        // at once instead of leaving the run 'running' until the next start.
        await markRunFailed(conn, runId, message).catch(() => (store.kind === 'postgres' ? markRunFailed(store.db, runId!, message) : undefined)).catch(() => undefined);
        // the inputs were recorded inside the rolled-back transaction: keep them with the failed run
        if (recorded) await updateRunInputs(conn, runId, recorded.inputs, recorded.inputsHash, options.policy).catch(() => undefined);
        log.error('run failed', { run_id: runId, period, error: message });
      }
      throw error;
    } finally {
      if (runId) {
        activeRuns.delete(runId);
        await unlockRun(conn, runId).catch(() => undefined);
      }
      await unlockPeriod(conn, period).catch(() => undefined);
    }
  });
}

/** Marks dead runs failed without starting one (worker start, `recon runs`). */
export async function reapDeadRuns(db: Kysely<Database>, log: Logger): Promise<string[]> {
  const dead = (await markDeadRuns(db)).filter((r) => !activeRuns.has(r.id));
  for (const run of dead) log.warn('marked a dead run failed', { dead_run_id: run.id, period: run.period, pid: run.pid, host: run.host });
  return dead.map((r) => r.id);
}
