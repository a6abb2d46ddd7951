import crypto from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { periodBounds, type Period } from '../period.ts';
import { executeOn, GROUP_READING_SETTINGS, withPlannerSettings } from '../db/planner-settings.ts';
import { RECORD_FLAGS, selectPeriodGroups } from '../ingest/ledger-rollup.ts';
import { countingFileIds } from '../ingest/files-that-count.ts';
import { CHECKLIST_FIELDS } from './checklist.ts';
import { categoryCostSql, priceSlots, pricingRegionSql, slotOfRecord } from '../pricing/price-slots.ts';
import { SERVICE_TIERS } from '../pricing/rules.ts';
import { cardAndAliasTimeBounds, cardLongContextThresholds } from '../pricing/card-bounds.ts';

/** A gateway key owner row, from the imported key map or from an --owners file. */
export interface KeyOwner {
  gateway_key_id: string;
  team: string;
  service: string | null;
  environment: string | null;
}

type Db = Kysely<Database>;

// The SQL condition under which a group of records lacks each checklist field (columns of the
// audit group table). Recon's own text, never user input: safe for sql.raw.
const MISSING_SQL: Record<(typeof CHECKLIST_FIELDS)[number]['field'], string> = {
  team: 'team is null',
  service: 'service is null',
  cost_center: 'cost_center is null and team_cost_center is null',
  workflow: 'workflow is null',
  actual_model: "btrim(response_model) = ''",
  token_counts: 'bad_token_counts',
  retry_linkage: 'unlinked_retry',
  card_version: 'price_card_version is null',
  correlation_id: 'no_correlation_id',
  // ts is `not null` in the ledger and the period bounds filter on it: no record can miss it
  timestamp: 'false',
  environment: 'environment is null',
  gateway_key: 'gateway_key_id is null',
};

const PRODUCTION = "('production', 'prod')";

/**
 * What a ledger record is grouped on, as SQL over `l` (a ledger_record row): every raw column the
 * checklist, the findings and the price depend on, the per-field "missing" booleans that need
 * more than one column, which categories have tokens, a time-segment number (cut at every price
 * line and model alias boundary inside the period) and a long-context band number (cut at every
 * line threshold). All records of one group therefore resolve to the same alias and price slot.
 * The sample pass computes the same expressions, so a record finds its group by this key.
 */
function groupKeyColumns(bounds: ScanBounds): [string, RawBuilder<unknown>][] {
  return [
    ['provider', sql`l.provider`],
    ['response_model', sql`l.response_model`],
    ['requested_model', sql`l.requested_model`],
    ['service_tier', sql`l.service_tier`],
    ['region', sql`coalesce(l.region, '')`],
    ['status', sql`l.status`],
    ['team', sql`l.team`],
    ['service', sql`l.service`],
    ['cost_center', sql`l.cost_center`],
    ['workflow', sql`l.workflow`],
    ['environment', sql`l.environment`],
    ['gateway_key_id', sql`l.gateway_key_id`],
    ['price_card_version', sql`l.price_card_version`],
    ['conversation_only', RECORD_FLAGS.conversation_only],
    ['bad_token_counts', RECORD_FLAGS.bad_token_counts],
    ['unlinked_retry', RECORD_FLAGS.unlinked_retry],
    ['no_correlation_id', RECORD_FLAGS.no_correlation_id],
    ['has_input', RECORD_FLAGS.has_input],
    ['negative_uncached', RECORD_FLAGS.negative_uncached],
    ['has_cached_input', RECORD_FLAGS.has_cached_input],
    ['has_cache_write_5m', RECORD_FLAGS.has_cache_write_5m],
    ['has_cache_write_1h', RECORD_FLAGS.has_cache_write_1h],
    ['has_output', RECORD_FLAGS.has_output],
    ['segment', sql`width_bucket(l.ts, ${bounds.segmentBounds}::timestamptz[])`],
    ['band', sql`width_bucket(l.input_tokens - 1, ${bounds.bandBounds}::bigint[])`],
  ];
}

