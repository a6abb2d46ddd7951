import type { Kysely } from 'kysely';
import { parsePolicy } from '../allocate/policy.ts';
import type { Database } from '../db/schema.ts';
import { Decimal, sum } from '../money.ts';
import { periodOf, type Period } from '../period.ts';
import { priceRequest } from '../pricing/price-request.ts';
import { selectRunWithPolicy } from '../run/queries.ts';
import { priceTeamDay, selectRunCells } from './queries.ts';
import { attemptCells, buildTrace, topRequests, type Trace, type TraceRun, type TopRequest } from './trace.ts';

type Db = Kysely<Database>;

function traceRun(row: Awaited<ReturnType<typeof selectRunWithPolicy>>): TraceRun | null {
  if (!row) return null;
  return { id: row.id, period: row.period, status: row.status, finished_at: row.finished_at ? new Date(row.finished_at).toISOString() : null, policy: parsePolicy(row.policy, `the policy recorded with run ${row.id}`) };
}

export type RunChoice = { runId: string } | { period?: Period };

/**
 * A request's trace: load its attempts (priced by the one price rule), their owners and the run's
 * cells, then build. The run is the one asked for, else the current run of the period asked for,
 * else of the period of the request's first attempt. Undefined: no ledger record has the id.
 */
export async function traceRequest(db: Db, requestId: string, choice: RunChoice = {}): Promise<Trace | undefined> {
  const attempts = await priceRequest(db, requestId);
  if (attempts.length === 0) return undefined;
  const runRow = 'runId' in choice ? await selectRunWithPolicy(db, { runId: choice.runId }) : await selectRunWithPolicy(db, { period: choice.period ?? periodOf(new Date(attempts[0]!.ts)) });
  const run = traceRun(runRow);
  const cells = run ? await selectRunCells(db, run.id, attempts.flatMap(attemptCells)) : [];
  const period = run?.period ?? ('period' in choice && choice.period ? choice.period : periodOf(new Date(attempts[0]!.ts)));
  return buildTrace({ requestId, period, attempts, run, cells });
}

export interface TeamDayTrace {
  team: string;
  day: string;
  top: number;
  total_requests: number;
  /** exact, unrounded, every request of the team that day */
  total_cost: string;
  requests: TopRequest[];
}

/** The most expensive requests of a team (tag, else key map) on a UTC day. */
export async function traceTeamDay(db: Db, team: string, day: string, top: number): Promise<TeamDayTrace> {
  const attempts = await priceTeamDay(db, team, day);
  const ranked = topRequests(attempts, team, top);
  const total = sum(attempts.map((a) => new Decimal(a.cost)));
  return { team, day, top, total_requests: ranked.total_requests, total_cost: total.toFixed(), requests: ranked.requests };
}
