import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { AliasLine, CardLine } from './rules.ts';
import { executeOn } from '../db/planner-settings.ts';
import { selectPeriodGroups } from '../ingest/ledger-rollup.ts';
import { priceSlots, pricingRegionSql, slotOfRecord, SLOT_CATEGORIES } from './price-slots.ts';
import { fileCounts } from '../ingest/files-that-count.ts';
import { PER_TOKEN, SERVICE_TIERS, sqlWords } from '../vocabulary.ts';
import { keyOwnerJoinSql, ownerCostCenterSql, ownerSourceSql, ownerTeamSql, teamOwnerJoinSql } from '../allocate/record-owner.ts';

type Db = Kysely<Database>;

export interface PricingScope {
  runId: string;
  /** period bounds [start, end) as ISO instants */
  start: string;
  end: string;
}

// The run's work table: a real (unlogged) table, because PostgreSQL runs CREATE TABLE AS in
// parallel but not INSERT ... SELECT, and scans of temporary tables are never parallel.
// The name is built from the run id only (digits, checked by priceLedger).
const workTable = (scope: PricingScope) => sql.raw(`pricing_work_${scope.runId}`);

const TIERS = sql.raw(sqlWords(SERVICE_TIERS));

/**
 * The run's stages hash month-sized inputs (record groups, the causes' per-range rankings): with
 * the default 4MB they spill to disk and sort. SET LOCAL lasts only for the run's transaction
 * (outside one it is a no-op).
 */
export async function raiseWorkMemForRun(db: Db): Promise<void> {
  await sql`select set_config('work_mem', '256MB', true)`.execute(db);
}

/**
 * Resolves the card lines in effect during the period into slots: per (provider, model, tier)
 * the time is cut at every line boundary, and each (segment, region, long-context band) gets the
 * one line per category that prices it, side by side. Retired lines are left out.
 */
export async function insertRunPriceCard(db: Db, scope: PricingScope): Promise<void> {
  const { runId, start, end } = scope;
  const columns = SLOT_CATEGORIES.flatMap((c) => [`${c}_price`, `${c}_line_id`, `${c}_version_id`]).join(', ');
  await sql`
    insert into run_price_card (run_id, slot_id, provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to, ${sql.raw(columns)})
    select ${runId}::bigint, slot_id, provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to, ${sql.raw(columns)}
    from (${priceSlots(start, end)}) s`.execute(db);
  // Fresh statistics so the planner hashes the (small) card instead of guessing its size.
  await sql`analyze run_price_card`.execute(db);
}

/**
 * The month's records, in two levels:
 * 1. record groups: the ledger roll-up of the loaded files (built at ingest, see
 *    src/ingest/ledger-rollup.ts): per file and UTC day, records grouped on every raw column the
 *    price and the cube depend on, with the time and input-size range of each group. Each group
 *    gets a time-segment number and a long-context band number; the segments are cut at every
 *    alias and price-slot boundary inside the period and the bands at every slot band edge, so
 *    all records of a group resolve to the same alias and the same slot, unless a boundary falls
 *    inside the group's ranges (a mid-day price change, a threshold the roll-up was not cut at).
 *    The days from the first to the last such day are grouped again from their records, cut at
 *    those boundaries, in day ranges under a Parallel Append;
 * 2. the groups are joined to their canonical model and price slot through a representative
 *    record time and input size, and regrouped by everything the cube and the price depend on
 *    (which also merges groups of several files and cuts).
 * Costs are not computed per record: within a group the price is one slot, so sums of tokens
 * times the slot's prices are exact and far cheaper. Which categories a record has tokens in is
 * part of the group key, so a record missing a price is still counted per record.
 */
