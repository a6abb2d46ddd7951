import { runFileIds } from '../ingest/files-that-count.ts';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodDays, type Period } from '../period.ts';
import { canonicalModelOnDaySql } from '../pricing/model-names.ts';
import type { OriginLine } from './focus.ts';
import { invoiceLinesOfRun } from '../fx/queries.ts';
import { commitmentLinesSql } from '../commitments/queries.ts';

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

/** The period's invoice lines of the files the run read, models resolved as the allocation resolves them. */
export async function selectOriginLines(db: Db, period: Period, runId: string): Promise<OriginLine[]> {
  const { first, last } = periodDays(period);
  const fileIds = await runFileIds(db, runId, 'invoice');
  const { rows } = await sql<OriginLine>`
    select il.id::text, il.provider, il.invoice_id, to_char(il.charge_date, 'YYYY-MM-DD') as charge_date, il.provider_model,
           case when il.model is null then null else ${canonicalModelOnDaySql(sql`il.provider`, sql`il.model`, sql`il.charge_date`)} end as model,
           il.token_category, il.service_tier, il.region, il.quantity::text as quantity, il.reporting_amount::text as amount, il.reporting_currency as currency,
           il.line_type, il.sku, il.account_ref, m.commitment_id
    from ${invoiceLinesOfRun(runId)} il
    left join (${commitmentLinesSql(period)}) m on m.line_id = il.id
    where il.ingested_file_id = any(${fileIds}::bigint[]) and il.charge_date >= ${first}::date and il.charge_date <= ${last}::date
    order by il.id`.execute(db);
  return rows;
}


// focus_export, focus_export_row: owned here.

export interface ExportedRow {
  export_id: string;
  run_id: string;
  origin_charge_id: string;
  owner_key: string;
  billed_cost: string;
  ratio: string;
  row: Record<string, string | null>;
}

/** Every row exported for the period so far, in export order. */
export async function selectExportedRows(db: Db, period: string): Promise<ExportedRow[]> {
  const { rows } = await sql<ExportedRow>`
    select r.export_id::text, e.run_id::text, r.origin_charge_id::text, r.owner_key, r.billed_cost::text, r.ratio::text, r.row
    from focus_export_row r join focus_export e on e.id = r.export_id
    where e.period = ${period} order by r.export_id, r.seq`.execute(db);
  return rows;
}

export async function selectLastExportRun(db: Db, period: string): Promise<string | undefined> {
  const { rows } = await sql<{ run_id: string }>`select run_id::text from focus_export where period = ${period} order by id desc limit 1`.execute(db);
  return rows[0]?.run_id;
}

export async function insertExport(db: Db, period: string, runId: string, rows: { origin_charge_id: string; owner_key: string; billed_cost: string; ratio: string; row: Record<string, string | null> }[]): Promise<string> {
  const { rows: made } = await sql<{ id: string }>`
    insert into focus_export (period, run_id, rows) values (${period}, ${runId}::bigint, ${rows.length}) returning id::text`.execute(db);
  const id = made[0]!.id;
  for (let i = 0; i < rows.length; i += 2000) {
    const payload = JSON.stringify(rows.slice(i, i + 2000).map((r, k) => ({ ...r, seq: i + k })));
    await sql`
      insert into focus_export_row (export_id, origin_charge_id, owner_key, billed_cost, ratio, row, seq)
      select ${id}::bigint, v.origin_charge_id::bigint, v.owner_key, v.billed_cost::numeric, v.ratio::numeric, v.row, v.seq
      from jsonb_to_recordset(${payload}::jsonb) as v(origin_charge_id text, owner_key text, billed_cost text, ratio text, row jsonb, seq integer)`.execute(db);
  }
  return id;
}
