import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import { countingFileIds } from '../ingest/files-that-count.ts';
import { isRetrySql } from '../ingest/ledger-rollup.ts';
import { keyOwnerJoinSql, ownerCostCenterSql, ownerSourceSql, ownerTeamSql, teamOwnerJoinSql, type OwnerSource } from '../allocate/record-owner.ts';
import { selectAliasLines, selectCardLines } from './queries.ts';
import { pricingRegion, priceRecord, type CardLine, type RecordToPrice } from './rules.ts';

type Db = Kysely<Database>;

/**
 * The exact cost of one request's attempts, as the run prices them (`recon price --request`).
 * It prices with rules.priceRecord, which test/pricing/rules-match-sql.db.test.ts ties to the
 * run's SQL, the audit and the dispute workbook on random cards and records, so what this
 * prints is what every stage charged; the canonical model comes from the SQL resolve_model.
 */
export interface PricedAttempt {
  request_id: string;
  /** the request this attempt retries or falls back from (null: a first attempt) */
  original_request_id: string | null;
  attempt: number | null;
  ts: string;
  provider: string;
  response_model: string;
  requested_model: string | null;
  canonical_model: string;
  service_tier: string;
  region: string | null;
  pricing_region: string;
  status: string;
  owner: { team: string | null; service: string | null; cost_center: string | null; gateway_key_id: string | null };
  /**
   * The owner as the run resolves it (src/allocate/record-owner.ts): the team tag, else the key
   * map's team for the key (source `key`), else none (untagged); the cost center the record's,
   * else the team's. `key_map` is the key map's row for the key when it named the team.
   */
  resolved_owner: {
    team: string | null;
    cost_center: string | null;
    source: OwnerSource | null;
    key_map: { team: string; service: string | null; environment: string | null } | null;
  };
  /** a later attempt, or one naming another request as its original (ingest's isRetrySql) */
  is_retry: boolean;
  tokens: Record<'input' | 'output' | 'cache_read_input' | 'cache_write_5m_input' | 'cache_write_1h_input' | 'reasoning_output', string>;
  unpriced_reason: string | null;
  categories: Array<{
    category: string;
    quantity: string;
    /** USD per 1M tokens, or per request for the request category */
    unit_price: string | null;
    cost: string;
    card_version: string | null;
    line_id: string | null;
    line_effective_from: string | null;
    line_effective_to: string | null;
    unpriced_reason: string | null;
  }>;
  /** exact, unrounded */
  cost: string;
  source: { ingested_file_id: string; source_line: string | null };
}

interface LedgerRow {
  request_id: string;
  original_request_id: string | null;
  attempt: number | null;
  ts: Date;
  provider: string;
  response_model: string;
  requested_model: string | null;
  canonical_model: string;
  service_tier: string;
  region: string | null;
  status: string;
  team: string | null;
  service: string | null;
  cost_center: string | null;
  gateway_key_id: string | null;
  input_tokens: string;
  output_tokens: string;
  cache_read_input_tokens: string;
  cache_write_5m_input_tokens: string;
  cache_write_1h_input_tokens: string;
  reasoning_output_tokens: string;
  ingested_file_id: string;
  source_line: string | null;
  is_retry: boolean;
  resolved_team: string | null;
  resolved_cost_center: string | null;
  owner_source: OwnerSource | null;
  key_team: string | null;
  key_service: string | null;
  key_environment: string | null;
}

/** Ledger records from files that count, as `l`, filtered by `where` (over `l`), in time order. */
async function selectAttemptRows(db: Db, where: RawBuilder<boolean>): Promise<LedgerRow[]> {
  const fileIds = await countingFileIds(db, 'ledger');
  const { rows } = await sql<LedgerRow>`
    select l.request_id, l.original_request_id, l.attempt, l.ts, l.provider, l.response_model, l.requested_model,
           resolve_model(l.provider, l.response_model, l.ts) as canonical_model,
           l.service_tier, l.region, l.status, l.team, l.service, l.cost_center, l.gateway_key_id,
           l.input_tokens::text as input_tokens, l.output_tokens::text as output_tokens,
           l.cache_read_input_tokens::text as cache_read_input_tokens,
           l.cache_write_5m_input_tokens::text as cache_write_5m_input_tokens,
           l.cache_write_1h_input_tokens::text as cache_write_1h_input_tokens,
           l.reasoning_output_tokens::text as reasoning_output_tokens,
           l.ingested_file_id::text as ingested_file_id, l.source_line::text as source_line,
           ${isRetrySql('l')} as is_retry,
           ${ownerTeamSql(sql.ref('l.team'), sql.ref('k.team'))} as resolved_team,
           ${ownerCostCenterSql(sql.ref('l.cost_center'), sql.ref('t.cost_center'))} as resolved_cost_center,
           ${ownerSourceSql(sql.ref('l.team'), sql.ref('k.team'))} as owner_source,
           k.team as key_team, k.service as key_service, k.environment as key_environment
    from ledger_record l
    ${keyOwnerJoinSql('l', 'k')}
    ${teamOwnerJoinSql('t', ownerTeamSql(sql.ref('l.team'), sql.ref('k.team')))}
    where l.ingested_file_id = any(${fileIds}::bigint[]) and ${where}
    order by l.ts, coalesce(l.attempt, 1), l.request_id`.execute(db);
  return rows;
}