export async function insertPricingWorkTable(db: Db, scope: PricingScope, ledgerFileIds: readonly string[]): Promise<void> {
  const { runId, start, end } = scope;
  const table = workTable(scope);
  const execute = executeOn(db);
  await sql`drop table if exists ${table}`.execute(db);
  const { rows } = await sql<{ segment_bounds: string[]; band_bounds: string[] }>`
    select (select coalesce(array_agg(b::text order by b), '{}')
            from (select valid_from as b from run_price_card where run_id = ${runId}::bigint
                  union select valid_to from run_price_card where run_id = ${runId}::bigint
                  union select effective_from from model_alias
                  union select effective_to from model_alias where effective_to is not null) x
            where b > ${start}::timestamptz and b < ${end}::timestamptz) as segment_bounds,
           (select coalesce(array_agg(b::text order by b), '{}')
            from (select band_lo as b from run_price_card where run_id = ${runId}::bigint
                  union select band_hi from run_price_card where run_id = ${runId}::bigint) x) as band_bounds`.execute(db);
  const { segment_bounds: segmentBounds, band_bounds: bandBounds } = rows[0]!;
  const groups = await selectPeriodGroups(execute, ledgerFileIds, start, end, { segments: segmentBounds, bands: bandBounds });
  const segmentOf = (column: string) => sql`width_bucket(${sql.ref(column)}, ${segmentBounds}::timestamptz[])`;
  const bandOf = (column: string) => sql`width_bucket(${sql.ref(column)} - 1, ${bandBounds}::bigint[])`;
  const firstLevel = sql`
    select r.day, r.provider, r.response_model, r.requested_model,
           r.service_tier, r.region, r.team, r.service, r.workflow, r.cost_center, r.environment, r.gateway_key_id, r.status,
           r.is_retry, r.price_card_version, r.has_estimate,
           ${segmentOf('r.first_ts')} as segment,
           ${bandOf('r.min_input_tokens')} as band,
           r.has_input, r.negative_uncached, r.has_cached_input, r.has_cache_write_5m, r.has_cache_write_1h, r.has_output,
           r.first_ts as at_ts,
           r.min_input_tokens as at_input_tokens,
           r.records, r.q_uncached, r.q_cached_input, r.q_cache_write_5m, r.q_cache_write_1h, r.q_output, r.q_reasoning, r.gateway_cost
    from (${groups}) r`;
  // The canonical model: the one resolution (resolve_model), joined set-based.
  const canonical = sql`coalesce(am.model, model_spelling(l.provider, l.response_model))`;
  const slot = slotOfRecord({
    slots: sql`run_price_card`,
    where: (s) => sql`${s}.run_id = ${runId}::bigint`,
    provider: sql`l.provider`,
    writtenModel: sql`l.response_model`,
    canonicalModel: canonical,
    serviceTier: sql`l.service_tier`,
    region: pricingRegionSql(sql`l.provider`, sql`l.response_model`, sql`l.region`),
    at: sql`l.at_ts`,
    inputTokens: sql`l.at_input_tokens`,
  }, 'ps');
  const slotIs = (column: string) => sql.raw(`ps.${column}`);
  await sql`
    create unlogged table ${table} as
    with g as (${firstLevel})
    select l.day,
           l.provider,
           ${canonical} as model,
           coalesce(aq.model, model_spelling(l.provider, l.requested_model)) as requested_model,
           l.service_tier, l.region, l.team, l.service, l.workflow, l.cost_center, l.environment, l.gateway_key_id, l.status,
           l.is_retry,
           l.price_card_version,
           l.has_estimate,
           ${slot.slotId} as slot_id,
           case when l.service_tier not in ${TIERS} then 'unknown_tier'
                when l.negative_uncached then 'negative_uncached_input' end as record_reason,
           sum(l.records)::bigint as records,
           coalesce(sum(l.records) filter (where
             (l.has_input and ${slotIs('input_price')} is null)
             or (l.has_cached_input and ${slotIs('cached_input_price')} is null)
             or (l.has_cache_write_5m and ${slotIs('cache_write_5m_price')} is null)
             or (l.has_cache_write_1h and ${slotIs('cache_write_1h_price')} is null)
             or (l.has_output and ${slotIs('output_price')} is null)), 0)::bigint as records_missing_price,
           coalesce(sum(l.q_uncached) filter (where l.has_input), 0) as q_input,
           coalesce(sum(l.records) filter (where l.has_input), 0)::bigint as n_input,
           sum(l.q_cached_input) as q_cached_input,
           coalesce(sum(l.records) filter (where l.has_cached_input), 0)::bigint as n_cached_input,
           sum(l.q_cache_write_5m) as q_cache_write_5m,
           coalesce(sum(l.records) filter (where l.has_cache_write_5m), 0)::bigint as n_cache_write_5m,
           sum(l.q_cache_write_1h) as q_cache_write_1h,
           coalesce(sum(l.records) filter (where l.has_cache_write_1h), 0)::bigint as n_cache_write_1h,
           sum(l.q_output) as q_output,
           coalesce(sum(l.records) filter (where l.has_output), 0)::bigint as n_output,
           sum(l.q_reasoning) as q_reasoning,
           sum(l.gateway_cost) as gateway_cost
    from g l
    left join model_alias am
      on am.provider = l.provider and am.alias = model_spelling(l.provider, l.response_model)
     and am.effective_from <= l.at_ts and (am.effective_to is null or l.at_ts < am.effective_to)
    left join model_alias aq
      on aq.provider = l.provider and aq.alias = model_spelling(l.provider, l.requested_model)
     and aq.effective_from <= l.at_ts and (aq.effective_to is null or l.at_ts < aq.effective_to)
    ${slot.joins}
    left join run_price_card ps on ps.run_id = ${runId}::bigint and ps.slot_id = ${slot.slotId}
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18`.execute(db);
}

export async function dropPricingWorkTable(db: Db, scope: PricingScope): Promise<void> {
  await sql`drop table if exists ${workTable(scope)}`.execute(db);
}