/**
 * What both passes over the month cut and filter with, read once and passed as parameters: a
 * subquery in a record's expression would be evaluated by the leader and keep the scan there.
 * Segments are cut at every price line and model alias boundary inside the period, bands at every
 * long-context threshold; records come from the loaded ledger files.
 */
interface ScanBounds {
  segmentBounds: string[];
  bandBounds: string[];
  ledgerFileIds: string[];
}

async function selectScanBounds(db: Db, from: string, to: string, ledgerFileIds: readonly string[] | undefined): Promise<ScanBounds> {
  const { rows } = await sql<{ segment_bounds: string[]; band_bounds: string[] }>`
    select (select coalesce(array_agg(b::text order by b), '{}')
            from (${cardAndAliasTimeBounds()}) x
            where b > ${from}::timestamptz and b < ${to}::timestamptz) as segment_bounds,
           (select coalesce(array_agg(t::text order by t), '{}')
            from (${cardLongContextThresholds()}) x) as band_bounds`.execute(db);
  return { segmentBounds: rows[0]!.segment_bounds, bandBounds: rows[0]!.band_bounds, ledgerFileIds: ledgerFileIds ? [...ledgerFileIds] : await countingFileIds(db, 'ledger') };
}

/** The records of [from, to) from loaded files, as `l`. */
function periodRecords(from: string, to: string, bounds: ScanBounds): RawBuilder<unknown> {
  return sql`ledger_record l
    where l.ts >= ${from}::timestamptz and l.ts < ${to}::timestamptz
      and l.ingested_file_id = any(${bounds.ledgerFileIds}::bigint[])`;
}

function keyOwnersRelation(keyOwners: KeyOwner[] | undefined): RawBuilder<unknown> {
  if (!keyOwners) return sql`select gateway_key_id, team, service, environment from gateway_key_owner`;
  return sql`select gateway_key_id, team, service, environment
    from jsonb_to_recordset(${JSON.stringify(keyOwners)}::jsonb) as k(gateway_key_id text, team text, service text, environment text)`;
}

/**
 * Materialises the period's ledger as groups of records with what the audit needs: the checklist
 * columns, the owner from the tag or the key map, and the group's cost priced with the rate card
 * line in effect at its records' timestamps (alias applied; per 1M tokens, per request for
 * `request`). A temporary table dropped at the end of the transaction: every aggregate reads
 * groups (thousands), not records (millions).
 *
 * Two levels: the record groups of the ledger roll-up (src/ingest/ledger-rollup.ts, built at
 * ingest; selectPeriodGroups re-reads from the records the days where a price or alias boundary
 * or a threshold falls inside a group), regrouped on the audit's key (groupKeyColumns); then each
 * group resolves its aliases and price slot through one of its records (every record of a group
 * gets the same answer). The card is cut into price slots (per provider, model and tier: a time
 * segment in which no line changes × a region × a long-context band, with each category's line
 * side by side). Within a group a category's price is one number, so the sum of its records'
 * quantities times the price is exactly the sum of their costs.
 */
