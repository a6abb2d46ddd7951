import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { money, toSql, ZERO } from '../money.ts';
import type { Period } from '../period.ts';
import { periodBounds, periodDays } from '../period.ts';
import { unionOverDayRanges } from '../db/planner-settings.ts';
import { canonicalModelSql } from '../pricing/model-names.ts';
import { commitmentLinesSql } from '../commitments/queries.ts';
import { compareText, type CauseRow, type CellAttribution, type CellInput, type HourlyVolume, type ProviderLines, type SampleIds } from './attribute.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import { aliasesInEffect } from '../pricing/card-bounds.ts';
import { invoiceLinesOfRun } from '../fx/queries.ts';

type Db = Kysely<Database>;

const num = (text: string | null | undefined) => (text === null || text === undefined ? ZERO : money(text));

/** The run's variance cells with the ledger evidence of each, aggregated from the cube in SQL. */
export async function selectCellInputs(db: Db, runId: string): Promise<CellInput[]> {
  const { rows } = await sql<{
    provider: string;
    model: string;
    token_category: string;
    service_tier: string;
    day: string;
    invoice_quantity: string;
    invoice_amount: string;
    ledger_quantity: string;
    ledger_amount: string;
    card_unit_price: string | null;
    volume_effect: string;
    price_effect: string;
    variance_amount: string;
    invoice_line_ids: string[];
    priced_quantity: string | null;
    unpriced_quantity: string | null;
    unpriced_records: string | null;
    failed_quantity: string | null;
    failed_records: string | null;
    partial_quantity: string | null;
    partial_records: string | null;
    partial_expected: string | null;
    complete_quantity: string | null;
    complete_records: string | null;
    fallbacks: { requested_model: string; quantity: string; records: string }[] | null;
  }>`
    with cube as (
      select provider, model, token_category, service_tier, day,
             sum(quantity) filter (where unpriced_reason is null) as priced_quantity,
             sum(quantity) filter (where unpriced_reason is not null) as unpriced_quantity,
             sum(records) filter (where unpriced_reason is not null) as unpriced_records,
             sum(quantity) filter (where unpriced_reason is null and status = 'error') as failed_quantity,
             sum(records) filter (where unpriced_reason is null and status = 'error') as failed_records,
             sum(quantity) filter (where unpriced_reason is null and status = 'partial') as partial_quantity,
             sum(records) filter (where unpriced_reason is null and status = 'partial') as partial_records,
             sum(quantity) filter (where unpriced_reason is null and status = 'ok') as complete_quantity,
             sum(records) filter (where unpriced_reason is null and status = 'ok') as complete_records
      from run_cost_cube where run_id = ${runId}::bigint
      group by 1, 2, 3, 4, 5
    ),
    -- Partial streams per (provider, model, tier, day) from their request rows, which every record
    -- has: a stream cut off before its last chunk logs no output at all, so it has no output row.
    partial_streams as (
      select provider, model, service_tier, day, team, service, workflow, sum(records) as records
      from run_cost_cube
      where run_id = ${runId}::bigint and token_category = 'request' and unpriced_reason is null and status = 'partial'
      group by 1, 2, 3, 4, 5, 6, 7
    ),
    -- what each owner's complete records of a cell average, so a partial stream is expected to be
    -- as large as its own workload's complete ones (not the cell's mix of workloads)
    complete_by_owner as (
      select provider, model, token_category, service_tier, day, team, service, workflow,
             sum(quantity) as quantity, sum(records) as records
      from run_cost_cube
      where run_id = ${runId}::bigint and token_category <> 'request' and unpriced_reason is null and status = 'ok'
      group by 1, 2, 3, 4, 5, 6, 7, 8
    ),
    partial_expected as (
      select c.provider, c.model, c.token_category, c.service_tier, c.day,
             sum(p.records) as records,
             sum(p.records * coalesce(o.quantity / nullif(o.records, 0), c.complete_quantity / nullif(c.complete_records, 0))) as expected
      from cube c
      join partial_streams p on (p.provider, p.model, p.service_tier, p.day) = (c.provider, c.model, c.service_tier, c.day)
      left join complete_by_owner o on (o.provider, o.model, o.token_category, o.service_tier, o.day) = (c.provider, c.model, c.token_category, c.service_tier, c.day)
        and (o.team, o.service, o.workflow) is not distinct from (p.team, p.service, p.workflow)
      where c.token_category <> 'request'
      group by 1, 2, 3, 4, 5
    ),
    fallback as (
      select provider, model, token_category, service_tier, day,
             jsonb_agg(jsonb_build_object('requested_model', requested_model, 'quantity', quantity::text, 'records', records::text) order by requested_model) as fallbacks
      from (
        select provider, model, token_category, service_tier, day, requested_model, sum(quantity) as quantity, sum(records) as records
        from run_cost_cube
        where run_id = ${runId}::bigint and unpriced_reason is null and requested_model is not null and requested_model <> model
        group by 1, 2, 3, 4, 5, 6
      ) f
      group by 1, 2, 3, 4, 5
    )
    select v.provider, v.model, v.token_category, v.service_tier, v.day::text as day,
           v.invoice_quantity::text, v.invoice_amount::text, v.ledger_quantity::text, v.ledger_amount::text,
           v.card_unit_price::text, v.volume_effect::text, v.price_effect::text, v.variance_amount::text,
           v.invoice_line_ids::text[] as invoice_line_ids,
           c.priced_quantity::text, c.unpriced_quantity::text, c.unpriced_records::text,
           c.failed_quantity::text, c.failed_records::text, c.partial_quantity::text,
           case when v.token_category = 'request' then c.partial_records else coalesce(ps.records, c.partial_records) end::text as partial_records,
           ps.expected::text as partial_expected,
           c.complete_quantity::text, c.complete_records::text, f.fallbacks
    from run_variance_cell v
    left join cube c using (provider, model, token_category, service_tier, day)
    left join fallback f using (provider, model, token_category, service_tier, day)
    left join partial_expected ps using (provider, model, token_category, service_tier, day)
    where v.run_id = ${runId}::bigint
    order by v.provider, v.model, v.token_category, v.service_tier, v.day`.execute(db);
  return rows.map((r) => ({
    provider: r.provider,
    model: r.model,
    token_category: r.token_category,
    service_tier: r.service_tier,
    day: r.day,
    invoice_quantity: num(r.invoice_quantity),
    invoice_amount: num(r.invoice_amount),
    ledger_quantity: num(r.ledger_quantity),
    ledger_amount: num(r.ledger_amount),
    card_unit_price: r.card_unit_price === null ? null : money(r.card_unit_price),
    volume_effect: num(r.volume_effect),
    price_effect: num(r.price_effect),
    variance_amount: num(r.variance_amount),
    invoice_line_ids: r.invoice_line_ids,
    priced_quantity: num(r.priced_quantity),
    unpriced: { quantity: num(r.unpriced_quantity), records: num(r.unpriced_records) },
    failed: { quantity: num(r.failed_quantity), records: num(r.failed_records) },
    partial: { quantity: num(r.partial_quantity), records: num(r.partial_records), ...(r.partial_expected === null ? {} : { expected: money(r.partial_expected) }) },
    complete: { quantity: num(r.complete_quantity), records: num(r.complete_records) },
    fallbacks: (r.fallbacks ?? []).map((f) => ({ requested_model: f.requested_model, quantity: money(f.quantity), records: money(f.records) })),
  }));
}