/**
 * Spreads the grouped records into one row per category (plus the request row), prices them
 * from their slot, attaches owners (record's team, else the gateway key's; cost center the
 * record's, else the team's), and writes the cube and the gateway-estimate comparison.
 */
export async function insertCostCubeAndGatewayEstimates(db: Db, scope: PricingScope): Promise<void> {
  const { runId } = scope;
  const table = workTable(scope);
  const perToken = sql.raw(PER_TOKEN);
  await sql`
    with priced as (
      select w.*, gko.team as key_team, c.category, c.records as cat_records, c.quantity,
             case when rr.reason is null then coalesce(c.cost, 0) else 0 end as cost,
             case when rr.reason is null then c.version_id end as card_version_id,
             rr.reason,
             c.gateway_cost as cat_gateway_cost
      from ${table} w
      left join run_price_card p on p.run_id = ${runId}::bigint and p.slot_id = w.slot_id
      ${keyOwnerJoinSql('w', 'gko')}
      cross join lateral (values
        ('input', w.n_input, w.q_input, w.q_input * p.input_price * ${perToken}, p.input_version_id, p.input_price is null, null::numeric),
        ('cached_input', w.n_cached_input, w.q_cached_input, w.q_cached_input * p.cached_input_price * ${perToken}, p.cached_input_version_id, p.cached_input_price is null, null::numeric),
        ('cache_write_5m', w.n_cache_write_5m, w.q_cache_write_5m, w.q_cache_write_5m * p.cache_write_5m_price * ${perToken}, p.cache_write_5m_version_id, p.cache_write_5m_price is null, null::numeric),
        ('cache_write_1h', w.n_cache_write_1h, w.q_cache_write_1h, w.q_cache_write_1h * p.cache_write_1h_price * ${perToken}, p.cache_write_1h_version_id, p.cache_write_1h_price is null, null::numeric),
        ('output', w.n_output, w.q_output,
          case when p.reasoning_output_price is null then w.q_output * p.output_price * ${perToken}
               else (w.q_output - w.q_reasoning) * p.output_price * ${perToken} + w.q_reasoning * p.reasoning_output_price * ${perToken} end,
          p.output_version_id, p.output_price is null, null::numeric),
        ('request', w.records, w.records::numeric, w.records * coalesce(p.request_price, 0),
          coalesce(p.request_version_id, p.input_version_id, p.output_version_id), false, w.gateway_cost)
      ) as c (category, records, quantity, cost, version_id, missing, gateway_cost)
      cross join lateral (
        select case
          when w.record_reason is not null then w.record_reason
          when w.slot_id is null then
            case when exists (select 1 from rate_card_line r
                              where r.provider = w.provider and r.retired_by_version_id is null
                                and (r.model = w.model or resolve_model(r.provider, r.model, r.effective_from) = w.model))
                 then 'no_card_in_effect' else 'no_card_for_model' end
          when c.missing then 'no_price_for_category'
        end as reason
      ) rr
      where c.records > 0
    ),
    cube as (
      insert into run_cost_cube (
        run_id, day, provider, model, requested_model, service_tier, token_category, region, team, service, workflow,
        cost_center, environment, gateway_key_id, status, is_retry, owner_source, card_version_id, unpriced_reason,
        records, quantity, cost, gateway_cost)
      select ${runId}::bigint, p.day, p.provider, p.model, p.requested_model, p.service_tier, p.category, p.region,
             ${ownerTeamSql(sql.ref('p.team'), sql.ref('p.key_team'))}, p.service, p.workflow,
             ${ownerCostCenterSql(sql.ref('p.cost_center'), sql.ref('t.cost_center'))}, p.environment,
             p.gateway_key_id, p.status, p.is_retry,
             ${ownerSourceSql(sql.ref('p.team'), sql.ref('p.key_team'))},
             p.card_version_id, p.reason, sum(p.cat_records), sum(p.quantity), sum(p.cost), sum(p.cat_gateway_cost)
      from priced p
      ${teamOwnerJoinSql('t', ownerTeamSql(sql.ref('p.team'), sql.ref('p.key_team')))}
      group by 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19
      returning 1
    )
    insert into run_gateway_estimate (
      run_id, day, provider, model, service_tier, gateway_card_version, recon_card_versions,
      records, records_with_estimate, unpriced_records, gateway_cost, recon_cost, drift)
    select ${runId}::bigint, p.day, p.provider, p.model, p.service_tier, p.price_card_version,
           string_agg(distinct v.card_version, ',' order by v.card_version),
           coalesce(sum(p.cat_records) filter (where p.category = 'request'), 0),
           coalesce(sum(p.cat_records) filter (where p.category = 'request' and p.has_estimate), 0),
           coalesce(sum(p.cat_records) filter (where p.category = 'request' and (p.reason is not null or p.records_missing_price > 0)), 0),
           sum(p.cat_gateway_cost),
           sum(p.cost),
           sum(p.cat_gateway_cost) - coalesce(sum(p.cost) filter (where p.has_estimate), 0)
    from priced p
    left join rate_card_version v on v.id = p.card_version_id
    group by p.day, p.provider, p.model, p.service_tier, p.price_card_version`.execute(db);
}

