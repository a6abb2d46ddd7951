import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodDays, type Period } from '../period.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import type { FxRateRow, FxReject } from './rates-file.ts';

// src/fx owns fx_rate and the one rule that turns an invoice line's billed amount into the
// reporting currency (invoiceLinesInReporting). Everything that reads invoice amounts for a
// run (variance, causes, allocation, workbooks, FOCUS export, run summary) reads them through it.

type Db = Kysely<Database>;

/** What Google Cloud's own rate is named as, where a line is converted with it. */
export const PROVIDER_RATE_SOURCE = 'provider currency_conversion_rate';
/** 1 / currency_conversion_rate does not end; the quotient is kept to 12 decimal places. */
const PROVIDER_RATE_SCALE = 12;

/** SQL: the reporting currency a run recorded among its inputs (USD when it recorded none). */
export function runReportingCurrency(runId: string): RawBuilder<string> {
  return sql<string>`(select coalesce(r.inputs->'settings'->>'reporting_currency', 'USD') from run r where r.id = ${runId}::bigint)`;
}

/**
 * SQL: every invoice_line row (all its columns, `amount` and `currency` as billed) with
 * - reporting_currency, reporting_amount: the billed amount when the line is billed in the
 *   reporting currency; else the amount times the fx_rate in effect on the charge date (the latest
 *   day rate of that month on or before the day, else the month's rate); else, for a USD reporting
 *   currency, the amount divided by the line's own currency_conversion_rate (Google Cloud), to
 *   12 decimal places; else null: no rate, never 1:1 (a run refuses such a month, see
 *   selectMissingRates);
 * - fx_rate (null when no conversion), fx_rate_id, fx_rate_date, fx_rate_source: the rate used.
 * Exact: no rounding per line; the period's total is rounded once where it is allocated.
 */
export function invoiceLinesInReporting(reporting: RawBuilder<string>): RawBuilder<unknown> {
  const provider = sql`(rc.code = 'USD' and fx.id is null and i.usd_conversion_rate > 0)`;
  return sql`(
    select i.*, rc.code as reporting_currency,
           case when i.currency = rc.code then i.amount
                when fx.id is not null then i.amount * fx.rate
                when ${provider} then round(i.amount / i.usd_conversion_rate, ${sql.lit(PROVIDER_RATE_SCALE)})
           end as reporting_amount,
           case when i.currency = rc.code then null
                when fx.id is not null then fx.rate
                when ${provider} then round(1 / i.usd_conversion_rate, ${sql.lit(PROVIDER_RATE_SCALE)})
           end as fx_rate,
           fx.id as fx_rate_id,
           case when fx.id is not null then fx.effective_date::text when ${provider} then i.charge_date::text end as fx_rate_date,
           case when fx.id is not null then fx.source when ${provider} then ${sql.lit(PROVIDER_RATE_SOURCE)} end as fx_rate_source
    from invoice_line i
    cross join (select ${reporting}::text as code) rc
    left join lateral (
      select r.id, r.rate, r.effective_date, r.source
      from fx_rate r
      where i.currency <> rc.code and r.reporting_currency = rc.code and r.currency = i.currency
        and r.effective_date <= i.charge_date
        and r.effective_date >= i.charge_date - (extract(day from i.charge_date)::int - 1)
      order by (r.basis = 'day') desc, r.effective_date desc
      limit 1
    ) fx on true
  )`;
}

/** invoiceLinesInReporting in the reporting currency the run recorded. */
export function invoiceLinesOfRun(runId: string): RawBuilder<unknown> {
  return invoiceLinesInReporting(runReportingCurrency(runId));
}

export interface MissingRate {
  currency: string;
  month: string;
  first_day: string;
  last_day: string;
  lines: string;
  billed_amount: string;
}

/** Currencies and months of the period's counting invoice lines that no rate converts. */
export async function selectMissingRates(db: Db, period: Period, reportingCurrency: string): Promise<MissingRate[]> {
  const { first, last } = periodDays(period);
  const { rows } = await sql<MissingRate>`
    select i.currency, to_char(i.charge_date, 'YYYY-MM') as month, min(i.charge_date)::text as first_day, max(i.charge_date)::text as last_day,
           count(*)::text as lines, sum(i.amount)::text as billed_amount
    from ${invoiceLinesInReporting(sql`${reportingCurrency}`)} i
    join ingested_file f on f.id = i.ingested_file_id and ${fileCounts('f')}
    where i.charge_date between ${first}::date and ${last}::date and i.reporting_amount is null
    group by 1, 2 order by 1, 2`.execute(db);
  return rows;
}