/** Invoice lines of the period that are not variance cells, rolled up per provider and kind. */
export async function selectProviderLines(db: Db, runId: string, period: Period): Promise<ProviderLines[]> {
  const { first, last } = periodDays(period);
  // A flat line a commitment bills under is that commitment's (src/commitments); a fee line that
  // names a SKU no commitment claims is a flat charge of its own; the other fee lines stay fees.
  const { rows } = await sql<{ provider: string; kind: ProviderLines['kind']; amount: string; quantity: string; ids: string[]; lines: string; labels: string[] | null }>`
    with committed as (${commitmentLinesSql(period)})
    select i.provider,
           case when exists (select 1 from committed m where m.line_id = i.id) then 'commitment'
                when i.line_type = 'fee' and i.sku is not null then 'flat'
                when i.line_type = 'usage' then 'unmapped' else i.line_type end as kind,
           sum(i.reporting_amount)::text as amount, coalesce(sum(i.quantity), 0)::text as quantity,
           array_agg(i.id::text order by i.id) as ids, count(*)::text as lines,
           (array_agg(distinct coalesce(i.sku, i.provider_model, i.invoice_id)) filter (where coalesce(i.sku, i.provider_model, i.invoice_id) is not null))[1:5] as labels
    from ${invoiceLinesOfRun(runId)} i
    join ingested_file f on f.id = i.ingested_file_id and ${fileCounts('f')}
    where i.charge_date between ${first}::date and ${last}::date
      and (i.line_type <> 'usage' or i.model is null or i.token_category is null)
    group by 1, 2
    order by 1, 2`.execute(db);
  return rows.map((r) => ({
    provider: r.provider,
    kind: r.kind,
    amount: money(r.amount),
    quantity: money(r.quantity),
    invoice_line_ids: r.ids,
    detail: `${r.lines} ${r.kind} line(s)${r.labels && r.labels.length > 0 ? `: ${r.labels.join(', ')}` : ''}`,
  }));
}

