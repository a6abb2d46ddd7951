import type { Store } from '../../src/db/connection.ts';

// Builders for a run and its priced ledger (run_cost_cube) inserted directly, so variance,
// explain, allocation and workbook tests need not go through pricing.

export interface CubeRowInput {
  day: string;
  provider: string;
  model: string;
  requested_model: string | null;
  service_tier: string;
  token_category: string;
  region: string | null;
  team: string | null;
  service: string | null;
  workflow: string | null;
  cost_center: string | null;
  environment: string | null;
  gateway_key_id: string | null;
  status: string;
  is_retry: boolean;
  owner_source: string | null;
  card_version_id: string | null;
  unpriced_reason: string | null;
  records: number | string;
  /** tokens (or requests for `request`), decimal text or integer */
  quantity: number | string;
  /** USD, decimal text; '0' for unpriced rows */
  cost: string;
  gateway_cost: string | null;
}

export function cubeRow(overrides: Partial<CubeRowInput> = {}): CubeRowInput {
  const model = overrides.model ?? 'gpt-4o-2024-08-06';
  return {
    day: '2026-05-10',
    provider: 'openai',
    model,
    requested_model: model,
    service_tier: 'standard',
    token_category: 'input',
    region: null,
    team: 'support',
    service: 'triage',
    workflow: null,
    cost_center: null,
    environment: 'production',
    gateway_key_id: null,
    status: 'ok',
    is_retry: false,
    owner_source: 'tag',
    card_version_id: null,
    unpriced_reason: null,
    records: 1,
    quantity: 1000,
    cost: '0.0025',
    gateway_cost: null,
    ...overrides,
  };
}

/** Inserts a `run` row (status succeeded unless told) and returns its id. */
export async function insertRun(store: Store, period: string, overrides: { status?: 'running' | 'succeeded' | 'failed'; trigger?: string } = {}): Promise<string> {
  const row = await store.db
    .insertInto('run')
    .values({ period, status: overrides.status ?? 'succeeded', trigger: overrides.trigger ?? 'test', finished_at: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts priced-ledger rows for `runId`. */
export async function insertCubeRows(store: Store, runId: string, rows: CubeRowInput[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await store.db
      .insertInto('run_cost_cube')
      .values(rows.slice(i, i + 500).map((r) => ({ ...r, run_id: runId, records: String(r.records), quantity: String(r.quantity) })))
      .execute();
  }
}
