import crypto from 'node:crypto';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { monthOverMonthSheet } from '../allocate/month-over-month.ts';
import { defaultPolicy, policySchema, type AllocationPolicy } from '../allocate/policy.ts';
import { selectLastImportedLine, selectTeamInvoiceLines } from '../allocate/queries.ts';
import { evidenceSheet, showbackSheet } from '../audit/sheets.ts';
import { UserError } from '../command-context.ts';
import type { Store } from '../db/connection.ts';
import type { Database } from '../db/schema.ts';
import { parsePeriod, type Period } from '../period.ts';
import {
  byCostCenterSheet,
  byModelSheet,
  byServiceWorkflowSheet,
  byTeamSheet,
  causeDetailSheet,
  closeSheet,
  countCellWork,
  disputesSheet,
  policyAndMethodSheet,
  runInputFileIds,
  runToleranceRules,
  summarySheet,
  untaggedSheet,
  invoiceLinesSheet,
  varianceCausesSheet,
  varianceCellsSheet,
} from './allocation-sheets.ts';
import { commitmentSheets } from './commitment-sheets.ts';
import {
  disputeDeadline,
  disputeMetaSheet,
  teamInvoiceLinesSheet,
  disputeFormSheet,
  policyAppliedSheet,
  teamChargesSheet,
  teamDaysSheet,
  teamRetriesSheet,
  teamSummarySheet,
  TOP_REQUESTS_CAP,
  topRequestsSheet,
  utcDay,
} from './dispute-sheets.ts';
import { recordedFileIds } from '../ingest/files-that-count.ts';
import { selectPeriod } from '../run/queries.ts';
import * as q from './queries.ts';
import type { SheetSpec } from './sheet-spec.ts';
import { writeWorkbook } from './xlsx-writer.ts';

type Db = Kysely<Database>;

export interface WorkbookFile {
  kind: 'allocation' | 'dispute';
  team: string | null;
  path: string;
  sha256: string;
}

export interface WorkbookOptions {
  period: string;
  /** a run of the period; default: the period's latest succeeded run */
  runId?: string | undefined;
  outDir: string;
  /** rows per sheet before it continues on the next sheet; default Excel's limit */
  maxRowsPerSheet?: number | undefined;
  /** the issue time recorded for a first issue (tests pin it); default now */
  now?: Date | undefined;
}

const dbOf = (storeOrDb: Store | Db): Db => ('db' in storeOrDb && typeof (storeOrDb as Store).exec === 'function' ? (storeOrDb as Store).db : (storeOrDb as Db));

/** The run a workbook is for, or a UserError saying what to do. */
export async function resolveWorkbookRun(db: Db, periodText: string, runId: string | undefined): Promise<q.WorkbookRun> {
  let period: Period;
  try {
    period = parsePeriod(periodText);
  } catch {
    throw new UserError(`--period must be YYYY-MM (got "${periodText}")`, 'e.g. recon workbook --period 2026-05 --out ./out');
  }
  if (runId !== undefined && !/^\d+$/.test(runId)) throw new UserError(`--run must be a run id number (got "${runId}")`, '`recon run list --period P` shows the runs');
  const run = await q.selectWorkbookRun(db, period, runId);
  if (!run) {
    if (runId !== undefined) {
      const other = await q.selectRunById(db, runId);
      if (other) throw new UserError(`run ${runId} is a run of ${other.period}, not ${period}`, `use --period ${other.period}, or leave out --run for the current run of ${period}`);
      throw new UserError(`there is no run ${runId}`, `leave out --run to use the current run of ${period}`);
    }
    throw new UserError(`period ${period} has no succeeded run`, `run \`recon run --period ${period}\` first`);
  }
  if (run.status !== 'succeeded') {
    throw new UserError(`run ${run.id} did not succeed (status ${run.status}); its results are incomplete`, `leave out --run for the period's current run, or rerun with \`recon run --period ${period}\``);
  }
  return run;
}

/** The instant a run's workbooks are dated with: when its results were final. */
function runDate(run: q.WorkbookRun): Date {
  return run.finished_at ?? run.started_at;
}