/**
 * Ledger records and tokens per provider, canonical model, tier and UTC hour of the period
 * (loaded files only). The month is grouped once on its raw columns; the few thousand groups then
 * resolve their model names (src/pricing/model-names.ts) and are formatted.
 */
export async function selectHourlyVolume(db: Db, input: { period: Period; ledgerFileIds: readonly string[] }): Promise<HourlyVolume[]> {
  const { start, end } = periodBounds(input.period);
  const { rows } = await sql<{ provider: string; model: string; service_tier: string; hour: string; records: string } & Record<'input' | 'cached_input' | 'cache_write_5m' | 'cache_write_1h' | 'output', string>>`
    select provider, ${canonicalModelSql(sql`provider`, sql`response_model`, sql`hour`)} as model, service_tier,
           to_char(hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as hour,
           sum(records)::text as records, sum(input)::text as input, sum(cached_input)::text as cached_input,
           sum(cache_write_5m)::text as cache_write_5m, sum(cache_write_1h)::text as cache_write_1h, sum(output)::text as output
    from (
      select l.provider, l.response_model, l.service_tier, date_bin('1 hour', l.ts, timestamptz '2000-01-01 00:00:00+00') as hour, count(*) as records,
             sum(greatest(l.input_tokens - l.cache_read_input_tokens - l.cache_write_5m_input_tokens - l.cache_write_1h_input_tokens, 0)) as input,
             sum(l.cache_read_input_tokens) as cached_input, sum(l.cache_write_5m_input_tokens) as cache_write_5m,
             sum(l.cache_write_1h_input_tokens) as cache_write_1h, sum(l.output_tokens) as output
      from ledger_record l
      where l.ts >= ${start.toISOString()}::timestamptz and l.ts < ${end.toISOString()}::timestamptz
        and l.ingested_file_id = any(${input.ledgerFileIds}::bigint[])
      group by 1, 2, 3, 4
    ) h
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4`.execute(db);
  return rows.map((r) => ({
    provider: r.provider,
    model: r.model,
    service_tier: r.service_tier,
    hour: r.hour,
    records: Number(r.records),
    quantities: { input: money(r.input), cached_input: money(r.cached_input), cache_write_5m: money(r.cache_write_5m), cache_write_1h: money(r.cache_write_1h), output: money(r.output) },
  }));
}

/**
 * Up to five request ids (in request id order, so reruns agree) per provider, day, canonical
 * model and kind of evidence: failed attempts, partial streams, fallbacks (the requested model,
 * alias applied, differs from the model that answered: `gpt-4o` answered by
 * `gpt-4o-2024-08-06` is no fallback), and records of models the run could not price.
 *
 * Aliases are hash-joined on (provider, name) with their validity clipped to the period, and only
 * records that are evidence of some kind go on to be ranked. The period is cut into day ranges
 * (one per parallel worker), each ranked on its own under a Parallel Append: a day belongs to
 * one range, so each range's first five per group are the month's, and the ranking, the costly
 * part, is shared between processes instead of left to the leader.
 */
