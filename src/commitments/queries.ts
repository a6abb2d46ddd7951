import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodBounds, periodDays, type Period } from '../period.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import { canonicalModelOnDaySql } from '../pricing/model-names.ts';
import type { Commitment } from './commitment-file.ts';

// The commitment and run_commitment_hour tables (migration 0560) are this module's; every other
// stage reads them through the functions and SQL fragments here.

type Db = Kysely<Database>;

export interface ImportOutcome {
  id: string;
  outcome: 'added' | 'updated' | 'unchanged';
}

/** Stores the entries: a new id is added, a changed entry replaces its id, the same entry changes nothing. */
export async function upsertCommitments(db: Db, commitments: readonly Commitment[]): Promise<ImportOutcome[]> {
  if (commitments.length === 0) return [];
  const { rows: existing } = await sql<{ id: string; content_hash: string }>`
    select id, content_hash from commitment where id = any(${commitments.map((c) => c.id)}::text[])`.execute(db);
  const hashOf = new Map(existing.map((e) => [e.id, e.content_hash]));
  const outcomes: ImportOutcome[] = commitments.map((c) => ({ id: c.id, outcome: !hashOf.has(c.id) ? 'added' : hashOf.get(c.id) === c.content_hash ? 'unchanged' : 'updated' }));
  const changed = commitments.filter((c) => hashOf.get(c.id) !== c.content_hash);
  if (changed.length > 0) {
    await sql`
      insert into commitment (id, provider, kind, deployment, model, region, quantity, unit, price, price_per, capacity_per_hour,
                              effective_from, effective_to, bills_under, content_hash)
      select v.id, v.provider, v.kind, v.deployment, v.model, v.region, v.quantity::numeric, v.unit, v.price::numeric, v.price_per,
             v.capacity_per_hour::numeric, v.effective_from::timestamptz, v.effective_to::timestamptz,
             array(select jsonb_array_elements_text(v.bills_under)), v.content_hash
      from jsonb_to_recordset(${JSON.stringify(changed)}::jsonb) as v(id text, provider text, kind text, deployment text, model text, region text,
           quantity text, unit text, price text, price_per text, capacity_per_hour text, effective_from text, effective_to text, bills_under jsonb, content_hash text)
      on conflict (id) do update set
        provider = excluded.provider, kind = excluded.kind, deployment = excluded.deployment, model = excluded.model, region = excluded.region,
        quantity = excluded.quantity, unit = excluded.unit, price = excluded.price, price_per = excluded.price_per,
        capacity_per_hour = excluded.capacity_per_hour, effective_from = excluded.effective_from, effective_to = excluded.effective_to,
        bills_under = excluded.bills_under, content_hash = excluded.content_hash, imported_at = now()`.execute(db);
  }
  return outcomes;
}

export interface CommitmentRow extends Omit<Commitment, 'content_hash'> {
  imported_at: string;
}

export async function selectCommitments(db: Db, ids?: readonly string[]): Promise<CommitmentRow[]> {
  const { rows } = await sql<CommitmentRow>`
    select id, provider, kind, deployment, model, region, quantity::text as quantity, unit, price::text as price, price_per,
           capacity_per_hour::text as capacity_per_hour,
           to_char(effective_from at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as effective_from,
           to_char(effective_to at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as effective_to,
           bills_under, to_char(imported_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as imported_at
    from commitment ${ids ? sql`where id = any(${[...ids]}::text[])` : sql``}
    order by id`.execute(db);
  return rows;
}

/**
 * SQL (a select): the invoice lines of the period that a commitment bills under, one commitment
 * per line (`line_id`, `commitment_id`). A line is a commitment's when it is a flat line (type
 * fee, or a usage line that maps to no model or token category) of the commitment's provider,
 * its sku or provider model text is one the commitment `bills_under`, its day overlaps the
 * commitment's effective range, and its region (when both say one) is the commitment's. A line
 * two commitments could claim goes to the first by id.
 */
export function commitmentLinesSql(period: Period): RawBuilder<unknown> {
  const { first, last } = periodDays(period);
  return sql`
    select distinct on (il.id) il.id as line_id, c.id as commitment_id
    from invoice_line il
    join ingested_file f on f.id = il.ingested_file_id and ${fileCounts('f')}
    join commitment c on c.provider = il.provider
     and (il.sku = any(c.bills_under) or il.provider_model = any(c.bills_under))
     and (il.charge_date::timestamp at time zone 'UTC') < c.effective_to
     and ((il.charge_date + 1)::timestamp at time zone 'UTC') > c.effective_from
     and (c.region is null or il.region is null or il.region = c.region)
    where il.charge_date >= ${first}::date and il.charge_date <= ${last}::date
      and (il.line_type = 'fee' or (il.line_type = 'usage' and (il.model is null or il.token_category is null)))
    order by il.id, c.id`;
}