/** What pricing a run counted. */
export interface PricingCounts {
  records: string;
  priced: string;
  unpriced: string;
  untagged: string;
  /** priced ledger total, full precision decimal text */
  ledger_cost: string;
}

export async function selectPricingCounts(db: Db, scope: PricingScope): Promise<PricingCounts> {
  const { rows } = await sql<PricingCounts>`
    select coalesce(sum(records), 0)::text as records,
           coalesce(sum(records) filter (where record_reason is null and slot_id is not null), 0)
             - coalesce(sum(records_missing_price) filter (where record_reason is null and slot_id is not null), 0) as priced,
           coalesce(sum(records) filter (where record_reason is not null or slot_id is null), 0)
             + coalesce(sum(records_missing_price) filter (where record_reason is null and slot_id is not null), 0) as unpriced,
           (select coalesce(sum(records), 0) from run_cost_cube
             where run_id = ${scope.runId}::bigint and token_category = 'request' and team is null)::text as untagged,
           (select coalesce(sum(cost), 0) from run_cost_cube where run_id = ${scope.runId}::bigint)::text as ledger_cost
    from ${workTable(scope)}`.execute(db);
  const row = rows[0]!;
  return { records: String(row.records), priced: String(row.priced), unpriced: String(row.unpriced), untagged: String(row.untagged), ledger_cost: String(row.ledger_cost) };
}

/** Each (day, provider, model, tier, gateway card version) where the gateway's estimate differs from recon's price. */
export interface GatewayEstimateDrift {
  day: string;
  provider: string;
  model: string;
  service_tier: string;
  gateway_card_version: string | null;
  recon_card_versions: string | null;
  records: string;
  records_with_estimate: string;
  gateway_cost: string | null;
  recon_cost: string;
  drift: string | null;
}

/**
 * Record groups whose gateway estimate differs from recon's price (or that the gateway priced
 * with a card version other than recon's), largest absolute drift first. `minAbsDrift` hides
 * rounding noise (decimal text, default 0 = every difference).
 */
export async function selectGatewayEstimateDrift(db: Db, runId: string, options: { minAbsDrift?: string } = {}): Promise<GatewayEstimateDrift[]> {
  const { rows } = await sql<GatewayEstimateDrift>`
    select day, provider, model, service_tier, gateway_card_version, recon_card_versions,
           records, records_with_estimate, gateway_cost, recon_cost, drift
    from run_gateway_estimate
    where run_id = ${runId}::bigint and records_with_estimate > 0
      and (abs(drift) > ${options.minAbsDrift ?? '0'}::numeric
           or (gateway_card_version is not null and gateway_card_version is distinct from recon_card_versions))
    order by abs(drift) desc nulls last, day, provider, model`.execute(db);
  return rows;
}

// Rate card lines and versions ------------------------------------------------------------------

export interface NewCardLine {
  provider: string;
  model: string;
  service_tier: string;
  token_category: string;
  region: string;
  min_input_tokens: string;
  unit_price: string;
  effective_from: string;
  effective_to: string | null;
}

const linesJson = (lines: readonly NewCardLine[]): RawBuilder<unknown> => sql`${JSON.stringify(lines)}::jsonb`;
const LINES_RECORDSET = sql.raw(
  `(provider text, model text, service_tier text, token_category text, region text, min_input_tokens bigint, ` +
    `unit_price numeric, effective_from timestamptz, effective_to timestamptz)`,
);

export async function selectFileBySha(db: Db, kind: 'ratecard' | 'alias', sha256: string) {
  return db.selectFrom('ingested_file').selectAll().where('kind', '=', kind).where('sha256', '=', sha256).executeTakeFirst();
}

