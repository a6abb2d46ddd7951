import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { createLogger } from '../../src/log.ts';
import { Decimal } from '../../src/money.ts';
import { parsePeriod } from '../../src/period.ts';
import { computeShowback } from '../../src/budget/showback.ts';
import { selectShowback } from '../../src/budget/queries.ts';
import { showbackSheet } from '../../src/audit/sheets.ts';
import type { SheetRow } from '../../src/workbooks/sheet-spec.ts';
import { describeEachBackend, type TestStore } from '../support/db.ts';

async function insertRun(store: TestStore, period: string, status: 'running' | 'succeeded'): Promise<string> {
  const row = await store.db.insertInto('run').values({ period, status }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Cube rows: one `request` row per (team, day) with its cost. */
async function insertDailyCost(store: TestStore, runId: string, rows: Array<[team: string | null, day: string, cost: string]>): Promise<void> {
  await sql`
    insert into run_cost_cube (run_id, day, provider, model, service_tier, token_category, team, status, records, quantity, cost)
    select ${runId}::bigint, v.day::date, 'openai', 'gpt-4o-2024-08-06', 'standard', 'request', v.team, 'ok', 1, 1, v.cost::numeric
    from jsonb_to_recordset(${JSON.stringify(rows.map(([team, day, cost]) => ({ team, day, cost })))}::jsonb) as v(team text, day text, cost text)`.execute(store.db);
}

const may = (d: number) => `2026-05-${String(d).padStart(2, '0')}`;

describeEachBackend('month-to-date showback', (store) => {
  let runId: string;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    const s = store();
    await s.db
      .insertInto('team_owner')
      .values([
        { team: 'support', cost_center: 'cc-4210', owner: 'dana', monthly_budget: '100.00', source: 'test' },
        { team: 'sales', cost_center: 'cc-5100', owner: 'lee', monthly_budget: '50.00', source: 'test' },
        { team: 'research', cost_center: 'cc-7000', owner: 'kim', monthly_budget: '10.00', source: 'test' },
      ])
      .execute();
    const april = await insertRun(s, '2026-04', 'succeeded');
    await insertDailyCost(s, april, [['support', '2026-04-10', '79.50'], ['sales', '2026-04-11', '40.00']]);
    await sql`
      insert into run_allocation (run_id, provider, invoice_id, team, component, amount, rule)
      values (${april}, 'openai', 'INV-04', 'support', 'usage', 80.00, 'test'), (${april}, 'openai', 'INV-04', 'sales', 'usage', 41.10, 'test')`.execute(s.db);

    runId = await insertRun(s, '2026-05', 'running');
    const daily: Array<[string | null, string, string]> = [];
    for (let d = 1; d <= 14; d++) {
      daily.push(['support', may(d), '5.00']);
      daily.push(['sales', may(d), d === 10 ? '12.00' : '3.00']);
    }
    daily.push(['support', may(15), '1.00'], [null, may(3), '2.00']);
    await insertDailyCost(s, runId, daily);
    await sql`
      insert into run_team_summary (run_id, team, allocated, mode, mode_reason)
      values (${runId}, 'support', 0, 'showback', 'test')`.execute(s.db);

    const log = createLogger({ logFormat: 'json', logLevel: 'debug' }, {}, (line) => lines.push(JSON.parse(line)));
    await computeShowback(s.db, { runId, period: parsePeriod('2026-05'), now: new Date('2026-05-15T02:00:00Z'), log });
  });

  test('spend to date, forecast, budget share per team', async () => {
    const rows = await selectShowback(store().db, runId);
    const view = rows.map((r) => [r.team, r.prior_month_actual, r.spend_to_date, r.forecast && new Decimal(r.forecast).toFixed(2), r.budget, r.share_used, r.forecast_share, r.forecast_method]);
    assert.deepEqual(view, [
      ['research', '0', '0', '0.00', '10', '0.0000', '0.0000', 'trailing_7_day_average'],
      ['sales', '41.1', '51', '123.86', '50', '1.0200', '2.4771', 'trailing_7_day_average'], // 51 + 30/7 × 17
      ['support', '80', '71', '155.00', '100', '0.7100', '1.5500', 'trailing_7_day_average'], // 70 + 5 × 17
      ['(untagged)', '0', '2', '2.00', null, null, null, 'trailing_7_day_average'],
    ]);
  });

  test('alerts at 80/100% of budget and the 2× spike', async () => {
    const rows = await selectShowback(store().db, runId);
    const alerts = Object.fromEntries(rows.map((r) => [r.team, r.alerts.map((a) => a.alert)]));
    assert.deepEqual(alerts, {
      research: [],
      sales: ['budget_100', 'forecast_100', 'daily_spike'],
      support: ['forecast_100'],
      '(untagged)': [],
    });
    const spike = rows.find((r) => r.team === 'sales')!.alerts.find((a) => a.alert === 'daily_spike');
    assert.deepEqual(spike, { alert: 'daily_spike', day: '2026-05-10', amount: '12.00', threshold: '6.00', rolling_average: '3.00' });
  });

  test('written onto run_team_summary where allocation made a row', async () => {
    const { rows } = await sql<{ team: string; budget: string; forecast: string; alerts: Array<{ alert: string }> }>`
      select team, budget, forecast, alerts from run_team_summary where run_id = ${runId}`.execute(store().db);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.budget, '100');
    assert.equal(new Decimal(rows[0]!.forecast).toFixed(2), '155.00');
    assert.deepEqual(rows[0]!.alerts.map((a) => a.alert), ['forecast_100']);
  });

  test('each alert is a structured warning line', () => {
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => [l.team, l.alert, l.amount]);
    assert.deepEqual(warnings, [
      ['sales', 'budget_100', '51.00'],
      ['sales', 'forecast_100', '123.86'],
      ['sales', 'daily_spike', '12.00'],
      ['support', 'forecast_100', '155.00'],
    ]);
    const summary = lines.find((l) => l.msg === 'showback');
    assert.equal(summary?.teams_over_budget, 1);
  });

  test('the Showback sheet lists every team with its alerts', async () => {
    const sheet = await showbackSheet(store().db, runId);
    assert.equal(sheet.name, 'Showback');
    const rows = sheet.rows as SheetRow[];
    assert.deepEqual(rows.map((r) => r.team), ['research', 'sales', 'support', '(untagged)']);
    assert.equal(rows[1]!.alerts, 'budget 100%: $51.00 of $50.00 (102.00%); forecast 100%: $123.86 of $50.00 (247.71%); spike on 2026-05-10: $12.00 > 2× $3.00');
    assert.ok(sheet.highlight?.(rows[1]!));
  });
});