/** Another domain's sheet; if it cannot be built the workbook still is, and says why. */
async function foreignSheet(name: string, build: () => Promise<SheetSpec>): Promise<SheetSpec> {
  try {
    return await build();
  } catch (error) {
    return { name, notes: [`This section could not be built: ${(error as Error).message}`], columns: [], rows: [] };
  }
}

export function allocationFileName(period: string): string {
  return `allocation-${period}.xlsx`;
}

// Longest escaped team name kept whole in a file name (file systems allow 255 bytes).
const FILE_TEAM_MAX = 120;

/**
 * The team's part of a dispute workbook's file name, injective over team names: lowercase letters,
 * digits, '.' and '-' stay; every other byte of the UTF-8 name (uppercase letters and '_'
 * included) becomes '_' and two lowercase hex digits. Escaping '_' itself is what keeps `a/b`
 * (a_2fb) apart from a team literally named `a_2fb` (a_5f2fb), and the output being lowercase keeps
 * names apart on case-insensitive file systems too. An escaped name longer than FILE_TEAM_MAX is
 * cut and ends in '~' and 16 hex digits of its sha256 ('~' never appears in an escaped name).
 */
export function fileSafeTeam(team: string): string {
  let escaped = '';
  for (const byte of Buffer.from(team, 'utf8')) {
    const char = String.fromCharCode(byte);
    escaped += /[a-z0-9.-]/.test(char) ? char : `_${byte.toString(16).padStart(2, '0')}`;
  }
  // '_' alone is no escape, so it stands for the empty name without meeting any other
  if (escaped === '') return '_';
  if (escaped.length <= FILE_TEAM_MAX) return escaped;
  return `${escaped.slice(0, FILE_TEAM_MAX - 17)}~${crypto.createHash('sha256').update(team, 'utf8').digest('hex').slice(0, 16)}`;
}

export function disputeFileName(period: string, team: string): string {
  return `dispute-${period}-${fileSafeTeam(team)}.xlsx`;
}

/** The input files with the status the run recorded for them: a later replace does not rewrite the run's record. */
function asRecorded(inputs: unknown, files: q.InputFileRow[]): q.InputFileRow[] {
  const recorded = new Map<string, unknown>();
  const list = (inputs as { files?: unknown } | null)?.files;
  if (Array.isArray(list)) for (const f of list as { id?: unknown; status?: unknown }[]) recorded.set(String(f.id), f.status);
  return files.map((f) => {
    const status = recorded.get(f.id);
    return typeof status === 'string' ? { ...f, status } : f;
  });
}