async function createAuditTable(db: Db, table: string, period: Period, keyOwners: KeyOwner[] | undefined, ledgerFileIds: readonly string[] | undefined): Promise<void> {
  const { start, end } = periodBounds(period);
  const from = start.toISOString();
  const to = end.toISOString();
  const categories = ['input', 'cached_input', 'cache_write_5m', 'cache_write_1h', 'output'] as const;
  // Each category's cost by the one price rule (src/pricing/price-slots.ts), none when the group
  // has no tokens in it or no line prices it.
  const cost = sql.join(
    [
      ...categories.map((c) => sql`coalesce(case when g.has_${sql.raw(c)} then ${categoryCostSql(c, 's', sql.raw(`g.q_${c}`), c === 'output' ? sql`g.q_reasoning` : undefined)} end, 0)`),
      sql`coalesce(${categoryCostSql('request', 's', sql`g.records`)}, 0)`,
    ],
    sql` + `,
  );
  // A record pricing cannot price at all (unknown tier, more cache tokens than input) costs 0, as in the run.
  const unpricedRecord = sql.raw(`(g.negative_uncached or g.service_tier not in (${SERVICE_TIERS.map((t) => `'${t}'`).join(', ')}))`);
  const unpriced = sql.raw(categories.map((c) => `(g.has_${c} and s.${c}_price is null)`).join(' or '));
  const versionIds = sql.raw(
    `array[${[...categories.map((c) => `case when g.has_${c} then s.${c}_version_id end`), 's.request_version_id'].join(', ')}]`,
  );
  const bounds = await selectScanBounds(db, from, to, ledgerFileIds);
  const key = groupKeyColumns(bounds);
  const keyNames = key.map(([name]) => name);
  const keyRefs = sql.join(keyNames.map((name) => sql.id(name)));
  // The month's record groups from the ledger roll-up (re-read from the records only where a
  // price, alias or threshold boundary falls inside a group: selectPeriodGroups), then regrouped
  // on the audit's key.
  const periodGroups = await selectPeriodGroups(executeOn(db), bounds.ledgerFileIds, from, to, { segments: bounds.segmentBounds, bands: bounds.bandBounds });
  const fromGroup: Record<string, RawBuilder<unknown>> = {
    region: sql`coalesce(r.region, '')`,
    segment: sql`width_bucket(r.first_ts, ${bounds.segmentBounds}::timestamptz[])`,
    band: sql`width_bucket(r.min_input_tokens - 1, ${bounds.bandBounds}::bigint[])`,
  };
  const byRange = sql`
      select ${sql.join(keyNames.map((name) => sql`${fromGroup[name] ?? sql.ref(`r.${name}`)} as ${sql.id(name)}`))},
             r.records, r.first_ts as at_ts, r.min_input_tokens as at_input_tokens, r.max_attempt,
             r.q_uncached as q_input, r.q_cached_input, r.q_cache_write_5m, r.q_cache_write_1h, r.q_output, r.q_reasoning
      from (${periodGroups}) r`;
  const slot = slotOfRecord({
    slots: sql`slots`,
    provider: sql`g.provider`,
    writtenModel: sql`g.response_model`,
    canonicalModel: sql`r.model`,
    serviceTier: sql`g.service_tier`,
    // the audit groups carry the record's region and its response model, so the Bedrock geo rule applies as in pricing
    region: pricingRegionSql(sql`g.provider`, sql`g.response_model`, sql`g.region`),
    at: sql`g.at_ts`,
    inputTokens: sql`g.at_input_tokens`,
  }, 'as');
  await sql`
    create temp table ${sql.id(table)} on commit drop as
    with keys as (${keyOwnersRelation(keyOwners)}),
    slots as materialized (${priceSlots(from, to)}),
    grouped as (
      select ${keyRefs},
             sum(records)::bigint as records, min(at_ts) as at_ts, min(at_input_tokens) as at_input_tokens, max(max_attempt) as max_attempt,
             sum(q_input) as q_input, sum(q_cached_input) as q_cached_input,
             sum(q_cache_write_5m) as q_cache_write_5m, sum(q_cache_write_1h) as q_cache_write_1h,
             sum(q_output) as q_output, sum(q_reasoning) as q_reasoning
      from (${byRange}) by_range
      group by ${keyRefs})
    select g.*,
           row(${sql.join(keyNames.map((name) => sql.ref(`g.${name}`)))})::text as group_key,
           r.model, r.requested_canonical,
           k.gateway_key_id is not null as key_known, k.team as key_team, k.service as key_service, k.environment as key_environment,
           coalesce(g.team, k.team) as effective_team,
           o.cost_center as team_cost_center,
           case when ${unpricedRecord} then 0 else ${cost} end as cost, (${unpricedRecord} or ${unpriced}) as unpriced,
           array(select distinct cv.card_version from rate_card_version cv where cv.id = any(${versionIds}) order by 1) as card_versions
    from grouped g
    left join model_alias ma on ma.provider = g.provider and ma.alias = model_spelling(g.provider, g.response_model)
      and g.at_ts >= ma.effective_from and (ma.effective_to is null or g.at_ts < ma.effective_to)
    left join model_alias mr on mr.provider = g.provider and mr.alias = model_spelling(g.provider, g.requested_model)
      and g.at_ts >= mr.effective_from and (mr.effective_to is null or g.at_ts < mr.effective_to)
    cross join lateral (
      select coalesce(ma.model, model_spelling(g.provider, g.response_model)) as model,
             case when g.requested_model is null or btrim(g.requested_model) = '' then null
                  else coalesce(mr.model, model_spelling(g.provider, g.requested_model)) end as requested_canonical) r
    ${slot.joins}
    left join slots s on s.slot_id = ${slot.slotId}
    left join keys k on k.gateway_key_id = g.gateway_key_id
    left join team_owner o on o.team = coalesce(g.team, k.team)`.execute(db);
  // Fresh statistics so the aggregates below plan on the real row count.
  await sql`analyze ${sql.id(table)}`.execute(db);
}