export interface CommitmentBillRow {
  commitment_id: string;
  provider: string;
  invoice_id: string;
  amount: string;
  lines: string;
}

/** What each invoice billed under each commitment in the period. */
export async function selectCommitmentBills(db: Db, period: Period): Promise<CommitmentBillRow[]> {
  const { rows } = await sql<CommitmentBillRow>`
    with matched as (${commitmentLinesSql(period)})
    select m.commitment_id, il.provider, il.invoice_id, sum(il.amount)::text as amount, count(*)::text as lines
    from matched m join invoice_line il on il.id = m.line_id
    group by 1, 2, 3 order by 1, 2, 3`.execute(db);
  return rows;
}

export interface CommitmentUsageRow {
  commitment_id: string;
  hour: string;
  team: string | null;
  cost_center: string | null;
  service: string | null;
  workflow: string | null;
  tokens: string;
  records: string;
}

/**
 * Ledger records that ran on each commitment, per hour and owner: the commitment's provider, its
 * deployment (the logged response or requested model name) when it names one, else its canonical
 * model, its region
 * (when it names one) and an instant in its effective range. Owners as the priced ledger gives
 * them (the record's team, else its gateway key owner's; cost center the record's, else the team's).
 */
export async function selectCommitmentUsage(db: Db, input: { period: Period; ledgerFileIds: readonly string[]; commitmentIds: readonly string[] }): Promise<CommitmentUsageRow[]> {
  if (input.commitmentIds.length === 0) return [];
  const { start, end } = periodBounds(input.period);
  const { rows } = await sql<CommitmentUsageRow>`
    select c.id as commitment_id,
           to_char(date_trunc('hour', r.ts at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:00:00.000"Z"') as hour,
           coalesce(r.team, gko.team) as team, coalesce(r.cost_center, t.cost_center) as cost_center, r.service, r.workflow,
           sum(r.input_tokens + r.output_tokens)::text as tokens, count(*)::text as records
    from ledger_record r
    join commitment c on c.provider = r.provider and c.id = any(${[...input.commitmentIds]}::text[])
     and r.ts >= c.effective_from and r.ts < c.effective_to
     and (c.region is null or r.region = c.region)
     -- the deployment when it names one (a deployment name says more than its base model), else the model
     and (case when c.deployment is not null then r.response_model = c.deployment or r.requested_model = c.deployment
               else r.response_model = c.model
                 or ${canonicalModelOnDaySql(sql`r.provider`, sql`r.response_model`, sql`(r.ts at time zone 'UTC')::date`)} = c.model end)
    left join gateway_key_owner gko on r.team is null and gko.gateway_key_id = r.gateway_key_id
    left join team_owner t on t.team = coalesce(r.team, gko.team)
    where r.ingested_file_id = any(${[...input.ledgerFileIds]}::bigint[])
      and r.ts >= ${start.toISOString()}::timestamptz and r.ts < ${end.toISOString()}::timestamptz
    group by 1, 2, 3, 4, 5, 6
    order by 1, 2, 3, 4, 5, 6`.execute(db);
  return rows;
}

export interface CommitmentHourText {
  commitment_id: string;
  provider: string;
  invoice_id: string;
  hour: string;
  amount: string;
  used: string;
  idle: string;
  tokens: string;
  records: number;
  utilisation: string;
}

export async function saveCommitmentHours(db: Db, runId: string, rows: readonly CommitmentHourText[]): Promise<void> {
  await sql`delete from run_commitment_hour where run_id = ${runId}::bigint`.execute(db);
  for (let i = 0; i < rows.length; i += 5000) {
    await sql`
      insert into run_commitment_hour (run_id, commitment_id, provider, invoice_id, hour, amount, used, idle, tokens, records, utilisation)
      select ${runId}::bigint, v.commitment_id, v.provider, v.invoice_id, v.hour::timestamptz, v.amount::numeric, v.used::numeric, v.idle::numeric,
             v.tokens::numeric, v.records, v.utilisation::numeric
      from jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 5000))}::jsonb) as v(commitment_id text, provider text, invoice_id text, hour text,
           amount text, used text, idle text, tokens text, records bigint, utilisation text)`.execute(db);
  }
}

/** A run's commitment hours, in commitment, hour and invoice order. */
export async function selectCommitmentHours(db: Db, runId: string): Promise<CommitmentHourText[]> {
  const { rows } = await sql<CommitmentHourText & { records: string }>`
    select commitment_id, provider, invoice_id, to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00.000"Z"') as hour,
           amount::text as amount, used::text as used, idle::text as idle, tokens::text as tokens, records::text as records, utilisation::text as utilisation
    from run_commitment_hour where run_id = ${runId}::bigint
    order by commitment_id, hour, provider, invoice_id`.execute(db);
  return rows.map((r) => ({ ...r, records: Number(r.records) }));
}