/** Writes allocation-YYYY-MM.xlsx for a run and records its issue. */
export async function writeAllocationWorkbook(storeOrDb: Store | Db, options: WorkbookOptions): Promise<WorkbookFile & { run_id: string; period: string }> {
  const db = dbOf(storeOrDb);
  const run = await resolveWorkbookRun(db, options.period, options.runId);
  const period = parsePeriod(run.period);
  const invoiceFiles = recordedFileIds(run.inputs, 'invoice');
  const providers = await q.selectProviderFigures(db, run.id, period, invoiceFiles);
  const rules = runToleranceRules(run);
  const work = await countCellWork(q.varianceCellPages(db, run.id), rules);
  const cards = await q.selectCardVersionsUsed(db, run.id);
  const invoiceLines = await q.selectInvoiceLinesOfRun(db, run.id, period, invoiceFiles);
  const converted = { reporting: invoiceLines[0]?.reporting_currency ?? '', billed: [...new Set(invoiceLines.filter((l) => l.billed_currency !== l.reporting_currency).map((l) => l.billed_currency))].sort() };
  const sheets: SheetSpec[] = [
    closeSheet({ run, providers, work, cards, period: await selectPeriod(db, period), rules }),
    summarySheet(run, providers, work, converted),
    byTeamSheet(run, await q.selectTeamFigures(db, run.id)),
    byCostCenterSheet(run, await q.selectCostCenterFigures(db, run.id)),
    byServiceWorkflowSheet(run, await q.selectServiceWorkflowFigures(db, run.id)),
    byModelSheet(run, await q.selectModelFigures(db, run.id)),
    varianceCellsSheet(run, q.varianceCellPages(db, run.id), rules),
    varianceCausesSheet(run, providers, await q.selectCauseTotals(db, run.id), await q.selectCellsWithCauses(db, run.id)),
    causeDetailSheet(run, await q.selectCauseDetail(db, run.id)),
    untaggedSheet(run, await q.selectUntaggedAndUnallocated(db, run.id, period, invoiceFiles)),
    // only for a month with a line billed in another currency than the reporting one (src/fx)
    ...[invoiceLinesSheet(run, invoiceLines)].filter((s): s is SheetSpec => s !== null),
    ...(await commitmentSheets(db, run)),
    await foreignSheet('Month over month', () => monthOverMonthSheet(db, run.id)),
    await foreignSheet('Evidence', () => evidenceSheet(db, run.id)),
    await foreignSheet('Showback', () => showbackSheet(db, run.id)),
    policyAndMethodSheet(run, cards, asRecorded(run.inputs, await q.selectInputFiles(db, runInputFileIds(run.inputs) ?? []))),
    // past due as of the run, not of the download: the same run gives the same bytes
    disputesSheet(run, await q.selectDisputes(db, period), utcDay(runDate(run))),
  ];
  const file = path.resolve(options.outDir, allocationFileName(run.period));
  const written = await writeWorkbook(file, sheets, { created: runDate(run), title: `recon allocation ${run.period} (run ${run.id})` }, { maxRowsPerSheet: options.maxRowsPerSheet });
  await q.insertWorkbookIssue(db, { period: run.period, runId: run.id, kind: 'allocation', team: null, path: written.path, sha256: written.sha256, issuedAt: options.now ?? new Date() });
  return { kind: 'allocation', team: null, path: written.path, sha256: written.sha256, run_id: run.id, period: run.period };
}

/**
 * Writes dispute-YYYY-MM-TEAM.xlsx for one team and records its issue. The dispute window runs
 * from the first issue of the team's workbook for this run, so a reissue (or the HTTP download)
 * keeps the deadline and the bytes.
 */
export async function writeDisputeWorkbook(
  storeOrDb: Store | Db,
  options: WorkbookOptions & { team: string; topRequests?: TopRequests | undefined },
): Promise<WorkbookFile & { run_id: string; period: string; issued_at: string; deadline: string }> {
  const db = dbOf(storeOrDb);
  const run = await resolveWorkbookRun(db, options.period, options.runId);
  const period = parsePeriod(run.period);
  const team = options.team;
  const teams = await q.selectRunTeams(db, run.id);
  if (!teams.includes(team)) {
    const list = teams.length > 0 ? teams.slice(0, 20).join(', ') + (teams.length > 20 ? ', …' : '') : '(none)';
    throw new UserError(`run ${run.id} of ${run.period} charges nothing to team "${team}"`, `teams in this run: ${list}`);
  }
  const first = await q.selectFirstIssue(db, run.id, 'dispute', team);
  const issuedAt = first?.issued_at ?? options.now ?? new Date();
  const context = { run, team, issuedAt, deadline: disputeDeadline(issuedAt) };
  const figures = (await q.selectTeamFigures(db, run.id, team))[0];
  const policy = runPolicy(run);
  const untagged = { team, providers: await q.selectUntaggedProvidersOf(db, run.id, team, policy.platform_bucket) };
  const top = options.topRequests ?? (await q.selectTopRequests(db, run.id, period, team, TOP_REQUESTS_CAP, untagged));
  const invoiceLines = await selectTeamInvoiceLines(db, { runId: run.id, period, team, policy, invoiceFileIds: recordedFileIds(run.inputs, 'invoice') });
  const sheets: SheetSpec[] = [
    teamSummarySheet(context, figures),
    teamChargesSheet(context, await q.selectTeamCharges(db, run.id, team)),
    teamDaysSheet(context, await q.selectTeamDays(db, run.id, team, untagged.providers)),
    topRequestsSheet(context, top.rows, top.total, TOP_REQUESTS_CAP),
    teamInvoiceLinesSheet(context, invoiceLines),
    teamRetriesSheet(context, await q.selectTeamRetries(db, run.id, team, team === policy.platform_bucket && policy.retries === 'platform')),
    policyAppliedSheet(context, await q.selectTeamRules(db, run.id, team)),
    disputeFormSheet(context, await q.selectDisputes(db, period, team), await selectLastImportedLine(db, run.id, team)),
    disputeMetaSheet(context),
  ];
  const file = path.resolve(options.outDir, disputeFileName(run.period, team));
  const written = await writeWorkbook(file, sheets, { created: runDate(run), title: `recon dispute workbook ${run.period} ${team} (run ${run.id})` }, { maxRowsPerSheet: options.maxRowsPerSheet });
  await q.insertWorkbookIssue(db, { period: run.period, runId: run.id, kind: 'dispute', team, path: written.path, sha256: written.sha256, issuedAt: first ? (options.now ?? new Date()) : issuedAt });
  return { kind: 'dispute', team, path: written.path, sha256: written.sha256, run_id: run.id, period: run.period, issued_at: issuedAt.toISOString(), deadline: context.deadline };
}

