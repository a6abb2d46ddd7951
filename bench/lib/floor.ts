import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { LEDGER_COLUMNS } from '../../src/ingest/format.ts';
import { cardLines, invoiceId, type PlantedCauses } from './inputs.ts';
import { runTimed } from './process.ts';

// The floor of the machine, measured in the same run: a bare COPY of the ledger file into a
// table with recon's column types and no index, and one effective-dated pricing aggregate over
// the ledger recon loaded. Also the invoice: what the providers bill for the generated traffic,
// computed set-based from the bare table (so a 10M month never passes through Node).

const TYPES: Partial<Record<(typeof LEDGER_COLUMNS)[number], string>> = {
  timestamp: 'timestamptz',
  input_tokens: 'bigint',
  output_tokens: 'bigint',
  attempt: 'integer',
  cache_read_input_tokens: 'bigint',
  cache_write_5m_input_tokens: 'bigint',
  cache_write_1h_input_tokens: 'bigint',
  reasoning_output_tokens: 'bigint',
  http_status: 'integer',
  gateway_cost_usd: 'numeric',
};

function bareTable(name: string): string {
  return `create table ${name} (${LEDGER_COLUMNS.map((c) => `${c} ${TYPES[c] ?? 'text'}`).join(', ')})`;
}

export async function createFloorTables(client: pg.Client): Promise<void> {
  await client.query('create schema bench_floor');
  await client.query(bareTable('bench_floor.ledger'));
  await client.query(bareTable('bench_floor.billed_only'));
  await client.query(`create table bench_floor.card (provider text, model text, tier text, category text, price numeric, from_ts timestamptz, to_ts timestamptz)`);
}

/** `psql \copy` of a CSV into a bench_floor table: the bare-COPY floor (seconds, wall clock). */
export async function psqlCopy(url: string, table: string, file: string): Promise<{ seconds: number; peakRssMb: number | null }> {
  const command = `\\copy bench_floor.${table} from '${file.replace(/'/g, "''")}' with (format csv, header true)`;
  const result = await runTimed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command], { env: process.env });
  if (result.code !== 0) throw new Error(`psql \\copy into ${table} failed: ${result.stderr.slice(-2000)}`);
  return { seconds: result.seconds, peakRssMb: result.peakRssMb };
}

export async function loadFloorCard(client: pg.Client, period: string): Promise<void> {
  const lines = cardLines(period);
  await client.query(
    `insert into bench_floor.card select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::timestamptz[], $7::timestamptz[])`,
    [
      lines.map((l) => l.provider),
      lines.map((l) => l.model),
      lines.map((l) => l.tier),
      lines.map((l) => l.category),
      lines.map((l) => l.price),
      lines.map((l) => l.from),
      lines.map((l) => (l.to === '' ? null : l.to)),
    ],
  );
}

const CATEGORY_QUANTITIES = `(values
  ('input', u.input_tokens - u.cache_read_input_tokens - u.cache_write_5m_input_tokens - u.cache_write_1h_input_tokens),
  ('cached_input', u.cache_read_input_tokens),
  ('cache_write_5m', u.cache_write_5m_input_tokens),
  ('cache_write_1h', u.cache_write_1h_input_tokens),
  ('output', u.output_tokens)) as q (category, quantity)`;

/**
 * Invoice usage lines per provider, model, token category, tier and UTC day, each rounded to
 * the cent as providers bill: what really happened (the ledger before partial streams were cut
 * and with the gap window back), failed attempts not billed, one team's standard traffic billed
 * as batch.
 */