export interface UsedRate {
  id: string;
  currency: string;
  basis: string;
  effective_date: string;
  rate: string;
  source: string;
}

/** The fx_rate rows the period's counting invoice lines are converted with (a run's inputs). */
export async function selectRatesUsed(db: Db, period: Period, reportingCurrency: string): Promise<UsedRate[]> {
  const { first, last } = periodDays(period);
  const { rows } = await sql<UsedRate>`
    select r.id::text as id, r.currency, r.basis, r.effective_date::text as effective_date, r.rate::text as rate, r.source
    from fx_rate r
    where r.id in (
      select i.fx_rate_id from ${invoiceLinesInReporting(sql`${reportingCurrency}`)} i
      join ingested_file f on f.id = i.ingested_file_id and ${fileCounts('f')}
      where i.charge_date between ${first}::date and ${last}::date and i.fx_rate_id is not null)
    order by r.id`.execute(db);
  return rows;
}

export interface StoredRate {
  id: string;
  currency: string;
  reporting_currency: string;
  basis: 'day' | 'month';
  effective_date: string;
  rate: string;
  source: string;
  file_path: string;
  source_line: string | null;
}

export async function selectRates(db: Db, filter: { currency?: string | undefined } = {}): Promise<StoredRate[]> {
  const { rows } = await sql<StoredRate>`
    select id::text as id, currency, reporting_currency, basis, effective_date::text as effective_date, rate::text as rate, source,
           file_path, source_line::text as source_line
    from fx_rate
    where (${filter.currency ?? null}::text is null or currency = ${filter.currency ?? null}::text)
    order by reporting_currency, currency, effective_date, basis desc`.execute(db);
  return rows;
}

/**
 * Inserts the rows fx_rate lacks; returns, per input line, whether it was stored, was there
 * already with the same rate, or conflicts with a stored rate (which it never replaces).
 */
export async function insertRates(db: Db, path: string, rows: readonly FxRateRow[]): Promise<{ line: number; outcome: 'stored' | 'unchanged' | 'conflict'; stored_rate: string | null; stored_from: string | null }[]> {
  if (rows.length === 0) return [];
  const values = sql.join(rows.map((r) => sql`(${r.line}::bigint, ${r.currency}::text, ${r.reporting_currency}::text, ${r.basis}::text, ${r.effective_date}::date, ${r.rate}::numeric, ${r.source}::text)`));
  const { rows: out } = await sql<{ line: string; outcome: 'stored' | 'unchanged' | 'conflict'; stored_rate: string | null; stored_from: string | null }>`
    with input (line, currency, reporting_currency, basis, effective_date, rate, source) as (values ${values}),
    known as (
      select n.line, r.rate, r.file_path || ' line ' || coalesce(r.source_line::text, '?') as stored_from
      from input n join fx_rate r on r.reporting_currency = n.reporting_currency and r.currency = n.currency
        and r.basis = n.basis and r.effective_date = n.effective_date),
    inserted as (
      insert into fx_rate (currency, reporting_currency, basis, effective_date, rate, source, file_path, source_line)
      select n.currency, n.reporting_currency, n.basis, n.effective_date, n.rate, n.source, ${path}, n.line
      from input n where not exists (select 1 from known k where k.line = n.line)
      returning source_line)
    select n.line::text as line,
           case when k.line is null then 'stored' when k.rate = n.rate then 'unchanged' else 'conflict' end as outcome,
           k.rate::text as stored_rate, k.stored_from
    from input n left join known k on k.line = n.line
    order by n.line`.execute(db);
  return out.map((r) => ({ ...r, line: Number(r.line) }));
}

/** Rejected rate rows to rejected_row (no ingested file); a row rejected before is not added again. */
export async function insertRejectedRates(db: Db, path: string, rejects: readonly FxReject[]): Promise<void> {
  if (rejects.length === 0) return;
  const values = sql.join(rejects.map((r) => sql`(${r.line}::bigint, ${r.field}::text, ${r.value}::text, ${r.reason}::text, ${r.raw}::text)`));
  await sql`
    insert into rejected_row (ingested_file_id, file_path, line, field, value, reason, raw)
    select null, ${path}, n.line, n.field, n.value, n.reason, n.raw
    from (values ${values}) n (line, field, value, reason, raw)
    where not exists (
      select 1 from rejected_row x
      where x.ingested_file_id is null and x.file_path = ${path} and x.line = n.line and x.reason = n.reason and x.value is not distinct from n.value)`.execute(db);
}