export interface CommitmentBandRow {
  commitment_id: string;
  /** UTC hour of day, 0-23 */
  band: number;
  hours: string;
  amount: string;
  used: string;
  idle: string;
  tokens: string;
  records: string;
}

/** A run's commitment hours summed per commitment and UTC hour of day (the Commitments sheet's bands). */
export async function selectCommitmentHourBands(db: Db, runId: string): Promise<CommitmentBandRow[]> {
  const { rows } = await sql<CommitmentBandRow & { band: string }>`
    select commitment_id, extract(hour from hour at time zone 'UTC')::int::text as band, count(distinct hour)::text as hours,
           sum(amount)::text as amount, sum(used)::text as used, sum(idle)::text as idle, sum(tokens)::text as tokens, sum(records)::text as records
    from run_commitment_hour where run_id = ${runId}::bigint
    group by 1, 2 order by 1, 2::int`.execute(db);
  return rows.map((r) => ({ ...r, band: Number(r.band) }));
}

/**
 * One hash over the commitments in effect during the period (a run's input: reimporting a changed
 * commitment changes the inputs hash), or null when none is.
 */
export async function selectCommitmentsHash(db: Db, period: Period): Promise<string | null> {
  const { start, end } = periodBounds(period);
  const { rows } = await sql<{ hash: string | null }>`
    select case when count(*) = 0 then null
                else encode(sha256(convert_to(string_agg(content_hash, ',' order by id), 'UTF8')), 'hex') end as hash
    from commitment where effective_from < ${end.toISOString()}::timestamptz and effective_to > ${start.toISOString()}::timestamptz`.execute(db);
  return rows[0]?.hash ?? null;
}

export interface CommittedCellRow {
  provider: string;
  model: string;
  service_tier: string;
  day: string;
  records: string;
  input: string;
  cached_input: string;
  cache_write_5m: string;
  cache_write_1h: string;
  output: string;
}

/**
 * The ledger quantity that ran on a commitment billed in the period, per variance cell's provider,
 * canonical model, tier and day, by token category (as the priced ledger splits it: input is
 * uncached input; request = records). Only commitments some invoice line of the period bills under.
 */
export async function selectCommittedCellQuantities(db: Db, input: { period: Period; ledgerFileIds: readonly string[] }): Promise<CommittedCellRow[]> {
  // most months bill no commitment: then the month's ledger is not read at all
  const { rows: billedIds } = await sql<{ id: string }>`select distinct commitment_id as id from (${commitmentLinesSql(input.period)}) m`.execute(db);
  if (billedIds.length === 0) return [];
  const { start, end } = periodBounds(input.period);
  const { rows } = await sql<CommittedCellRow>`
    with raw as (
      select r.provider, r.response_model, r.service_tier, (r.ts at time zone 'UTC')::date as day, count(*) as records,
             sum(r.input_tokens - r.cache_read_input_tokens - r.cache_write_5m_input_tokens - r.cache_write_1h_input_tokens) as input,
             sum(r.cache_read_input_tokens) as cached_input, sum(r.cache_write_5m_input_tokens) as cache_write_5m,
             sum(r.cache_write_1h_input_tokens) as cache_write_1h, sum(r.output_tokens) as output
      from ledger_record r
      where r.ingested_file_id = any(${[...input.ledgerFileIds]}::bigint[])
        and r.ts >= ${start.toISOString()}::timestamptz and r.ts < ${end.toISOString()}::timestamptz
        and exists (
          select 1 from commitment c
          where c.id = any(${billedIds.map((b) => b.id)}::text[]) and c.provider = r.provider and r.ts >= c.effective_from and r.ts < c.effective_to
            and (c.region is null or r.region = c.region)
            and (case when c.deployment is not null then r.response_model = c.deployment or r.requested_model = c.deployment
                      else r.response_model = c.model
                        or ${canonicalModelOnDaySql(sql`r.provider`, sql`r.response_model`, sql`(r.ts at time zone 'UTC')::date`)} = c.model end))
      group by 1, 2, 3, 4
    )
    select provider, ${canonicalModelOnDaySql(sql`provider`, sql`response_model`, sql`day`)} as model, service_tier, day::text as day,
           sum(records)::text as records, sum(input)::text as input, sum(cached_input)::text as cached_input,
           sum(cache_write_5m)::text as cache_write_5m, sum(cache_write_1h)::text as cache_write_1h, sum(output)::text as output
    from raw group by 1, 2, 3, 4 order by 1, 2, 3, 4`.execute(db);
  return rows;
}
