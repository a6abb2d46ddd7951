import crypto from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodBounds, type Period } from '../period.ts';
import { CHECKLIST_FIELDS } from './checklist.ts';

/** A gateway key owner row, from the imported key map or from an --owners file. */
export interface KeyOwner {
  gateway_key_id: string;
  team: string;
  service: string | null;
  environment: string | null;
}

type Db = Kysely<Database>;

// The SQL condition under which a record lacks each checklist field (columns of the audit
// table). Recon's own text, never user input: safe for sql.raw.
const MISSING_SQL: Record<(typeof CHECKLIST_FIELDS)[number]['field'], string> = {
  team: 'team is null',
  service: 'service is null',
  cost_center: 'cost_center is null and team_cost_center is null',
  workflow: 'workflow is null',
  actual_model: "btrim(response_model) = ''",
  token_counts:
    "(input_tokens + output_tokens = 0 and status = 'ok') or cache_read_input_tokens + cache_write_5m_input_tokens + cache_write_1h_input_tokens > input_tokens or reasoning_output_tokens > output_tokens",
  retry_linkage: 'attempt > 1 and original_request_id is null',
  card_version: 'price_card_version is null',
  correlation_id: "btrim(request_id) = '' or (provider_response_id is null and trace_id is null)",
  timestamp: 'ts is null',
  environment: 'environment is null',
  gateway_key: 'gateway_key_id is null',
};

const PRODUCTION = "('production', 'prod')";

function keyOwnersRelation(keyOwners: KeyOwner[] | undefined): RawBuilder<unknown> {
  if (!keyOwners) return sql`select gateway_key_id, team, service, environment from gateway_key_owner`;
  return sql`select gateway_key_id, team, service, environment
    from jsonb_to_recordset(${JSON.stringify(keyOwners)}::jsonb) as k(gateway_key_id text, team text, service text, environment text)`;
}

/**
 * Materialises the period's ledger, one row per record, with what the audit needs: the checklist
 * columns, the owner from the tag or the key map, and the record's cost priced with the rate
 * card line in effect at its timestamp (alias applied; per 1M tokens, per request for `request`).
 * A temporary table dropped at the end of the transaction, so every finding reads the month once.
 *
 * The card is first cut into price slots (per provider, model and tier: a time segment in which
 * no line changes × a region × a long-context band, with each category's line side by side), so
 * each record joins exactly one slot through a hash join: the month is scanned once and the work
 * grows linearly, with no per-record, per-category index lookups.
 */
