import { sql } from 'kysely';
import type { Reconcile } from '../../src/run/run-period.ts';
import { periodBounds } from '../../src/period.ts';

/**
 * A small stand-in for the pipeline stages (which other areas own) so the run lifecycle can be
 * tested on its own: one request row per (day, provider, model, team) costing $1 per 1,000 input
 * tokens, and an allocation per team rounded to the cent. Real SQL on the real database.
 */
export const standInReconcile: Reconcile = async (db, { runId, period }) => {
  const { start, end } = periodBounds(period);
  await sql`
    insert into run_cost_cube (run_id, day, provider, model, service_tier, token_category, team, status, owner_source, records, quantity, cost)
    select ${runId}::bigint, (ts at time zone 'UTC')::date, provider, response_model, service_tier, 'request', team, status,
           case when team is null then null else 'tag' end, count(*), count(*), sum(input_tokens) / 1000.0
    from ledger_record
    where ts >= ${start.toISOString()}::timestamptz and ts < ${end.toISOString()}::timestamptz
    group by 2, 3, 4, 5, 7, 8, 9`.execute(db);
  await sql`
    insert into run_allocation (run_id, provider, invoice_id, team, component, basis, amount, rule)
    select ${runId}::bigint, provider, 'INV-' || ${period}, coalesce(team, 'untagged'), 'usage', sum(cost), round(sum(cost), 2), 'stand-in'
    from run_cost_cube where run_id = ${runId}::bigint group by provider, coalesce(team, 'untagged')`.execute(db);
  return { pricing: { records: '0', priced: '0', unpriced: '0', untagged: '0', ledger_cost: '0' } };
};

export const failingReconcile: Reconcile = async () => {
  throw new Error('variance stage exploded');
};
