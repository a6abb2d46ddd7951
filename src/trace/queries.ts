import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { countingFileIds } from '../ingest/files-that-count.ts';
import { isRetrySql } from '../ingest/ledger-rollup.ts';
import { keyOwnerJoinSql, ownerCostCenterSql, ownerSourceSql, ownerTeamSql, type OwnerSource } from '../pricing/record-owner.ts';
import { priceRecordsWhere, type PricedAttempt } from '../pricing/price-request.ts';

type Db = Kysely<Database>;

/** A record's owner as the run resolves it (src/pricing/record-owner.ts), with the key map row it used. */
export interface AttemptOwnerRow {
  request_id: string;
  attempt: number | null;
  team: string | null;
  cost_center: string | null;
  source: OwnerSource | null;
  is_retry: boolean;
  environment: string | null;
  workflow: string | null;
  key_team: string | null;
  key_service: string | null;
  key_environment: string | null;
}

export async function selectAttemptOwners(db: Db, requestIds: readonly string[]): Promise<AttemptOwnerRow[]> {
  if (requestIds.length === 0) return [];
  const fileIds = await countingFileIds(db, 'ledger');
  const { rows } = await sql<AttemptOwnerRow>`
    select l.request_id, l.attempt,
           ${ownerTeamSql(sql.ref('l.team'), sql.ref('k.team'))} as team,
           ${ownerCostCenterSql(sql.ref('l.cost_center'), sql.ref('t.cost_center'))} as cost_center,
           ${ownerSourceSql(sql.ref('l.team'), sql.ref('k.team'))} as source,
           ${isRetrySql('l')} as is_retry, l.environment, l.workflow,
           k.team as key_team, k.service as key_service, k.environment as key_environment
    from ledger_record l
    ${keyOwnerJoinSql('l', 'k')}
    left join team_owner t on t.team = ${ownerTeamSql(sql.ref('l.team'), sql.ref('k.team'))}
    where l.ingested_file_id = any(${fileIds}::bigint[]) and l.request_id = any(${[...requestIds]}::text[])
    order by l.request_id, coalesce(l.attempt, 1)`.execute(db);
  return rows;
}

export interface CellKey {
  provider: string;
  model: string;
  token_category: string;
  service_tier: string;
  day: string;
}

/** What the run stored about one variance cell: its figures, its causes, and what its cube held. */
export interface RunCellRow extends CellKey {
  /** null: the run has no variance cell here (no invoice line and no ledger record, or not reconciled) */
  status: 'ok' | 'review' | 'breach' | null;
  invoice_amount: string | null;
  ledger_amount: string | null;
  variance_amount: string | null;
  unexplained: string | null;
  /** the causes the run attributed the cell's variance to (volume and price effects) */
  causes: { cause: string; effect: string; amount: string }[];
  /** priced cost of the cell's cube rows, and whether any of them are unpriced or failed */
  cube_cost: string;
  cube_unpriced: boolean;
  cube_failed: boolean;
}

export async function selectRunCells(db: Db, runId: string, cells: readonly CellKey[]): Promise<RunCellRow[]> {
  if (cells.length === 0) return [];
  const { rows } = await sql<RunCellRow>`
    with k as (
      select distinct * from jsonb_to_recordset(${JSON.stringify(cells)}::jsonb)
        as k(provider text, model text, token_category text, service_tier text, day text)
    )
    select k.provider, k.model, k.token_category, k.service_tier, k.day,
           v.status, v.invoice_amount::text as invoice_amount, v.ledger_amount::text as ledger_amount,
           v.variance_amount::text as variance_amount,
           (select sum(c.amount)::text from run_variance_cause c
             where c.run_id = ${runId}::bigint and c.cause = 'unexplained' and c.provider = k.provider and c.model = k.model
               and c.token_category = k.token_category and c.service_tier = k.service_tier and c.day = k.day::date) as unexplained,
           coalesce((select jsonb_agg(jsonb_build_object('cause', cc.cause, 'effect', cc.effect, 'amount', cc.amount::text) order by cc.cause, cc.effect)
             from run_variance_cell_cause cc
             where cc.run_id = ${runId}::bigint and cc.provider = k.provider and cc.model = k.model and cc.token_category = k.token_category
               and cc.service_tier = k.service_tier and cc.day = k.day::date), '[]'::jsonb) as causes,
           coalesce(q.cost, 0)::text as cube_cost, coalesce(q.unpriced, false) as cube_unpriced, coalesce(q.failed, false) as cube_failed
    from k
    left join run_variance_cell v
      on v.run_id = ${runId}::bigint and v.provider = k.provider and v.model = k.model and v.token_category = k.token_category
     and v.service_tier = k.service_tier and v.day = k.day::date
    left join lateral (
      select sum(c.cost) as cost, bool_or(c.unpriced_reason is not null) as unpriced, bool_or(c.status = 'error') as failed
      from run_cost_cube c
      where c.run_id = ${runId}::bigint and c.provider = k.provider and c.model = k.model and c.token_category = k.token_category
        and c.service_tier = k.service_tier and c.day = k.day::date
    ) q on true
    order by k.provider, k.model, k.token_category, k.service_tier, k.day`.execute(db);
  return rows;
}

/** The records of a team (by the owner rule: tag, else key map) with ts on one UTC day, priced. */
export function priceTeamDay(db: Db, team: string, day: string): Promise<PricedAttempt[]> {
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  const keyTeam = sql`(select k.team from gateway_key_owner k where k.gateway_key_id = l.gateway_key_id)`;
  return priceRecordsWhere(
    db,
    sql<boolean>`l.ts >= ${from.toISOString()}::timestamptz and l.ts < ${to.toISOString()}::timestamptz and ${ownerTeamSql(sql.ref('l.team'), keyTeam)} = ${team}`,
  );
}

export interface TraceRunRow {
  id: string;
  period: string;
  status: string;
  finished_at: Date | null;
  policy: unknown;
}

/** A run by id, or the period's current run (its latest succeeded one), with its recorded policy. */
export async function selectTraceRun(db: Db, which: { runId: string } | { period: string }): Promise<TraceRunRow | undefined> {
  const { rows } = await sql<TraceRunRow>`
    select id::text as id, period, status, finished_at, policy from run
    where ${'runId' in which ? sql`id = ${which.runId}::bigint` : sql`period = ${which.period} and status = 'succeeded'`}
    order by id desc limit 1`.execute(db);
  return rows[0];
}