async function createAuditTable(db: Db, table: string, period: Period, keyOwners: KeyOwner[] | undefined): Promise<void> {
  const { start, end } = periodBounds(period);
  const from = start.toISOString();
  const to = end.toISOString();
  const slotColumns = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output', 'request']
    .map((c) => `max(unit_price) filter (where token_category = '${c}') as ${c}_price, max(card_version) filter (where token_category = '${c}') as ${c}_version`)
    .join(', ');
  // Each category's term exactly as quantity × price / (1M, or 1 for `request`), null when the
  // quantity is 0 or no line prices it.
  const term = (quantity: string, category: string) =>
    `case when ${quantity} > 0 then ${quantity} * s.${category}_price / ${category === 'request' ? 1 : 1000000} end`;
  const quantities: [string, string][] = [
    ['input', '(r.input_tokens - r.cache_read_input_tokens - r.cache_write_5m_input_tokens - r.cache_write_1h_input_tokens)'],
    ['cached_input', 'r.cache_read_input_tokens'],
    ['cache_write_5m', 'r.cache_write_5m_input_tokens'],
    ['cache_write_1h', 'r.cache_write_1h_input_tokens'],
    ['output', 'r.output_tokens'],
  ];
  const cost = sql.raw([...quantities.map(([c, q]) => `coalesce(${term(q, c)}, 0)`), `coalesce(${term('1::bigint', 'request')}, 0)`].join(' + '));
  const unpriced = sql.raw(quantities.map(([c, q]) => `(${q} > 0 and s.${c}_price is null)`).join(' or '));
  const versions = sql.raw(
    `array(select distinct v from unnest(array[${[...quantities.map(([c, q]) => `case when ${q} > 0 then s.${c}_version end`), 's.request_version'].join(', ')}]) as v where v is not null order by v)`,
  );
  await sql`
    create temp table ${sql.id(table)} on commit drop as
    with keys as (${keyOwnersRelation(keyOwners)}),
    lines as materialized (
      select cl.provider, cl.model, cl.service_tier, cl.token_category, cl.region, cl.min_input_tokens, cl.unit_price,
             cl.effective_from, cl.effective_to, cv.card_version
      from rate_card_line cl join rate_card_version cv on cv.id = cl.card_version_id
      where cl.retired_by_version_id is null
        and cl.effective_from < ${to}::timestamptz and (cl.effective_to is null or cl.effective_to > ${from}::timestamptz)),
    bounds as (
      select provider, model, service_tier, greatest(effective_from, ${from}::timestamptz) as b from lines
      union
      select provider, model, service_tier, least(coalesce(effective_to, 'infinity'), ${to}::timestamptz) from lines),
    segments as (
      select provider, model, service_tier, b as valid_from, lead(b) over (partition by provider, model, service_tier order by b) as valid_to
      from bounds),
    regions as (
      select provider, model, service_tier, region from lines union select provider, model, service_tier, '' from lines),
    thresholds as (
      select provider, model, service_tier, min_input_tokens as t from lines union select provider, model, service_tier, 0 from lines),
    bands as (
      -- a line applies from its threshold up (min_input_tokens <= input tokens)
      select provider, model, service_tier, case when t = 0 then -9223372036854775808 else t end as band_lo,
             coalesce(lead(t) over (partition by provider, model, service_tier order by t), 9223372036854775807) as band_hi
      from thresholds),
    picked as (
      select distinct on (g.provider, g.model, g.service_tier, r.region, b.band_lo, g.valid_from, l.token_category)
             g.provider, g.model, g.service_tier, r.region, b.band_lo, b.band_hi, g.valid_from, g.valid_to,
             l.token_category, l.unit_price, l.card_version
      from segments g
      join regions r on (r.provider, r.model, r.service_tier) = (g.provider, g.model, g.service_tier)
      join bands b on (b.provider, b.model, b.service_tier) = (g.provider, g.model, g.service_tier)
      join lines l on l.provider = g.provider and l.model = g.model and l.service_tier = g.service_tier
        and l.region in ('', r.region) and l.min_input_tokens <= greatest(b.band_lo, 0)
        and l.effective_from <= g.valid_from and coalesce(l.effective_to, 'infinity') >= g.valid_to
      where g.valid_to is not null
      order by g.provider, g.model, g.service_tier, r.region, b.band_lo, g.valid_from, l.token_category, l.region desc, l.min_input_tokens desc),
    slots as (
      select provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to, ${sql.raw(slotColumns)}
      from picked group by provider, model, service_tier, region, band_lo, band_hi, valid_from, valid_to),
    slot_regions as (select distinct provider, model, service_tier, region from slots)
    select r.ts, r.request_id, r.provider, r.response_model, r.model, r.requested_model, r.requested_canonical,
           r.service_tier, r.status, r.team, r.service, r.cost_center, r.workflow, r.environment, r.gateway_key_id,
           r.attempt, r.original_request_id, r.price_card_version, r.provider_response_id, r.trace_id, r.conversation_id,
           r.input_tokens, r.output_tokens, r.cache_read_input_tokens, r.cache_write_5m_input_tokens,
           r.cache_write_1h_input_tokens, r.reasoning_output_tokens,
           k.gateway_key_id is not null as key_known, k.team as key_team, k.service as key_service, k.environment as key_environment,
           coalesce(r.team, k.team) as effective_team,
           case when r.team is not null then 'tag' when k.team is not null then 'key' end as owner_source,
           o.cost_center as team_cost_center,
           ${cost} as cost, ${unpriced} as unpriced, ${versions} as card_versions
    from (
      select l.*,
             coalesce(ma.model, l.response_model) as model,
             case when l.requested_model is null or btrim(l.requested_model) = '' then null else coalesce(mr.model, l.requested_model) end as requested_canonical,
             case when sr.region is not null then sr.region else '' end as slot_region
      from ledger_record l
      join ingested_file f on f.id = l.ingested_file_id and f.status = 'loaded'
      left join model_alias ma on ma.provider = l.provider and ma.alias = l.response_model
        and l.ts >= ma.effective_from and (ma.effective_to is null or l.ts < ma.effective_to)
      left join model_alias mr on mr.provider = l.provider and mr.alias = l.requested_model
        and l.ts >= mr.effective_from and (mr.effective_to is null or l.ts < mr.effective_to)
      -- the record's own region when the card has lines for it, else the every-region slot
      left join slot_regions sr on sr.provider = l.provider and sr.model = coalesce(ma.model, l.response_model)
        and sr.service_tier = l.service_tier and sr.region = coalesce(l.region, '') and sr.region <> ''
      where l.ts >= ${from}::timestamptz and l.ts < ${to}::timestamptz
    ) r
    left join slots s on s.provider = r.provider and s.model = r.model and s.service_tier = r.service_tier and s.region = r.slot_region
      and r.ts >= s.valid_from and r.ts < s.valid_to and r.input_tokens >= s.band_lo and r.input_tokens < s.band_hi
    left join keys k on k.gateway_key_id = r.gateway_key_id
    left join team_owner o on o.team = coalesce(r.team, k.team)`.execute(db);
  // Fresh statistics so the aggregates below plan on the real row count.
  await sql`analyze ${sql.id(table)}`.execute(db);
}

