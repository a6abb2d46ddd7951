import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { keyTeamOfRecordSql, ownerTeamSql } from '../allocate/record-owner.ts';
import type { Database } from '../db/schema.ts';
import { selectCellCausesAt } from '../explain/queries.ts';
import { priceRecordsWhere, type PricedAttempt } from '../pricing/price-request.ts';
import { selectCubeCellsAt } from '../pricing/queries.ts';
import { selectVarianceCellsAt, type VarianceCellKey } from '../reconcile/queries.ts';

// The trace reads every stage's results through the stage's own query functions (each table's
// owner, test/ownership.test.ts) and joins them here by cell key.

type Db = Kysely<Database>;

export type CellKey = VarianceCellKey;

/** What the run stored about one variance cell: its figures, its causes, and what its cube held. */
export interface RunCellRow extends CellKey {
  /** null: the run has no variance cell here */
  status: 'ok' | 'review' | 'breach' | null;
  invoice_amount: string | null;
  ledger_amount: string | null;
  variance_amount: string | null;
  unexplained: string | null;
  /** the causes the run attributed the cell's variance to (volume and price effects) */
  causes: { cause: string; effect: string; amount: string }[];
  /** priced cost of the cell's cube rows, and whether any of them are unpriced or failed */
  cube_cost: string;
  cube_unpriced: boolean;
  cube_failed: boolean;
}

const keyText = (c: CellKey) => [c.provider, c.model, c.token_category, c.service_tier, c.day].join('\u0000');

export async function selectRunCells(db: Db, runId: string, keys: readonly CellKey[]): Promise<RunCellRow[]> {
  const unique = [...new Map(keys.map((k) => [keyText(k), { provider: k.provider, model: k.model, token_category: k.token_category, service_tier: k.service_tier, day: k.day }])).values()];
  if (unique.length === 0) return [];
  const [cells, causes, cube] = await Promise.all([selectVarianceCellsAt(db, runId, unique), selectCellCausesAt(db, runId, unique), selectCubeCellsAt(db, runId, unique)]);
  const cellOf = new Map(cells.map((c) => [keyText(c), c]));
  const causesOf = new Map(causes.map((c) => [keyText(c), c]));
  const cubeOf = new Map(cube.map((c) => [keyText(c), c]));
  return unique.map((k) => {
    const v = cellOf.get(keyText(k));
    const c = causesOf.get(keyText(k));
    const q = cubeOf.get(keyText(k));
    return {
      ...k,
      status: v?.status ?? null,
      invoice_amount: v?.invoice_amount ?? null,
      ledger_amount: v?.ledger_amount ?? null,
      variance_amount: v?.variance_amount ?? null,
      unexplained: c?.unexplained ?? null,
      causes: c?.causes ?? [],
      cube_cost: q?.cost ?? '0',
      cube_unpriced: q?.unpriced ?? false,
      cube_failed: q?.failed ?? false,
    };
  });
}

/** The records of a team (by the owner rule: tag, else key map) with ts on one UTC day, priced. */
export function priceTeamDay(db: Db, team: string, day: string): Promise<PricedAttempt[]> {
  const from = new Date(`${day}T00:00:00Z`);
  const to = new Date(from.getTime() + 86_400_000);
  return priceRecordsWhere(
    db,
    sql<boolean>`l.ts >= ${from.toISOString()}::timestamptz and l.ts < ${to.toISOString()}::timestamptz and ${ownerTeamSql(sql.ref('l.team'), keyTeamOfRecordSql('l'))} = ${team}`,
  );
}
