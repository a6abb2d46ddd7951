import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodDays, type Period } from '../period.ts';
import { canonicalModelOnDaySql } from '../pricing/model-names.ts';
import type { OriginLine, OwnerCharge } from './focus.ts';

type Db = Kysely<Database>;

// Read-only views of tables other modules own (invoice_line: ingest, run and run_allocation:
// run and allocate), kept here so the export adds no query to those modules while they change.

/** The run the export is of: the one asked for, else the period's current (latest succeeded) run. */
export async function selectExportRun(db: Db, period: Period, runId: string | undefined): Promise<{ id: string; period: string; status: string; inputs_hash: string | null; policy_version: string | null } | undefined> {
  const { rows } = await sql<{ id: string; period: string; status: string; inputs_hash: string | null; policy_version: string | null }>`
    select id::text, period, status, inputs_hash, policy->>'version' as policy_version from run
    where period = ${period} and (${runId ?? null}::bigint is null and status = 'succeeded' or id = ${runId ?? null}::bigint)
    order by id desc limit 1`.execute(db);
  return rows[0];
}

/** The period's invoice lines from files still loaded, models resolved as the allocation resolves them. */
export async function selectOriginLines(db: Db, period: Period): Promise<OriginLine[]> {
  const { first, last } = periodDays(period);
  const { rows } = await sql<OriginLine>`
    select il.id::text, il.provider, il.invoice_id, to_char(il.charge_date, 'YYYY-MM-DD') as charge_date, il.provider_model,
           case when il.model is null then null else ${canonicalModelOnDaySql(sql`il.provider`, sql`il.model`, sql`il.charge_date`)} end as model,
           il.token_category, il.service_tier, il.region, il.quantity::text as quantity, il.amount::text as amount, il.currency,
           il.line_type, il.sku, il.account_ref
    from invoice_line il join ingested_file f on f.id = il.ingested_file_id
    where f.status = 'loaded' and il.charge_date >= ${first}::date and il.charge_date <= ${last}::date
    order by il.id`.execute(db);
  return rows;
}

export async function selectOwnerCharges(db: Db, runId: string): Promise<OwnerCharge[]> {
  const { rows } = await sql<OwnerCharge>`
    select provider, invoice_id, team, cost_center, service, workflow, model, component, cause,
           basis::text as basis, amount::text as amount, rule
    from run_allocation where run_id = ${runId}::bigint
    order by provider, invoice_id, team, component`.execute(db);
  return rows;
}