/**
 * Runs `fn` with the period's audit table in place, inside a transaction (the caller's, or one of
 * its own, repeatable read so that the grouping and the sample pass see the same records and card)
 * so the temporary table lives on one connection.
 */
export async function withAuditTable<T>(db: Db, input: { period: Period; keyOwners?: KeyOwner[]; ledgerFileIds?: readonly string[] }, fn: (db: Db, table: string) => Promise<T>): Promise<T> {
  const work = async (trx: Db) =>
    withPlannerSettings(trx, GROUP_READING_SETTINGS, async () => {
      const table = `audit_group_${crypto.randomBytes(4).toString('hex')}`;
      await createAuditTable(trx, table, input.period, input.keyOwners, input.ledgerFileIds);
      const result = await fn(trx, table);
      await sql`drop table ${sql.id(table)}`.execute(trx);
      return result;
    });
  return db.isTransaction ? work(db) : db.transaction().setIsolationLevel('repeatable read').execute(work);
}

export interface TotalsRow {
  records: string;
  cost: string;
  unpriced_records: string;
}

export async function selectAuditTotals(db: Db, table: string): Promise<TotalsRow> {
  const { rows } = await sql<TotalsRow>`
    select coalesce(sum(records), 0) as records, coalesce(sum(cost), 0) as cost,
           coalesce(sum(records) filter (where unpriced), 0) as unpriced_records
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
    return sql`, coalesce(sum(records) filter (where ${missing}), 0) as ${sql.id(`${field}__missing`)}, coalesce(sum(cost) filter (where ${missing}), 0) as ${sql.id(`${field}__at_stake`)}`;
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
           coalesce(sum(records), 0) as records, coalesce(sum(cost), 0) as cost
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
 * Every finding, each a set of records with its evidence: count, priced cost, the first request
 * ids in id order, and finding-specific detail. Counts, costs and details come from the groups;
 * the request ids (and the number of distinct conversations) from one more pass over the records
 * of the groups in some finding (see selectFindingSamples).
 */
export async function selectFindings(db: Db, table: string, period: Period, samples: number, ledgerFileIds?: readonly string[]): Promise<FindingRow[]> {
  const findings = await selectFindingGroups(db, table);
  if (findings.length === 0) return [];
  const found = new Map((await selectFindingSamples(db, table, period, findings, samples, ledgerFileIds)).map((s) => [`${s.finding}\u0000${s.subject}`, s]));
  return findings.map(({ group_keys: _keys, ...f }) => {
    const evidence = found.get(`${f.finding}\u0000${f.subject}`);
    const detail = f.finding === 'conversation_only' ? { ...f.detail, conversations: evidence?.conversations ?? '0' } : f.detail;
    return { ...f, sample_request_ids: evidence?.sample_request_ids ?? [], detail };
  });
}

type FindingGroups = Omit<FindingRow, 'sample_request_ids'> & { group_keys: string[] };

/** The findings over the groups, each with the keys of the groups whose records it covers. */
async function selectFindingGroups(db: Db, table: string): Promise<FindingGroups[]> {
  const t = sql.id(table);
  const prod = sql.raw(PRODUCTION);
  const { rows } = await sql<FindingGroups>`
    with key_env as (
      select gateway_key_id,
             bool_or(lower(environment) in ${prod}) or bool_or(lower(key_environment) in ${prod}) as production
      from ${t} where gateway_key_id is not null group by gateway_key_id
    )
    select * from (
    select 'shared_key' as finding, gateway_key_id as subject, sum(records) as records, sum(cost) as at_stake,
           jsonb_build_object(
             'teams', coalesce(to_jsonb(array_agg(distinct team) filter (where team is not null)), '[]'::jsonb),
             'services', coalesce(to_jsonb(array_agg(distinct service) filter (where service is not null)), '[]'::jsonb)) as detail,
           array_agg(group_key) as group_keys
    from ${t} where gateway_key_id is not null
    group by gateway_key_id having count(distinct team) > 1 or count(distinct service) > 1
    union all
    select 'key_without_owner', gateway_key_id, sum(records), sum(cost),
           jsonb_build_object(
             'teams_on_records', coalesce(to_jsonb(array_agg(distinct team) filter (where team is not null)), '[]'::jsonb),
             'untagged_records', (coalesce(sum(records) filter (where team is null), 0))::text,
             'untagged_at_stake', (coalesce(sum(cost) filter (where team is null), 0))::text),
           array_agg(group_key)
    from ${t} where gateway_key_id is not null and not key_known
    group by gateway_key_id
    union all
    select 'owner_mismatch', gateway_key_id || ': ' || team || ' ≠ ' || key_team, sum(records), sum(cost),
           jsonb_build_object('gateway_key_id', gateway_key_id, 'record_team', team, 'key_team', key_team),
           array_agg(group_key)
    from ${t} where team is not null and key_team is not null and team <> key_team
    group by gateway_key_id, team, key_team
    union all
    select 'unlinked_retry', coalesce(effective_team, '(untagged)'), sum(records), sum(cost),
           jsonb_build_object('max_attempt', max(max_attempt)),
           array_agg(group_key)
    from ${t} where unlinked_retry
    group by coalesce(effective_team, '(untagged)')
    union all
    select 'fallback', provider || ': ' || requested_canonical || ' → ' || model, sum(records), sum(cost),
           jsonb_build_object('provider', provider, 'requested_model', requested_canonical, 'model', model,
             'teams', coalesce(to_jsonb(array_agg(distinct effective_team) filter (where effective_team is not null)), '[]'::jsonb)),
           array_agg(group_key)
    from ${t} where requested_canonical is not null and requested_canonical <> model
    group by provider, requested_canonical, model
    union all
    select 'card_version_mismatch', provider || ' ' || model || ': ' || price_card_version || ' vs ' ||
             coalesce(nullif(array_to_string(card_versions, ', '), ''), 'no card in effect'),
           sum(records), sum(cost),
           jsonb_build_object('provider', provider, 'model', model, 'ledger_card_version', price_card_version,
             'card_versions_in_effect', to_jsonb(card_versions)),
           array_agg(group_key)
    from ${t} where price_card_version is not null and not (price_card_version = any(card_versions))
    group by provider, model, price_card_version, card_versions
    union all
    -- conversations are counted on the records (selectFindingSamples); the key holds its place
    select 'conversation_only', coalesce(gateway_key_id, '(no key)'), sum(records), sum(cost),
           jsonb_build_object('conversations', null, 'key_team', max(key_team)),
           array_agg(group_key)
    from ${t} where conversation_only
    group by coalesce(gateway_key_id, '(no key)')
    union all
    select 'nonprod_on_production_key', r.gateway_key_id || ': ' || r.environment, sum(r.records), sum(r.cost),
           jsonb_build_object('gateway_key_id', r.gateway_key_id, 'environment', r.environment,
             'key_map_environment', max(r.key_environment)),
           array_agg(r.group_key)
    from ${t} r join key_env k on k.gateway_key_id = r.gateway_key_id
    where k.production and r.environment is not null and lower(r.environment) not in ${prod}
    group by r.gateway_key_id, r.environment
    ) f order by finding collate "C", subject collate "C"`.execute(db);
  return rows;
}

interface FindingSamples {
  finding: string;
  subject: string;
  sample_request_ids: string[];
  conversations: string;
}

/**
 * The second (and last) pass over the period's records: only those that can belong to a finding
 * (cheap tests on raw columns, from what the findings' groups hold) are kept, find their group by
 * its key, and give each finding its first request ids in id order and its distinct conversations.
 */
async function selectFindingSamples(db: Db, table: string, period: Period, findings: FindingGroups[], samples: number, ledgerFileIds: readonly string[] | undefined): Promise<FindingSamples[]> {
  const t = sql.id(table);
  const members = findings.flatMap((f) => f.group_keys.map((groupKey) => ({ finding: f.finding, subject: f.subject, groupKey })));
  // Unnest of parameters, not a CTE: it is parallel safe, so in the pass below each worker matches
  // its own records to their group and only the matches reach the leader.
  const membersRelation = sql`unnest(${members.map((m) => m.finding)}::text[], ${members.map((m) => m.subject)}::text[], ${members.map((m) => m.groupKey)}::text[]) as m(finding, subject, group_key)`;
  const { rows: filters } = await sql<{ keys: string[]; requested: string[]; requested_providers: string[]; versions: string[]; retries: boolean | null; conversations: boolean | null }>`
    select coalesce(array_agg(distinct g.gateway_key_id) filter (where m.finding in ('shared_key', 'key_without_owner', 'owner_mismatch', 'nonprod_on_production_key')), '{}') as keys,
           coalesce(array_agg(distinct g.requested_model) filter (where m.finding = 'fallback'), '{}') as requested,
           coalesce(array_agg(distinct g.provider) filter (where m.finding = 'fallback'), '{}') as requested_providers,
           coalesce(array_agg(distinct g.price_card_version) filter (where m.finding = 'card_version_mismatch'), '{}') as versions,
           bool_or(m.finding = 'unlinked_retry') as retries,
           bool_or(m.finding = 'conversation_only') as conversations
    from ${membersRelation} join ${t} g on g.group_key = m.group_key`.execute(db);
  const filter = filters[0]!;
  const { start, end } = periodBounds(period);
  const from = start.toISOString();
  const to = end.toISOString();
  const bounds = await selectScanBounds(db, from, to, ledgerFileIds);
  const key = groupKeyColumns(bounds);
  const { rows } = await sql<FindingSamples>`
    with candidates as (
      select l.request_id, l.conversation_id, row(${sql.join(key.map(([, expression]) => expression))})::text as group_key
      from ${periodRecords(from, to, bounds)}
        and (l.gateway_key_id = any(${filter.keys}::text[])
          or (l.requested_model = any(${filter.requested}::text[]) and l.provider = any(${filter.requested_providers}::text[]))
          or l.price_card_version = any(${filter.versions}::text[])
          or (${filter.retries ?? false}::boolean and l.attempt > 1 and l.original_request_id is null)
          or (${filter.conversations ?? false}::boolean and l.conversation_id is not null and l.team is null and l.service is null and l.workflow is null)))
    select m.finding, m.subject,
           (array_agg(c.request_id order by c.request_id collate "C"))[1:${samples}::int] as sample_request_ids,
           (count(distinct c.conversation_id))::text as conversations
    from candidates c join ${membersRelation} on m.group_key = c.group_key
    group by m.finding, m.subject`.execute(db);
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
      select gateway_key_id, sum(records) as records, sum(cost) as cost
      from ${t} where effective_team is null and gateway_key_id is not null and not key_known
      group by gateway_key_id
    ), exposure as (
      select tk.team, coalesce(sum(u.records), 0) as records, coalesce(sum(u.cost), 0) as cost,
             array_agg(tk.gateway_key_id order by tk.gateway_key_id collate "C") as keys
      from team_keys tk left join unowned u on u.gateway_key_id = tk.gateway_key_id
      group by tk.team
    ), own as (
      select effective_team as team, sum(records) as records, coalesce(sum(cost), 0) as cost,
             coalesce(sum(records) filter (where key_team is null or team is null or team = key_team), 0) as attributable_records,
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
