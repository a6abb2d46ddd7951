// Prices a synthetic month on real PostgreSQL and compares it with a bare scan of the same table.
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/pricing.ts [records=1000000]
// Works in its own database (created and dropped here), never in the one DATABASE_URL names.
import { sql } from 'kysely';
import { openPostgres } from '../src/db/connection.ts';
import { migrate } from '../src/db/migrate.ts';
import { parsePeriod } from '../src/period.ts';
import { priceLedger } from '../src/pricing/price-ledger.ts';
import { rollUpLedgerFiles } from '../src/ingest/ledger-rollup.ts';
import { executeOn } from '../src/db/planner-settings.ts';
import { adminQuery, withDatabase } from './lib/database.ts';

const records = Number(process.argv[2] ?? 1_000_000);
const baseUrl = process.env.DATABASE_URL ?? '';
if (!baseUrl) {
  process.stderr.write('set DATABASE_URL to a PostgreSQL server (the bench creates and drops its own database)\n');
  process.exit(2);
}
const name = `recon_bench_pricing_${process.pid}`;
const url = withDatabase(baseUrl, name);

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function main() {
  await adminQuery(baseUrl, `create database ${name}`);
  const store = await openPostgres(url, { max: 2 });
  try {
    await migrate(store);
    const db = store.db;
    const card = await db.insertInto('rate_card_version').values({ card_version: 'bench-v1', source: 'bench' }).returning('id').executeTakeFirstOrThrow();
    // 8 models x 4 tiers x 5 categories, a mid-month price change on two of them, a long-context tier.
    await sql`
      insert into rate_card_line (card_version_id, provider, model, service_tier, token_category, unit_price, effective_from, effective_to, min_input_tokens)
      select ${card.id}::bigint, m.provider, m.model, t.tier, c.category,
             (m.base * c.factor * t.factor)::numeric(20, 6), r.from_ts, r.to_ts, 0
      from (values ('openai', 'gpt-4o-2024-08-06', 2.5), ('openai', 'gpt-4o-mini-2024-07-18', 0.15), ('openai', 'gpt-5-2025-08-07', 1.25),
                   ('anthropic', 'claude-sonnet-4-5-20250929', 3.0), ('anthropic', 'claude-haiku-4-5-20251001', 1.0),
                   ('aws.bedrock', 'claude-sonnet-4-5-20250929', 3.0), ('azure.ai.openai', 'gpt-4o-2024-08-06', 2.5),
                   ('gcp.vertex_ai', 'gemini-2.5-flash', 0.3)) as m (provider, model, base)
      cross join (values ('standard', 1.0), ('batch', 0.5), ('flex', 0.5), ('priority', 1.7)) as t (tier, factor)
      cross join (values ('input', 1.0), ('cached_input', 0.1), ('cache_write_5m', 1.25), ('cache_write_1h', 2.0), ('output', 4.0)) as c (category, factor)
      cross join lateral (
        select '2026-01-01'::timestamptz as from_ts, case when m.base in (2.5, 3.0) then '2026-05-15'::timestamptz end as to_ts
        union all
        select '2026-05-15'::timestamptz, null where m.base in (2.5, 3.0)
      ) r`.execute(db);
    await sql`
      insert into rate_card_line (card_version_id, provider, model, service_tier, token_category, unit_price, effective_from, min_input_tokens)
      select ${card.id}::bigint, 'anthropic', 'claude-sonnet-4-5-20250929', 'standard', c, p, '2026-01-01', 200000
      from (values ('input', 6), ('output', 22.5)) as x (c, p)`.execute(db);
    const file = await db.insertInto('ingested_file').values({ kind: 'ledger', format: 'bench', path: 'bench', sha256: 'bench', bytes: '0' }).returning('id').executeTakeFirstOrThrow();
    await sql`select ensure_ledger_partitions('2026-05-01', '2026-06-01')`.execute(db);
    let started = process.hrtime.bigint();
    await sql`
      insert into ledger_record (ts, request_id, ingested_file_id, provider, response_model, requested_model, attempt,
        input_tokens, output_tokens, cache_read_input_tokens, cache_write_5m_input_tokens, cache_write_1h_input_tokens,
        reasoning_output_tokens, service_tier, status, team, service, environment, gateway_key_id, gateway_cost_usd, price_card_version)
      select '2026-05-01'::timestamptz + ((i - 1) * (2678400.0 / ${records})) * interval '1 second',
             'r' || i, ${file.id}::bigint,
             (array['openai','openai','openai','anthropic','anthropic','aws.bedrock','azure.ai.openai','gcp.vertex_ai'])[1 + i % 8],
             (array['gpt-4o','gpt-4o-mini-2024-07-18','gpt-5','claude-sonnet-4-5-20250929','claude-haiku-4-5-20251001',
                    'us.anthropic.claude-sonnet-4-5-20250929-v1:0','gpt-4o-2024-08-06','gemini-2.5-flash'])[1 + i % 8],
             null, case when i % 50 = 0 then 2 else 1 end,
             2000 + (i % 7) * 1000 + case when i % 997 = 0 then 250000 else 0 end, 300 + i % 500,
             (i % 3) * 500, case when i % 8 in (3, 4) then 200 else 0 end, case when i % 16 = 3 then 100 else 0 end,
             0, (array['standard','standard','standard','batch','priority','flex'])[1 + i % 6], 'ok',
             -- a gateway key belongs to one team and service, as in a real gateway
             case when i % 10 = 0 then null else 'team-' || (i % 23) end, 'svc-' || (i % 23 % 11), 'production', 'key-' || (i % 23),
             0.01, 'gw-v1'
      from generate_series(1, ${records}) as i`.execute(db);
    await sql`analyze ledger_record`.execute(db);
    process.stdout.write(`filled ${records} records in ${seconds(started).toFixed(1)} s\n`);

    const bare = async () => {
      const t = process.hrtime.bigint();
      await sql`select sum(input_tokens), sum(output_tokens), sum(cache_read_input_tokens), count(*) from ledger_record
                where ts >= '2026-05-01' and ts < '2026-06-01'`.execute(db);
      return seconds(t);
    };
    // the first read after the fill sets every row's hint bits (writing the table once): warm
    // the cache with it so neither figure below pays for that
    await bare();
    // what `recon ingest` does as it stores a file: group its records once for pricing
    started = process.hrtime.bigint();
    await db.transaction().execute((trx) => rollUpLedgerFiles(executeOn(trx), [file.id], '2026-05-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z'));
    const rollUp = seconds(started);
    const scan = await bare();
    const run = await db.insertInto('run').values({ period: '2026-05', status: 'running' }).returning('id').executeTakeFirstOrThrow();
    started = process.hrtime.bigint();
    const counts = await db.transaction().execute((trx) => priceLedger(trx, { runId: run.id, period: parsePeriod('2026-05') }));
    const pricing = seconds(started);
    const scanAfter = await bare();
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from run_cost_cube where run_id = ${run.id}::bigint`.execute(db);
    const bareBest = Math.min(scan, scanAfter);
    process.stdout.write(
      [
        `records            ${records}`,
        `bare scan          ${bareBest.toFixed(2)} s  (${Math.round(records / bareBest)} records/s)`,
        `priceLedger        ${pricing.toFixed(2)} s  (${Math.round(records / pricing)} records/s)`,
        `ratio              ${(pricing / bareBest).toFixed(2)}x the bare scan (target <= 3x)`,
        `roll-up at ingest  ${rollUp.toFixed(2)} s  (${(rollUp / bareBest).toFixed(2)}x the bare scan; once per file, part of ingest)`,
        `cube rows          ${rows[0]!.n}`,
        `counts             ${JSON.stringify(counts)}`,
      ].join('\n') + '\n',
    );
  } finally {
    await store.close();
    if (!process.env.BENCH_KEEP) await adminQuery(baseUrl, `drop database if exists ${name} with (force)`);
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