export async function writeInvoiceFiles(client: pg.Client, dir: string, period: string, planted: PlantedCauses): Promise<{ files: string[]; lines: number; total: string }> {
  const { rows } = await client.query<{ provider: string; model: string; category: string; tier: string; day: string; quantity: string; amount: string }>(
    `with billed as (
       select * from bench_floor.ledger where status <> 'partial'
       union all
       select * from bench_floor.billed_only
     ),
     usage as (
       select provider, response_model as model, timestamp as ts,
              case when provider = $1 and team = $2 and service_tier = 'standard' then 'batch' else service_tier end as tier,
              input_tokens, output_tokens, cache_read_input_tokens, cache_write_5m_input_tokens, cache_write_1h_input_tokens
       from billed where status <> 'error' or not $3::boolean
     )
     select u.provider, u.model, q.category, u.tier, to_char(u.ts at time zone 'UTC', 'YYYY-MM-DD') as day,
            sum(q.quantity)::text as quantity, round(sum(q.quantity * c.price) / 1000000, 2)::text as amount
     from usage u
     cross join lateral ${CATEGORY_QUANTITIES}
     join bench_floor.card c on c.provider = u.provider and c.model = u.model and c.tier = u.tier and c.category = q.category
                             and u.ts >= c.from_ts and (c.to_ts is null or u.ts < c.to_ts)
     where q.quantity > 0
     group by 1, 2, 3, 4, 5
     order by 1, 5, 2, 4, 3`,
    [planted.batch?.provider ?? null, planted.batch?.team ?? null, planted.failedNotBilled],
  );
  const header = 'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type';
  const byProvider = new Map<string, string[]>();
  for (const r of rows) {
    const lines = byProvider.get(r.provider) ?? [];
    lines.push([r.provider, invoiceId(r.provider, period), r.day, r.model, r.category, r.tier, r.quantity, r.amount, 'USD', 'usage'].join(','));
    byProvider.set(r.provider, lines);
  }
  const [year, month] = period.split('-').map(Number) as [number, number];
  const lastDay = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
  const credit = planted.credit ?? { provider: '', share: '0' };
  const sums = await client.query<{ usage: string; credit: string }>(
    `select coalesce(sum(amount::numeric), 0)::text as usage,
            (-greatest(1, round(coalesce(sum(amount::numeric) filter (where provider = $3), 0) * $2::numeric)))::numeric(14, 2)::text as credit
     from unnest($1::text[], $4::text[]) as a (amount, provider)`,
    [rows.map((r) => r.amount), credit.share, credit.provider, rows.map((r) => r.provider)],
  );
  const creditAmount = planted.credit ? sums.rows[0]!.credit : '0';
  if (planted.credit) byProvider.get(credit.provider)?.push([credit.provider, invoiceId(credit.provider, period), lastDay, '', '', 'standard', '', creditAmount, 'USD', 'credit'].join(','));
  const files: string[] = [];
  let lines = 0;
  for (const [provider, body] of [...byProvider.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const file = path.join(dir, `invoice-${provider.replace(/\./g, '-')}-${period}.csv`);
    fs.writeFileSync(file, [header, ...body].join('\n') + '\n');
    files.push(file);
    lines += body.length;
  }
  const total = await client.query<{ total: string }>(`select ($1::numeric + $2::numeric)::text as total`, [sums.rows[0]!.usage, creditAmount]);
  return { files, lines, total: total.rows[0]!.total };
}

/**
 * The pricing floor: one effective-dated join of recon's loaded ledger with its rate card lines,
 * summed. No aliases, owners, tiers fallback or cube: the least any pricing must do.
 */
export async function bareCardAggregate(client: pg.Client, period: string): Promise<{ seconds: number; cost: string; quantities: string }> {
  const [year, month] = period.split('-').map(Number) as [number, number];
  const start = new Date(Date.UTC(year, month - 1, 1)).toISOString();
  const end = new Date(Date.UTC(year, month, 1)).toISOString();
  const started = process.hrtime.bigint();
  const { rows } = await client.query<{ cost: string; quantities: string }>(
    `select sum(q.quantity * c.unit_price / 1000000)::text as cost, count(*)::text as quantities
     from ledger_record u
     cross join lateral ${CATEGORY_QUANTITIES}
     join rate_card_line c on c.provider = u.provider and c.model = u.response_model and c.service_tier = u.service_tier
                          and c.token_category = q.category and c.retired_by_version_id is null
                          and u.ts >= c.effective_from and (c.effective_to is null or u.ts < c.effective_to)
     where u.ts >= $1::timestamptz and u.ts < $2::timestamptz and q.quantity > 0`,
    [start, end],
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, cost: rows[0]!.cost, quantities: rows[0]!.quantities };
}