/** Attempts of a request (the request's own id, or attempts that name it as their original). */
function selectRequestAttempts(db: Db, requestId: string, attempt: number | undefined): Promise<LedgerRow[]> {
  return selectAttemptRows(
    db,
    sql<boolean>`(l.request_id = ${requestId} or l.original_request_id = ${requestId})
      and (${attempt ?? null}::int is null or coalesce(l.attempt, 1) = ${attempt ?? null}::int)`,
  );
}

async function selectCardVersionNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('rate_card_version').select(['id', 'card_version']).execute();
  return new Map(rows.map((r) => [String(r.id), r.card_version]));
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

/** Pure: one ledger row priced against the card, in the shape the CLI prints. */
export function priceAttempt(row: LedgerRow, lines: readonly CardLine[], aliases: Parameters<typeof priceRecord>[2], versionNames: ReadonlyMap<string, string>): PricedAttempt {
  const record: RecordToPrice = {
    ts: row.ts,
    provider: row.provider,
    model: row.canonical_model,
    response_model: row.response_model,
    service_tier: row.service_tier,
    region: row.region,
    input_tokens: row.input_tokens,
    output_tokens: row.output_tokens,
    cache_read_input_tokens: row.cache_read_input_tokens,
    cache_write_5m_input_tokens: row.cache_write_5m_input_tokens,
    cache_write_1h_input_tokens: row.cache_write_1h_input_tokens,
    reasoning_output_tokens: row.reasoning_output_tokens,
  };
  const priced = priceRecord(record, lines, aliases);
  const byId = new Map(lines.map((l) => [l.id, l]));
  return {
    request_id: row.request_id,
    original_request_id: row.original_request_id,
    attempt: row.attempt,
    ts: row.ts.toISOString(),
    provider: row.provider,
    response_model: row.response_model,
    requested_model: row.requested_model,
    canonical_model: row.canonical_model,
    service_tier: row.service_tier,
    region: row.region,
    pricing_region: pricingRegion(row.provider, row.response_model, row.region),
    status: row.status,
    owner: { team: row.team, service: row.service, cost_center: row.cost_center, gateway_key_id: row.gateway_key_id },
    resolved_owner: {
      team: row.resolved_team,
      cost_center: row.resolved_cost_center,
      source: row.owner_source,
      key_map: row.owner_source === 'key' && row.key_team ? { team: row.key_team, service: row.key_service, environment: row.key_environment } : null,
    },
    is_retry: row.is_retry,
    tokens: {
      input: row.input_tokens,
      output: row.output_tokens,
      cache_read_input: row.cache_read_input_tokens,
      cache_write_5m_input: row.cache_write_5m_input_tokens,
      cache_write_1h_input: row.cache_write_1h_input_tokens,
      reasoning_output: row.reasoning_output_tokens,
    },
    unpriced_reason: priced.unpriced_reason,
    categories: priced.categories.map((c) => {
      const line = c.line_id ? byId.get(c.line_id) : undefined;
      return {
        category: c.category,
        quantity: c.quantity.toFixed(),
        unit_price: c.unit_price,
        cost: c.cost.toFixed(),
        card_version: c.card_version_id ? (versionNames.get(c.card_version_id) ?? c.card_version_id) : null,
        line_id: c.line_id,
        line_effective_from: line ? iso(line.effective_from) : null,
        line_effective_to: line ? iso(line.effective_to) : null,
        unpriced_reason: c.unpriced_reason,
      };
    }),
    cost: priced.cost.toFixed(),
    source: { ingested_file_id: row.ingested_file_id, source_line: row.source_line },
  };
}

export async function priceRequest(db: Db, requestId: string, attempt?: number): Promise<PricedAttempt[]> {
  const rows = await selectRequestAttempts(db, requestId, attempt);
  if (rows.length === 0) return [];
  const [lines, aliases, versionNames] = await Promise.all([selectCardLines(db), selectAliasLines(db), selectCardVersionNames(db)]);
  return rows.map((row) => priceAttempt(row, lines, aliases, versionNames));
}

/**
 * The records `where` (a condition over the ledger record `l`) selects, priced the same way: for
 * readers that pick records by something other than their request id (the request trace's most
 * expensive requests of a team on a day). One query for the records, one for the card.
 */
export async function priceRecordsWhere(db: Db, where: RawBuilder<boolean>): Promise<PricedAttempt[]> {
  const rows = await selectAttemptRows(db, where);
  if (rows.length === 0) return [];
  const [lines, aliases, versionNames] = await Promise.all([selectCardLines(db), selectAliasLines(db), selectCardVersionNames(db)]);
  return rows.map((row) => priceAttempt(row, lines, aliases, versionNames));
}