export async function insertIngestedFile(db: Db, file: { kind: 'ratecard' | 'alias'; format: string; path: string; sha256: string; bytes: number; rows: number; rejected: number }): Promise<string> {
  const row = await db
    .insertInto('ingested_file')
    .values({
      kind: file.kind, format: file.format, path: file.path, sha256: file.sha256, bytes: String(file.bytes),
      rows_read: String(file.rows + file.rejected), rows_stored: String(file.rows), rows_rejected: String(file.rejected),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function selectCardVersion(db: Db, cardVersion: string) {
  return db.selectFrom('rate_card_version').selectAll().where('card_version', '=', cardVersion).executeTakeFirst();
}

export async function insertCardVersion(db: Db, v: { cardVersion: string; source: string; fileId: string }): Promise<string> {
  const row = await db.insertInto('rate_card_version').values({ card_version: v.cardVersion, source: v.source, ingested_file_id: v.fileId }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * --supersedes: the old version's lines that overlap a new line of the same key are retired by the
 * new version; the parts of their ranges the new line does not cover stay in effect as trimmed
 * copies under the old version (so earlier months keep their price). Returns lines retired.
 */
export async function retireSupersededLines(db: Db, input: { oldVersionId: string; newVersionId: string; lines: readonly NewCardLine[] }): Promise<number> {
  // Two statements: the old lines must be retired before their trimmed copies exist, or the
  // exclusion constraint would see the copy overlap the line it came from.
  const retired = await sql<{ id: string }>`
    with n as (select * from jsonb_to_recordset(${linesJson(input.lines)}) as x ${LINES_RECORDSET})
    update rate_card_line o set retired_by_version_id = ${input.newVersionId}::bigint
    from n
    where o.card_version_id = ${input.oldVersionId}::bigint and o.retired_by_version_id is null
      and (o.provider, o.model, o.service_tier, o.token_category, o.region, o.min_input_tokens)
        = (n.provider, n.model, n.service_tier, n.token_category, coalesce(n.region, ''), coalesce(n.min_input_tokens, 0))
      and tstzrange(o.effective_from, o.effective_to, '[)') && tstzrange(n.effective_from, n.effective_to, '[)')
    returning o.id::text as id`.execute(db);
  if (retired.rows.length === 0) return 0;
  await sql`
    with n as (select * from jsonb_to_recordset(${linesJson(input.lines)}) as x ${LINES_RECORDSET}),
    hit as (
      select o.id, o.card_version_id, o.provider, o.model, o.service_tier, o.token_category, o.region, o.min_input_tokens,
             o.unit_price, o.effective_from, o.effective_to,
             min(n.effective_from) as new_from,
             case when bool_or(n.effective_to is null) then null else max(n.effective_to) end as new_to
      from rate_card_line o
      join n on (o.provider, o.model, o.service_tier, o.token_category, o.region, o.min_input_tokens)
              = (n.provider, n.model, n.service_tier, n.token_category, coalesce(n.region, ''), coalesce(n.min_input_tokens, 0))
            and tstzrange(o.effective_from, o.effective_to, '[)') && tstzrange(n.effective_from, n.effective_to, '[)')
      where o.card_version_id = ${input.oldVersionId}::bigint and o.retired_by_version_id = ${input.newVersionId}::bigint
      group by o.id
    )
    insert into rate_card_line (card_version_id, provider, model, service_tier, token_category, region, min_input_tokens, unit_price, effective_from, effective_to)
    select card_version_id, provider, model, service_tier, token_category, region, min_input_tokens, unit_price, effective_from, new_from
    from hit where effective_from < new_from
    union all
    select card_version_id, provider, model, service_tier, token_category, region, min_input_tokens, unit_price, new_to, effective_to
    from hit where new_to is not null and (effective_to is null or effective_to > new_to)`.execute(db);
  return retired.rows.length;
}

export async function insertCardLines(db: Db, versionId: string, lines: readonly NewCardLine[]): Promise<void> {
  await sql`
    insert into rate_card_line (card_version_id, provider, model, service_tier, token_category, region, min_input_tokens, unit_price, effective_from, effective_to)
    select ${versionId}::bigint, provider, model, service_tier, token_category, coalesce(region, ''), coalesce(min_input_tokens, 0), unit_price, effective_from, effective_to
    from jsonb_to_recordset(${linesJson(lines)}) as x ${LINES_RECORDSET}`.execute(db);
}

export interface CardOverlap {
  provider: string;
  model: string;
  service_tier: string;
  token_category: string;
  region: string;
  min_input_tokens: string;
  existing_version: string;
  existing_from: Date;
  existing_to: Date | null;
  new_from: Date;
  new_to: Date | null;
}

/** The existing in-effect lines that new lines would overlap (to explain a refused import). */
export async function selectCardOverlaps(db: Db, lines: readonly NewCardLine[], limit = 5): Promise<{ overlaps: CardOverlap[]; total: number }> {
  const { rows } = await sql<CardOverlap & { total: string }>`
    with n as (select * from jsonb_to_recordset(${linesJson(lines)}) as x ${LINES_RECORDSET})
    select o.provider, o.model, o.service_tier, o.token_category, o.region, o.min_input_tokens::text as min_input_tokens,
           v.card_version as existing_version, o.effective_from as existing_from, o.effective_to as existing_to,
           n.effective_from as new_from, n.effective_to as new_to, count(*) over () as total
    from rate_card_line o
    join n on (o.provider, o.model, o.service_tier, o.token_category, o.region, o.min_input_tokens)
            = (n.provider, n.model, n.service_tier, n.token_category, coalesce(n.region, ''), coalesce(n.min_input_tokens, 0))
          and tstzrange(o.effective_from, o.effective_to, '[)') && tstzrange(n.effective_from, n.effective_to, '[)')
    join rate_card_version v on v.id = o.card_version_id
    where o.retired_by_version_id is null
    order by o.provider, o.model, o.service_tier, o.token_category
    limit ${limit}`.execute(db);
  return { overlaps: rows, total: Number(rows[0]?.total ?? 0) };
}

export interface CardGap {
  provider: string;
  model: string;
  service_tier: string;
  token_category: string;
  region: string;
  min_input_tokens: string;
  gap_from: Date;
  gap_to: Date;
}

/** Holes between consecutive in-effect lines of one key (a time when that price is missing). */
export async function selectCardGaps(db: Db, options: { versionId?: string } = {}): Promise<CardGap[]> {
  const { rows } = await sql<CardGap>`
    with ordered as (
      select provider, model, service_tier, token_category, region, min_input_tokens, card_version_id, effective_from,
             lag(effective_to) over w as prev_to, lag(card_version_id) over w as prev_version
      from rate_card_line
      where retired_by_version_id is null
      window w as (partition by provider, model, service_tier, token_category, region, min_input_tokens order by effective_from)
    )
    select provider, model, service_tier, token_category, region, min_input_tokens::text as min_input_tokens,
           prev_to as gap_from, effective_from as gap_to
    from ordered
    where prev_to is not null and prev_to < effective_from
      and (${options.versionId ?? null}::bigint is null or card_version_id = ${options.versionId ?? null}::bigint
           or prev_version = ${options.versionId ?? null}::bigint)
    order by provider, model, service_tier, token_category, gap_from`.execute(db);
  return rows;
}

export interface LedgerCardGap {
  provider: string;
  model: string;
  service_tier: string;
  reason: 'no_card_for_model' | 'no_card_in_effect';
  first_seen: Date;
  last_seen: Date;
  records: string;
}

/** Models (and tiers) used in the ledger at times when no card line of theirs is in effect. */
export async function selectLedgerCardGaps(db: Db, range: { start: string | null; end: string | null }): Promise<LedgerCardGap[]> {
  const { rows } = await sql<LedgerCardGap>`
    with records as (
      select l.provider, coalesce(a.model, model_spelling(l.provider, l.response_model)) as model, l.service_tier, l.ts, l.response_model
      from ledger_record l
      left join model_alias a on a.provider = l.provider and a.alias = model_spelling(l.provider, l.response_model)
        and a.effective_from <= l.ts and (a.effective_to is null or l.ts < a.effective_to)
      where (${range.start}::timestamptz is null or l.ts >= ${range.start}::timestamptz)
        and (${range.end}::timestamptz is null or l.ts < ${range.end}::timestamptz)
        and l.ingested_file_id in (select f.id from ingested_file f where f.kind = 'ledger' and ${fileCounts('f')})
    )
    select r.provider, r.model, r.service_tier,
           case when exists (select 1 from rate_card_line c where c.provider = r.provider and c.model = r.model and c.retired_by_version_id is null)
                then 'no_card_in_effect' else 'no_card_for_model' end as reason,
           min(r.ts) as first_seen, max(r.ts) as last_seen, count(*)::text as records
    from records r
    where not exists (
      -- priced by the one rule's names: the record's own spelling, or its canonical model directly or through an alias
      select 1 from rate_card_line c
      where c.provider = r.provider and c.service_tier = r.service_tier
        and (model_spelling(c.provider, c.model) in (r.model, model_spelling(r.provider, r.response_model))
             or resolve_model(c.provider, c.model, r.ts) = r.model)
        and c.retired_by_version_id is null and c.effective_from <= r.ts and (c.effective_to is null or r.ts < c.effective_to))
    group by 1, 2, 3, 4
    order by count(*) desc, 1, 2, 3`.execute(db);
  return rows;
}

export interface CardVersionSummary {
  id: string;
  card_version: string;
  source: string;
  imported_at: Date;
  file_path: string | null;
  lines: string;
  retired_lines: string;
  models: string;
  effective_from: Date | null;
  effective_to: Date | null;
  open_ended: boolean;
}

export async function selectCardVersions(db: Db): Promise<CardVersionSummary[]> {
  const { rows } = await sql<CardVersionSummary>`
    select v.id::text as id, v.card_version, v.source, v.imported_at, f.path as file_path,
           count(l.id)::text as lines,
           count(l.id) filter (where l.retired_by_version_id is not null)::text as retired_lines,
           count(distinct (l.provider, l.model))::text as models,
           min(l.effective_from) as effective_from,
           max(l.effective_to) as effective_to,
           coalesce(bool_or(l.effective_to is null), false) as open_ended
    from rate_card_version v
    left join ingested_file f on f.id = v.ingested_file_id
    left join rate_card_line l on l.card_version_id = v.id
    group by v.id, f.path
    order by v.imported_at, v.id`.execute(db);
  return rows;
}

export interface CardDiffRow {
  provider: string;
  model: string;
  service_tier: string;
  token_category: string;
  region: string;
  min_input_tokens: string;
  change: 'added' | 'removed' | 'changed';
  old_price: string | null;
  new_price: string | null;
}

/**
 * What changed from version A to version B by key (provider, model, tier, category, region,
 * long-context threshold), comparing each version's latest line per key (retired or not: the
 * diff is about what each card said).
 */
export async function selectCardDiff(db: Db, versionA: string, versionB: string): Promise<{ rows: CardDiffRow[]; unchanged: number }> {
  const { rows } = await sql<CardDiffRow & { unchanged: string }>`
    with a as (
      select distinct on (provider, model, service_tier, token_category, region, min_input_tokens) *
      from rate_card_line where card_version_id = ${versionA}::bigint
      order by provider, model, service_tier, token_category, region, min_input_tokens, effective_from desc
    ),
    b as (
      select distinct on (provider, model, service_tier, token_category, region, min_input_tokens) *
      from rate_card_line where card_version_id = ${versionB}::bigint
      order by provider, model, service_tier, token_category, region, min_input_tokens, effective_from desc
    ),
    joined as (
      select coalesce(a.provider, b.provider) as provider, coalesce(a.model, b.model) as model,
             coalesce(a.service_tier, b.service_tier) as service_tier, coalesce(a.token_category, b.token_category) as token_category,
             coalesce(a.region, b.region) as region, coalesce(a.min_input_tokens, b.min_input_tokens)::text as min_input_tokens,
             case when a.id is null then 'added' when b.id is null then 'removed'
                  when a.unit_price <> b.unit_price then 'changed' else 'same' end as change,
             a.unit_price::text as old_price, b.unit_price::text as new_price
      from a full join b
        on (a.provider, a.model, a.service_tier, a.token_category, a.region, a.min_input_tokens)
         = (b.provider, b.model, b.service_tier, b.token_category, b.region, b.min_input_tokens)
    )
    select *, (select count(*) from joined where change = 'same')::text as unchanged
    from joined where change <> 'same'
    order by provider, model, service_tier, token_category, region, min_input_tokens::bigint`.execute(db);
  const unchanged = Number(rows[0]?.unchanged ?? 0);
  return { rows: rows.map(({ unchanged: _u, ...row }) => row), unchanged };
}

/** Every line of the card (retired ones too, flagged), e.g. to price one record in TypeScript. */
export async function selectCardLines(db: Db, options: { includeRetired?: boolean } = {}): Promise<CardLine[]> {
  let query = db.selectFrom('rate_card_line').select([
    'id', 'card_version_id', 'provider', 'model', 'service_tier', 'token_category', 'region', 'min_input_tokens', 'unit_price', 'effective_from', 'effective_to',
  ]);
  if (!options.includeRetired) query = query.where('retired_by_version_id', 'is', null);
  const rows = await query.orderBy('id').execute();
  return rows.map((r) => ({ ...r, card_version_id: String(r.card_version_id), region: r.region, min_input_tokens: String(r.min_input_tokens) }));
}

// Model aliases ---------------------------------------------------------------------------------

export interface NewAlias {
  provider: string;
  alias: string;
  model: string;
  effective_from: string | null;
  effective_to: string | null;
}

const ALIAS_RECORDSET = sql.raw(`(provider text, alias text, model text, effective_from timestamptz, effective_to timestamptz)`);

/** Inserts aliases; where one overlaps an existing alias of the same name the existing one wins. Returns rows inserted. */
export async function insertAliasesKeepingExisting(db: Db, aliases: readonly NewAlias[], source: string): Promise<number> {
  if (aliases.length === 0) return 0;
  const { rows } = await sql<{ n: string }>`
    with ins as (
      insert into model_alias (provider, alias, model, effective_from, effective_to, source)
      select provider, alias, model, coalesce(effective_from, '-infinity'), effective_to, ${source}
      from jsonb_to_recordset(${JSON.stringify(aliases)}::jsonb) as x ${ALIAS_RECORDSET}
      on conflict do nothing
      returning 1
    )
    select count(*)::text as n from ins`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/**
 * A user's alias file wins over built-in (and price-map) aliases of the same name from its
 * effective_from on: those end where the user's begins (or go, when they start later).
 */
export async function replaceAliases(db: Db, aliases: readonly NewAlias[], source: string): Promise<{ inserted: number; replaced: number }> {
  const generated = sql.raw(`(a.source = 'builtin' or a.source like 'litellm:%')`);
  const overlapping = sql.raw(`tstzrange(a.effective_from, a.effective_to, '[)') && tstzrange(coalesce(n.effective_from, '-infinity'), n.effective_to, '[)')`);
  const { rows } = await sql<{ replaced: string }>`
    with n as (select * from jsonb_to_recordset(${JSON.stringify(aliases)}::jsonb) as x ${ALIAS_RECORDSET})
    delete from model_alias a using n
    where a.provider = n.provider and a.alias = n.alias and ${generated} and ${overlapping}
      and a.effective_from >= coalesce(n.effective_from, '-infinity')
    returning a.id`.execute(db);
  const trimmed = await sql<{ id: string }>`
    with n as (select * from jsonb_to_recordset(${JSON.stringify(aliases)}::jsonb) as x ${ALIAS_RECORDSET})
    update model_alias a set effective_to = n.effective_from
    from n
    where a.provider = n.provider and a.alias = n.alias and ${generated} and ${overlapping}
      and a.effective_from < n.effective_from
    returning a.id`.execute(db);
  await sql`
    insert into model_alias (provider, alias, model, effective_from, effective_to, source)
    select provider, alias, model, coalesce(effective_from, '-infinity'), effective_to, ${source}
    from jsonb_to_recordset(${JSON.stringify(aliases)}::jsonb) as x ${ALIAS_RECORDSET}`.execute(db);
  return { inserted: aliases.length, replaced: rows.length + trimmed.rows.length };
}

export interface AliasOverlap {
  provider: string;
  alias: string;
  existing_model: string;
  existing_source: string;
  existing_from: Date;
  existing_to: Date | null;
}

export async function selectAliasOverlaps(db: Db, aliases: readonly NewAlias[]): Promise<AliasOverlap[]> {
  const { rows } = await sql<AliasOverlap>`
    with n as (select * from jsonb_to_recordset(${JSON.stringify(aliases)}::jsonb) as x ${ALIAS_RECORDSET})
    select a.provider, a.alias, a.model as existing_model, a.source as existing_source, a.effective_from as existing_from, a.effective_to as existing_to
    from model_alias a join n on a.provider = n.provider and a.alias = n.alias
     and tstzrange(a.effective_from, a.effective_to, '[)') && tstzrange(coalesce(n.effective_from, '-infinity'), n.effective_to, '[)')
    where a.source <> 'builtin' and a.source not like 'litellm:%'
    limit 5`.execute(db);
  return rows;
}

export interface AliasRow {
  provider: string;
  alias: string;
  model: string;
  effective_from: Date | string;
  effective_to: Date | null;
  source: string;
}

export async function selectAliases(db: Db, filter: { provider?: string; source?: string } = {}): Promise<AliasRow[]> {
  const { rows } = await sql<AliasRow>`
    select provider, alias, model, case when effective_from = '-infinity' then null else effective_from end as effective_from, effective_to, source
    from model_alias
    where (${filter.provider ?? null}::text is null or provider = ${filter.provider ?? null}::text)
      and (${filter.source ?? null}::text is null or source = ${filter.source ?? null}::text)
    order by provider, alias, effective_from`.execute(db);
  return rows;
}

export async function selectResolvedModel(db: Db, provider: string, name: string, at: Date): Promise<string> {
  const { rows } = await sql<{ model: string }>`select resolve_model(${provider}, ${name}, ${at}::timestamptz) as model`.execute(db);
  return rows[0]!.model;
}

/** Every alias with its range, e.g. to resolve names in TypeScript (rules.canonicalModel). */
export async function selectAliasLines(db: Db): Promise<AliasLine[]> {
  const { rows } = await sql<{ provider: string; alias: string; model: string; effective_from: Date | string; effective_to: Date | null }>`
    select provider, alias, model, effective_from, effective_to from model_alias order by provider, alias, effective_from`.execute(db);
  // '-infinity' comes back as a string (or an invalid Date) on some drivers
  const from = (v: Date | string) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v : new Date(-8.64e15));
  return rows.map((r) => ({ provider: r.provider, alias: r.alias, model: r.model, effective_from: from(r.effective_from), effective_to: r.effective_to }));
}

/** The run's cost cube at the cells `keys`: priced cost, and whether any row is unpriced or a failed attempt. */
export async function selectCubeCellsAt(
  db: Db,
  runId: string,
  keys: readonly { provider: string; model: string; token_category: string; service_tier: string; day: string }[],
): Promise<{ provider: string; model: string; token_category: string; service_tier: string; day: string; cost: string; unpriced: boolean; failed: boolean }[]> {
  if (keys.length === 0) return [];
  const { rows } = await sql<{ provider: string; model: string; token_category: string; service_tier: string; day: string; cost: string; unpriced: boolean; failed: boolean }>`
    with k as (select distinct * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(provider text, model text, token_category text, service_tier text, day text))
    select k.provider, k.model, k.token_category, k.service_tier, k.day,
           sum(c.cost)::text as cost, bool_or(c.unpriced_reason is not null) as unpriced, bool_or(c.status = 'error') as failed
    from k join run_cost_cube c
      on c.run_id = ${runId}::bigint and c.provider = k.provider and c.model = k.model and c.token_category = k.token_category
     and c.service_tier = k.service_tier and c.day = k.day::date
    group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5`.execute(db);
  return rows;
}