export async function selectSampleIds(db: Db, input: { runId: string; period: Period; ledgerFileIds: readonly string[] }): Promise<SampleIds[]> {
  const { start, end } = periodBounds(input.period);
  const from = start.toISOString();
  const to = end.toISOString();
  const aliasesInPeriod = sql`(${aliasesInEffect(from, to)})`;
  const rankRange = (rangeFrom: string, rangeTo: string) => sql`
    select provider, day, model, kind, (array_agg(request_id order by request_id))[1:5] as ids
    from (
      select b.provider, b.day, b.model, b.request_id,
             unnest(array_remove(array[
               case b.status when 'error' then 'failed' when 'partial' then 'partial' end,
               case when b.is_fallback then 'fallback' end,
               case when u.model is not null then 'unpriced' end], null)) as kind
      from (
        select l.provider, (l.ts at time zone 'UTC')::date as day, coalesce(am.model, model_spelling(l.provider, l.response_model)) as model, l.request_id, l.status,
               l.requested_model is not null
                 and coalesce(aq.model, model_spelling(l.provider, l.requested_model)) <> coalesce(am.model, model_spelling(l.provider, l.response_model)) as is_fallback
        from ledger_record l
        left join ${aliasesInPeriod} am on am.provider = l.provider and am.alias = model_spelling(l.provider, l.response_model)
          and l.ts >= am.valid_from and l.ts < am.valid_to
        left join ${aliasesInPeriod} aq on aq.provider = l.provider and aq.alias = model_spelling(l.provider, l.requested_model)
          and l.ts >= aq.valid_from and l.ts < aq.valid_to
        where l.ts >= ${rangeFrom}::timestamptz and l.ts < ${rangeTo}::timestamptz
          and l.ingested_file_id = any(${input.ledgerFileIds}::bigint[])
      ) b
      left join (
        select distinct provider, day, model from run_cost_cube where run_id = ${input.runId}::bigint and unpriced_reason is not null
      ) u on u.provider = b.provider and u.day = b.day and u.model = b.model
      where b.status in ('error', 'partial') or b.is_fallback or u.model is not null
    ) evidence
    group by 1, 2, 3, 4`;
  const byRange = await unionOverDayRanges(db, from, to, rankRange);
  // No ORDER BY here: ordering the ranges' output would make PostgreSQL merge them in order
  // (a Merge Append, one range after another) instead of ranking them side by side.
  const { rows } = await sql<{ provider: string; day: string; model: string; kind: SampleIds['kind']; ids: string[] }>`
    select provider, day::text as day, model, kind, ids
    from (${byRange}) ranked`.execute(db);
  return rows.sort((a, b) => compareText(a.provider, b.provider) || compareText(a.day, b.day) || compareText(a.model, b.model) || compareText(a.kind, b.kind));
}

export async function deleteCauses(db: Db, runId: string): Promise<void> {
  await db.deleteFrom('run_variance_cause').where('run_id', '=', runId).execute();
  await db.deleteFrom('run_variance_cell_cause').where('run_id', '=', runId).execute();
}

const CHUNK = 500;

export async function insertCauseRows(db: Db, runId: string, rows: CauseRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('run_variance_cause')
      .values(
        rows.slice(i, i + CHUNK).map((r) => ({
          run_id: runId,
          cause: r.cause,
          provider: r.provider,
          model: r.model,
          token_category: r.token_category,
          service_tier: r.service_tier,
          day: r.day,
          amount: toSql(r.amount),
          quantity: r.quantity === null ? null : toSql(r.quantity),
          cells_affected: r.cells_affected,
          record_count: r.record_count.toFixed(0),
          sample_request_ids: r.sample_request_ids,
          invoice_line_ids: r.invoice_line_ids,
          rule: r.rule,
          detail: r.detail,
        })),
      )
      .execute();
  }
}

export async function insertCellCauses(db: Db, runId: string, rows: CellAttribution[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('run_variance_cell_cause')
      .values(
        rows.slice(i, i + CHUNK).map((r) => ({
          run_id: runId,
          provider: r.provider,
          model: r.model,
          token_category: r.token_category,
          service_tier: r.service_tier,
          day: r.day,
          cause: r.cause,
          effect: r.effect,
          amount: toSql(r.amount),
          quantity: toSql(r.quantity),
        })),
      )
      .execute();
  }
}

/** What the run's causes say about the cells at `keys`: each cause's amount by effect, and the unexplained residual. */
export async function selectCellCausesAt(
  db: Db,
  runId: string,
  keys: readonly { provider: string; model: string; token_category: string; service_tier: string; day: string }[],
): Promise<{ provider: string; model: string; token_category: string; service_tier: string; day: string; causes: { cause: string; effect: string; amount: string }[]; unexplained: string | null }[]> {
  if (keys.length === 0) return [];
  const { rows } = await sql<{ provider: string; model: string; token_category: string; service_tier: string; day: string; causes: { cause: string; effect: string; amount: string }[]; unexplained: string | null }>`
    with k as (select distinct * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(provider text, model text, token_category text, service_tier text, day text))
    select k.provider, k.model, k.token_category, k.service_tier, k.day,
           coalesce((select jsonb_agg(jsonb_build_object('cause', cc.cause, 'effect', cc.effect, 'amount', cc.amount::text) order by cc.cause, cc.effect)
             from run_variance_cell_cause cc
             where cc.run_id = ${runId}::bigint and cc.provider = k.provider and cc.model = k.model and cc.token_category = k.token_category
               and cc.service_tier = k.service_tier and cc.day = k.day::date), '[]'::jsonb) as causes,
           (select sum(c.amount)::text from run_variance_cause c
             where c.run_id = ${runId}::bigint and c.cause = 'unexplained' and c.provider = k.provider and c.model = k.model
               and c.token_category = k.token_category and c.service_tier = k.service_tier and c.day = k.day::date) as unexplained
    from k order by 1, 2, 3, 4, 5`.execute(db);
  return rows;
}
