import { sql } from 'kysely';
import type { Store } from '../../src/db/connection.ts';
import { parsePeriod } from '../../src/period.ts';
import { priceLedger, type PricingCounts } from '../../src/pricing/price-ledger.ts';

export async function startRun(store: Store, period: string): Promise<string> {
  const row = await store.db.insertInto('run').values({ period, status: 'running' }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Prices the period in a fresh run, as the pipeline does, inside one transaction. */
export async function priceRun(store: Store, period: string): Promise<{ runId: string; counts: PricingCounts }> {
  const runId = await startRun(store, period);
  const counts = await store.db.transaction().execute((trx) => priceLedger(trx, { runId, period: parsePeriod(period) }));
  return { runId, counts };
}

export interface CubeRow {
  day: string;
  model: string;
  requested_model: string | null;
  service_tier: string;
  token_category: string;
  team: string | null;
  owner_source: string | null;
  is_retry: boolean;
  card_version: string | null;
  unpriced_reason: string | null;
  records: string;
  quantity: string;
  cost: string;
  gateway_cost: string | null;
}

export async function cubeRows(store: Store, runId: string, where: { model?: string; category?: string } = {}): Promise<CubeRow[]> {
  const { rows } = await sql<CubeRow>`
    select c.day, c.model, c.requested_model, c.service_tier, c.token_category, c.team, c.owner_source, c.is_retry,
           v.card_version, c.unpriced_reason, c.records::text, c.quantity::text, c.cost::text, c.gateway_cost::text
    from run_cost_cube c left join rate_card_version v on v.id = c.card_version_id
    where c.run_id = ${runId}::bigint
      and (${where.model ?? null}::text is null or c.model = ${where.model ?? null}::text)
      and (${where.category ?? null}::text is null or c.token_category = ${where.category ?? null}::text)
    order by c.day, c.model, c.service_tier, c.token_category, c.cost`.execute(store.db);
  return rows;
}

/** Total cost of a run (optionally one model / day) as exact decimal text, normalised. */
export async function totalCost(store: Store, runId: string, where: { model?: string; day?: string; category?: string } = {}): Promise<string> {
  const { rows } = await sql<{ cost: string }>`
    select coalesce(sum(cost), 0)::text as cost from run_cost_cube
    where run_id = ${runId}::bigint
      and (${where.model ?? null}::text is null or model = ${where.model ?? null}::text)
      and (${where.day ?? null}::text is null or day = ${where.day ?? null}::date)
      and (${where.category ?? null}::text is null or token_category = ${where.category ?? null}::text)`.execute(store.db);
  return normal(rows[0]!.cost);
}

/** '0.012500000' -> '0.0125' so assertions read like the arithmetic. */
export function normal(decimalText: string): string {
  if (!decimalText.includes('.')) return decimalText;
  return decimalText.replace(/0+$/, '').replace(/\.$/, '');
}