/**
 * Runs `fn` with the period's audit table in place, inside a transaction (the caller's, or one of
 * its own) so the temporary table lives on one connection.
 */
export async function withAuditTable<T>(db: Db, input: { period: Period; keyOwners?: KeyOwner[] }, fn: (db: Db, table: string) => Promise<T>): Promise<T> {
  const work = async (trx: Db) => {
    const table = `audit_record_${crypto.randomBytes(4).toString('hex')}`;
    await createAuditTable(trx, table, input.period, input.keyOwners);
    const result = await fn(trx, table);
    await sql`drop table ${sql.id(table)}`.execute(trx);
    return result;
  };
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

export interface TotalsRow {
  records: string;
  cost: string;
  unpriced_records: string;
}

export async function selectAuditTotals(db: Db, table: string): Promise<TotalsRow> {
  const { rows } = await sql<TotalsRow>`
    select count(*) as records, coalesce(sum(cost), 0) as cost,
           count(*) filter (where unpriced) as unpriced_records
    from ${sql.id(table)}`.execute(db);
  return rows[0]!;
}

export type CompletenessRow = { dimension: string; value: string; records: string; cost: string } & Record<string, string>;

/**
 * Checklist completeness for the whole period and per team (tag, else key owner), service,
 * gateway key and environment in one pass: per field, records missing it and their priced cost.
 */
export async function selectCompleteness(db: Db, table: string): Promise<CompletenessRow[]> {
  const measures = CHECKLIST_FIELDS.map(({ field }) => {
    const missing = sql.raw(MISSING_SQL[field]);
    return sql`, count(*) filter (where ${missing}) as ${sql.id(`${field}__missing`)}, coalesce(sum(cost) filter (where ${missing}), 0) as ${sql.id(`${field}__at_stake`)}`;
  });
  const { rows } = await sql<CompletenessRow>`
    with t as (
      select *, coalesce(effective_team, '(untagged)') as team_key, coalesce(service, '(none)') as service_key,
             coalesce(gateway_key_id, '(none)') as key_key, coalesce(environment, '(none)') as env_key
      from ${sql.id(table)}
    )
    select * from (
    select case when grouping(team_key) = 0 then 'team' when grouping(service_key) = 0 then 'service'
                when grouping(key_key) = 0 then 'gateway_key' when grouping(env_key) = 0 then 'environment' else 'all' end as dimension,
           coalesce(team_key, service_key, key_key, env_key, '(all)') as value,
           count(*) as records, coalesce(sum(cost), 0) as cost
           ${sql.join(measures, sql``)}
    from t
    group by grouping sets ((), (team_key), (service_key), (key_key), (env_key))
    ) g order by dimension collate "C", value collate "C"`.execute(db);
  return rows;
}

export interface FindingRow {
  finding: string;
  subject: string;
  records: string;
  at_stake: string;
  sample_request_ids: string[];
  detail: Record<string, unknown>;
}

/**
 * Every finding in one statement, each a group of records with its evidence: count, priced cost,
 * the first request ids in id order, and finding-specific detail.
 */
export async function selectFindings(db: Db, table: string, samples: number): Promise<FindingRow[]> {
  const t = sql.id(table);
  const prod = sql.raw(PRODUCTION);
  const { rows } = await sql<FindingRow>`
    with key_env as (
      select gateway_key_id,
             bool_or(lower(environment) in ${prod}) or bool_or(lower(key_environment) in ${prod}) as production
      from ${t} where gateway_key_id is not null group by gateway_key_id
    )
    select * from (
    select 'shared_key' as finding, gateway_key_id as subject, count(*) as records, sum(cost) as at_stake,
           (array_agg(request_id order by request_id collate "C"))[1:${samples}::int] as sample_request_ids,
           jsonb_build_object(
             'teams', coalesce(to_jsonb(array_agg(distinct team) filter (where team is not null)), '[]'::jsonb),
             'services', coalesce(to_jsonb(array_agg(distinct service) filter (where service is not null)), '[]'::jsonb)) as detail
    from ${t} where gateway_key_id is not null
    group by gateway_key_id having count(distinct team) > 1 or count(distinct service) > 1
    union all
    select 'key_without_owner', gateway_key_id, count(*), sum(cost),
           (array_agg(request_id order by request_id collate "C"))[1:${samples}::int],
           jsonb_build_object(
             'teams_on_records', coalesce(to_jsonb(array_agg(distinct team) filter (where team is not null)), '[]'::jsonb),
             'untagged_records', (count(*) filter (where team is null))::text,
             'untagged_at_stake', (coalesce(sum(cost) filter (where team is null), 0))::text)
    from ${t} where gateway_key_id is not null and not key_known
    group by gateway_key_id
    union all
    select 'owner_mismatch', gateway_key_id || ': ' || team || ' ≠ ' || key_team, count(*), sum(cost),
           (array_agg(request_id order by request_id collate "C"))[1:${samples}::int],
           jsonb_build_object('gateway_key_id', gateway_key_id, 'record_team', team, 'key_team', key_team)
    from ${t} where team is not null and key_team is not null and team <> key_team
    group by gateway_key_id, team, key_team
    union all
    select 'unlinked_retry', coalesce(effective_team, '(untagged)'), count(*), sum(cost),
           (array_agg(request_id order by request_id collate "C"))[1:${samples}::int],
           jsonb_build_object('max_attempt', max(attempt))
    from ${t} where attempt > 1 and original_request_id is null
    group by coalesce(effective_team, '(untagged)')
    union all
    select 'fallback', provider || ': ' || requested_canonical || ' → ' || model, count(*), sum(cost),
           (array_agg(request_id order by request_id collate "C"))[1:${samples}::int],
           jsonb_build_object('provider', provider, 'requested_model', requested_canonical, 'model', model,
             'teams', coalesce(to_jsonb(array_agg(distinct effective_team) filter (where effective_team is not null)), '[]'::jsonb))
    from ${t} where requested_canonical is not null and requested_canonical <> model
    group by provider, requested_canonical, model
    union all
    select 'card_version_mismatch', provider || ' ' || model || ': ' || price_card_version || ' vs ' ||
             coalesce(nullif(array_to_string(card_versions, ', '), ''), 'no card in effect'),
           count(*), sum(cost), (array_agg(request_id order by request_id collate "C"))[1:${samples}::int],
           jsonb_build_object('provider', provider, 'model', model, 'ledger_card_version', price_card_version,
             'card_versions_in_effect', to_jsonb(card_versions))
    from ${t} where price_card_version is not null and not (price_card_version = any(card_versions))
    group by provider, model, price_card_version, card_versions
    union all
    select 'conversation_only', coalesce(gateway_key_id, '(no key)'), count(*), sum(cost),
           (array_agg(request_id order by request_id collate "C"))[1:${samples}::int],
           jsonb_build_object('conversations', (count(distinct conversation_id))::text,
             'key_team', max(key_team))
    from ${t} where conversation_id is not null and team is null and service is null and workflow is null
    group by coalesce(gateway_key_id, '(no key)')
    union all
    select 'nonprod_on_production_key', r.gateway_key_id || ': ' || r.environment, count(*), sum(r.cost),
           (array_agg(r.request_id order by r.request_id collate "C"))[1:${samples}::int],
           jsonb_build_object('gateway_key_id', r.gateway_key_id, 'environment', r.environment,
             'key_map_environment', max(r.key_environment))
    from ${t} r join key_env k on k.gateway_key_id = r.gateway_key_id
    where k.production and r.environment is not null and lower(r.environment) not in ${prod}
    group by r.gateway_key_id, r.environment
    ) f order by finding collate "C", subject collate "C"`.execute(db);
  return rows;
}

export interface TeamEvidenceRow {
  team: string;
  records: string;
  cost: string;
  /** records (and cost) whose owner is evidenced: tag or key, and the tag agrees with the key map */
  attributable_records: string;
  attributable_cost: string;
  /** untagged records on keys with no owner that this team also uses: spend nobody can be charged for */
  unowned_key_records: string;
  unowned_key_cost: string;
  keys_without_owner: string[];
  cost_center: string | null;
}

/** Per team (tag, else key owner): the evidence the chargeback gates look at. */
export async function selectTeamEvidence(db: Db, table: string): Promise<TeamEvidenceRow[]> {
  const t = sql.id(table);
  const { rows } = await sql<TeamEvidenceRow>`
    with team_keys as (
      select distinct effective_team as team, gateway_key_id
      from ${t} where effective_team is not null and gateway_key_id is not null and not key_known
    ), unowned as (
      select gateway_key_id, count(*) as records, sum(cost) as cost
      from ${t} where effective_team is null and gateway_key_id is not null and not key_known
      group by gateway_key_id
    ), exposure as (
      select tk.team, coalesce(sum(u.records), 0) as records, coalesce(sum(u.cost), 0) as cost,
             array_agg(tk.gateway_key_id order by tk.gateway_key_id collate "C") as keys
      from team_keys tk left join unowned u on u.gateway_key_id = tk.gateway_key_id
      group by tk.team
    ), own as (
      select effective_team as team, count(*) as records, coalesce(sum(cost), 0) as cost,
             count(*) filter (where key_team is null or team is null or team = key_team) as attributable_records,
             coalesce(sum(cost) filter (where key_team is null or team is null or team = key_team), 0) as attributable_cost
      from ${t} where effective_team is not null
      group by effective_team
    )
    select o.team, o.records, o.cost, o.attributable_records, o.attributable_cost,
           coalesce(e.records, 0) as unowned_key_records, coalesce(e.cost, 0) as unowned_key_cost,
           coalesce(e.keys, '{}') as keys_without_owner, tw.cost_center
    from own o left join exposure e on e.team = o.team left join team_owner tw on tw.team = o.team
    order by o.team collate "C"`.execute(db);
  return rows;
}

/** Variance share per team from the current run's team summary, when allocation wrote one. */
export async function selectRunVarianceShares(db: Db, runId: string): Promise<{ team: string; variance_share: string | null }[]> {
  const { rows } = await sql<{ team: string; variance_share: string | null }>`
    select team, variance_share from run_team_summary where run_id = ${runId} order by team`.execute(db);
  return rows;
}

export async function selectRunPricedCost(db: Db, runId: string): Promise<string> {
  const { rows } = await sql<{ cost: string }>`select coalesce(sum(cost), 0) as cost from run_cost_cube where run_id = ${runId}`.execute(db);
  return rows[0]?.cost ?? '0';
}