type TopRequests = { rows: q.TopRequestRow[]; total: string };

/**
 * The allocation policy a run recorded, with defaults for what it left out; a record no policy
 * reads any more (an older shape) falls back to the default policy.
 */
export function runPolicy(run: q.WorkbookRun): AllocationPolicy {
  const parsed = policySchema.safeParse(run.policy ?? {});
  return parsed.success ? parsed.data : defaultPolicy;
}

// Teams whose top requests are found together: one pair of scans of the month per batch, and at
// most this many teams' candidates in memory at once.
const TEAMS_PER_SCAN = 25;

/**
 * Writes the dispute workbooks of several teams of one run, in order (as writeDisputeWorkbook
 * each). Their top requests are found a batch of teams at a time, so the month is scanned twice
 * per batch instead of once per team.
 */
export async function writeDisputeWorkbooks(
  storeOrDb: Store | Db,
  options: WorkbookOptions & { teams: readonly string[]; onProgress?: (progress: { written: number; total: number; step: string }) => void },
): Promise<(WorkbookFile & { run_id: string; period: string; issued_at: string; deadline: string })[]> {
  const db = dbOf(storeOrDb);
  const run = await resolveWorkbookRun(db, options.period, options.runId);
  const charged = new Set(await q.selectRunTeams(db, run.id));
  const written = [];
  for (let i = 0; i < options.teams.length; i += TEAMS_PER_SCAN) {
    const batch = options.teams.slice(i, i + TEAMS_PER_SCAN);
    const bucket = runPolicy(run).platform_bucket;
    const untagged = batch.includes(bucket) ? { team: bucket, providers: await q.selectUntaggedProvidersOf(db, run.id, bucket, bucket) } : undefined;
    options.onProgress?.({ written: written.length, total: options.teams.length, step: `finding the top requests of ${batch.length} team(s)` });
    const top = await q.selectTopRequestsOfTeams(db, run.id, parsePeriod(run.period), batch.filter((team) => charged.has(team)), TOP_REQUESTS_CAP, untagged);
    for (const team of batch) {
      options.onProgress?.({ written: written.length, total: options.teams.length, step: `writing ${team}` });
      written.push(await writeDisputeWorkbook(db, { ...options, period: run.period, runId: run.id, team, topRequests: top.get(team) }));
    }
    options.onProgress?.({ written: written.length, total: options.teams.length, step: 'done' });
  }
  return written;
}

/** The teams that get a dispute workbook for a run. */
export async function teamsOfRun(storeOrDb: Store | Db, period: string, runId?: string): Promise<{ runId: string; teams: string[] }> {
  const db = dbOf(storeOrDb);
  const run = await resolveWorkbookRun(db, period, runId);
  return { runId: run.id, teams: await q.selectRunTeams(db, run.id) };
}
