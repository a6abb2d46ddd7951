import fs from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { LEDGER_COLUMNS } from '../src/ingest/format.ts';

// A fast, seeded generator of a realistic canonical ledger CSV: several providers and models,
// teams and services, retries tied to their first attempt, cache reads and writes (5m and 1h),
// reasoning tokens, batch traffic and some untagged calls. Same seed, same bytes.
//   npx tsx bench/generate-ledger.ts --requests 1000000 --out /tmp/ledger.csv [--seed 7] [--period 2026-05]

export interface GenerateOptions {
  requests: number;
  out: string;
  seed?: number;
  /** YYYY-MM: timestamps spread over this month (UTC) */
  period?: string;
}

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = [
  { provider: 'openai', model: 'gpt-4o-2024-08-06', requested: 'gpt-4o', weight: 30, cacheStyle: 'read', reasoning: false },
  { provider: 'openai', model: 'gpt-4o-mini-2024-07-18', requested: 'gpt-4o-mini', weight: 25, cacheStyle: 'read', reasoning: false },
  { provider: 'openai', model: 'o3-2025-04-16', requested: 'o3', weight: 5, cacheStyle: 'read', reasoning: true },
  { provider: 'anthropic', model: 'claude-sonnet-4-5-20250929', requested: 'claude-sonnet-4-5', weight: 20, cacheStyle: 'write', reasoning: false },
  { provider: 'aws.bedrock', model: 'claude-sonnet-4-5-20250929', requested: 'claude-sonnet-4-5', weight: 10, cacheStyle: 'write', reasoning: false },
  { provider: 'gcp.vertex_ai', model: 'gemini-2.5-flash', requested: 'gemini-2.5-flash', weight: 10, cacheStyle: 'read', reasoning: true },
] as const;
const TEAMS = [
  { team: 'support', service: 'triage', key: 'key-support' },
  { team: 'sales', service: 'copilot', key: 'key-sales' },
  { team: 'agent-platform', service: 'planner', key: 'key-agent' },
  { team: 'search', service: 'rerank', key: 'key-search' },
  { team: 'finance-ops', service: 'close-assistant', key: 'key-finops' },
] as const;

function pick<T extends { weight: number }>(items: readonly T[], r: number): T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let x = r * total;
  for (const item of items) {
    x -= item.weight;
    if (x < 0) return item;
  }
  return items[items.length - 1]!;
}

/** Writes `requests` ledger records (retries included in the count) and resolves when flushed. */
export async function generateLedger(options: GenerateOptions): Promise<{ path: string; records: number; bytes: number }> {
  const random = mulberry32(options.seed ?? 20260501);
  const [year, month] = (options.period ?? '2026-05').split('-').map(Number) as [number, number];
  const start = Date.UTC(year, month - 1, 1);
  const span = Date.UTC(year, month, 1) - start;
  const out = fs.createWriteStream(options.out, { highWaterMark: 1 << 20 });
  const index = new Map(LEDGER_COLUMNS.map((c, i) => [c, i] as const));
  let buffer = LEDGER_COLUMNS.join(',') + '\n';
  let written = 0;
  let attemptsLeft = 0;
  let firstId = '';
  let attempt = 0;
  let ts = 0;
  const row: string[] = new Array(LEDGER_COLUMNS.length).fill('');
  const set = (column: (typeof LEDGER_COLUMNS)[number], value: string) => (row[index.get(column)!] = value);
  let model: (typeof MODELS)[number] = MODELS[0];
  let owner: (typeof TEAMS)[number] = TEAMS[0];
  let untagged = false;
  let tier = 'standard';
  for (let n = 1; n <= options.requests; n++) {
    if (attemptsLeft === 0) {
      model = pick(MODELS, random());
      owner = TEAMS[Math.floor(random() * TEAMS.length)]!;
      untagged = random() < 0.04;
      tier = random() < 0.08 ? 'batch' : random() < 0.02 ? 'flex' : 'standard';
      // about 3% of requests are retried once or twice
      attemptsLeft = random() < 0.03 ? 2 + Math.floor(random() * 2) : 1;
      attempt = 0;
      ts = start + Math.floor(random() * (span - 60_000));
      firstId = `req-${(options.seed ?? 0).toString(36)}-${n.toString(36)}`;
    }
    attempt += 1;
    attemptsLeft -= 1;
    const isLast = attemptsLeft === 0;
    const requestId = attempt === 1 ? firstId : `${firstId}-a${attempt}`;
    const cacheRead = random() < 0.35 ? Math.floor(random() * 4000) : 0;
    const write = model.cacheStyle === 'write' && random() < 0.15 ? Math.floor(random() * 2000) : 0;
    const write1h = write > 0 && random() < 0.3 ? write : 0;
    const input = cacheRead + write + 50 + Math.floor(random() * 3000);
    const reasoning = model.reasoning ? Math.floor(random() * 2000) : 0;
    const output = reasoning + Math.floor(random() * 800);
    row.fill('');
    set('request_id', requestId);
    set('timestamp', new Date(ts + (attempt - 1) * 1500 + Math.floor(random() * 1000)).toISOString());
    set('provider', model.provider);
    set('response_model', model.model);
    set('input_tokens', String(input));
    set('output_tokens', String(isLast ? output : 0));
    if (attempt > 1) set('original_request_id', firstId);
    set('attempt', String(attempt));
    set('requested_model', model.requested);
    set('cache_read_input_tokens', String(cacheRead));
    set('cache_write_5m_input_tokens', String(write - write1h));
    set('cache_write_1h_input_tokens', String(write1h));
    set('reasoning_output_tokens', String(isLast ? reasoning : 0));
    set('service_tier', tier);
    set('status', isLast ? 'ok' : 'error');
    set('http_status', isLast ? '200' : '529');
    if (!untagged) {
      set('team', owner.team);
      set('service', owner.service);
    }
    set('environment', 'production');
    set('gateway_key_id', owner.key);
    set('gateway_cost_usd', ((input + output) * 0.0000025).toFixed(8));
    set('trace_id', firstId);
    buffer += row.join(',') + '\n';
    if (buffer.length > 1 << 20) {
      written += buffer.length;
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  written += buffer.length;
  out.end(buffer);
  await once(out, 'finish');
  return { path: options.out, records: options.requests, bytes: written };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const requests = Number(flag(args, 'requests') ?? '1000000');
  const out = flag(args, 'out') ?? `ledger-${requests}.csv`;
  if (!Number.isInteger(requests) || requests <= 0) throw new Error('--requests must be a positive whole number');
  const started = Date.now();
  const result = await generateLedger({ requests, out, seed: Number(flag(args, 'seed') ?? '20260501'), period: flag(args, 'period') });
  process.stderr.write(`wrote ${result.records} records (${(result.bytes / 1e6).toFixed(1)} MB) to ${result.path} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
