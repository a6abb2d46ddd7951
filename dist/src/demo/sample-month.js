import fs from 'node:fs';
import path from 'node:path';
import { Decimal, ZERO } from "../money.js";
import { LEDGER_COLUMNS } from "../ingest/format.js";
/**
 * A realistic, seeded sample month for `recon demo`: several providers and teams, retries,
 * cache tokens, a batch job, a price change mid-month, a fallback, partial streams, untagged
 * staging calls on a shared production key, an ingestion gap, and a provider credit. The
 * invoice is what the providers would bill for the same traffic, so every planted difference
 * shows up as a variance cause.
 */
export const DEMO_PERIOD = '2026-05';
const OPENAI_GPT4O = 'gpt-4o-2024-08-06';
const OPENAI_MINI = 'gpt-4o-mini-2024-07-18';
const SONNET = 'claude-sonnet-4-5-20250929';
const HAIKU = 'claude-haiku-4-5-20251001';
const MONTH_START = '2026-05-01T00:00:00Z';
const PRICE_CHANGE = '2026-05-15T00:00:00Z';
/** Prices in USD per 1M tokens, from the providers' public price lists. */
function cardLines() {
    const open = (provider, model, tier, prices, from = '2026-01-01T00:00:00Z', to = '') => Object.entries(prices).map(([category, price]) => ({ provider, model, tier, category: category, price: price, from, to }));
    return [
        ...open('openai', OPENAI_GPT4O, 'standard', { input: '2.50', cached_input: '1.25', output: '10.00' }),
        ...open('openai', OPENAI_GPT4O, 'batch', { input: '1.25', cached_input: '0.625', output: '5.00' }),
        // a price cut takes effect mid-month: records before the 15th keep the old price
        ...open('openai', OPENAI_MINI, 'standard', { input: '0.15', cached_input: '0.075', output: '0.60' }, '2026-01-01T00:00:00Z', PRICE_CHANGE),
        ...open('openai', OPENAI_MINI, 'standard', { input: '0.12', cached_input: '0.06', output: '0.48' }, PRICE_CHANGE),
        ...open('anthropic', SONNET, 'standard', { input: '3.00', cached_input: '0.30', cache_write_5m: '3.75', cache_write_1h: '6.00', output: '15.00' }),
        ...open('anthropic', HAIKU, 'standard', { input: '1.00', cached_input: '0.10', cache_write_5m: '1.25', cache_write_1h: '2.00', output: '5.00' }),
        ...open('aws.bedrock', SONNET, 'standard', { input: '3.00', cached_input: '0.30', cache_write_5m: '3.75', output: '15.00' }),
    ];
}
export function rateCardCsv() {
    const header = 'provider,model,service_tier,token_category,unit_price,effective_from,effective_to,card_version,source';
    const rows = cardLines().map((l) => [l.provider, l.model, l.tier, l.category, l.price, l.from, l.to, 'demo-2026-05', 'public price lists'].join(','));
    return [header, ...rows].join('\n') + '\n';
}
export function ownersCsv() {
    return [
        'team,cost_center,owner,monthly_budget',
        'support,cc-4210,dana@example.com,2500.00',
        'sales,cc-5100,lee@example.com,6000.00',
        'agents,cc-6000,sam@example.com,3000.00',
        'research,cc-7000,kim@example.com,1500.00',
        'platform,cc-1000,platform@example.com,500.00',
    ].join('\n') + '\n';
}
export function gatewayKeysCsv() {
    return [
        'gateway_key_id,team,service,environment',
        'key-support,support,ticket-triage,production',
        'key-sales,sales,proposal-writer,production',
        'key-agents,agents,ops-agent,production',
        'key-research,research,eval-runner,production',
    ].join('\n') + '\n';
}
/** mulberry32: small, fast, seeded; the same seed gives the same month. */
function random(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const WORKLOADS = [
    { team: 'support', service: 'ticket-triage', workflow: 'case_summary_v3', key: 'key-support', environment: 'production', provider: 'openai', model: OPENAI_MINI, perDay: 1600, input: [600, 1800], output: [80, 260], cacheRead: 0.3 },
    { team: 'sales', service: 'proposal-writer', workflow: 'proposal_draft', key: 'key-sales', environment: 'production', provider: 'anthropic', model: SONNET, perDay: 260, input: [12000, 60000], output: [1500, 4000], cacheRead: 0.5, cacheWrite5m: 0.1, cacheWrite1h: 0.05, partialRate: 0.03 },
    { team: 'sales', service: 'proposal-writer', workflow: 'proposal_draft', key: 'key-sales', environment: 'production', provider: 'openai', model: OPENAI_GPT4O, perDay: 20, input: [6000, 20000], output: [900, 2200], fallbackFrom: SONNET },
    { team: 'agents', service: 'ops-agent', workflow: 'incident_runbook', key: 'key-agents', environment: 'production', provider: 'openai', model: OPENAI_GPT4O, perDay: 600, input: [4000, 16000], output: [200, 900], cacheRead: 0.2, retryRate: 0.06 },
    { team: 'research', service: 'eval-runner', workflow: 'nightly_evals', key: 'key-research', environment: 'production', provider: 'openai', model: OPENAI_GPT4O, perDay: 90, input: [3000, 12000], output: [400, 1500], billedTier: 'batch' },
    { team: 'research', service: 'eval-runner', workflow: 'claude_evals', key: 'key-research', environment: 'production', provider: 'aws.bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', perDay: 90, input: [4000, 15000], output: [500, 1800], cacheRead: 0.25 },
    { team: 'support', service: 'kb-search', workflow: 'answer_rerank', key: 'key-support', environment: 'production', provider: 'anthropic', model: HAIKU, perDay: 450, input: [1500, 5000], output: [100, 400], cacheRead: 0.4 },
    // untagged: a staging service calling through the shared production key
    { team: null, service: 'staging-summarizer', workflow: 'summarize', key: 'key-prod-shared', environment: 'staging', provider: 'openai', model: OPENAI_GPT4O, perDay: 70, input: [3000, 9000], output: [300, 900] },
];
/** Hours on the 12th when the gateway's log shipper was down: billed, never logged. */
const GAP = { from: Date.parse('2026-05-12T10:00:00Z'), to: Date.parse('2026-05-12T14:00:00Z') };
const MILLION = new Decimal(1_000_000);
function canonicalBilledModel(provider, model) {
    return provider === 'aws.bedrock' ? SONNET : model;
}
function priceOf(lines, provider, model, tier, category, at) {
    const line = lines.find((l) => l.provider === provider && l.model === model && l.tier === tier && l.category === category && Date.parse(l.from) <= at && (l.to === '' || at < Date.parse(l.to)));
    if (!line)
        throw new Error(`demo card has no price for ${provider} ${model} ${tier} ${category}`);
    return new Decimal(line.price);
}
function csvField(value) {
    if (value === null || value === undefined)
        return '';
    return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
/** Writes the sample month's input files into `dir` and returns their paths. */
export function writeSampleMonth(dir, seed = 20260501) {
    fs.mkdirSync(dir, { recursive: true });
    const next = random(seed);
    const between = ([lo, hi]) => Math.floor(lo + next() * (hi - lo));
    const lines = cardLines();
    const billed = new Map();
    const bill = (key, quantity, price) => {
        if (quantity <= 0)
            return;
        const id = `${key.provider}|${key.model}|${key.category}|${key.tier}|${key.day}`;
        const entry = billed.get(id) ?? { key, quantity: ZERO, amount: ZERO };
        entry.quantity = entry.quantity.plus(quantity);
        entry.amount = entry.amount.plus(price.times(quantity).dividedBy(MILLION));
        billed.set(id, entry);
    };
    const ledgerPath = path.join(dir, 'gateway-ledger-2026-05.csv');
    const out = [LEDGER_COLUMNS.join(',')];
    let sequence = 0;
    let records = 0;
    const start = Date.parse(MONTH_START);
    for (let day = 0; day < 31; day++) {
        const dayStart = start + day * 86_400_000;
        const weekday = new Date(dayStart).getUTCDay();
        const weekendFactor = weekday === 0 || weekday === 6 ? 0.45 : 1;
        for (const w of WORKLOADS) {
            const count = Math.round(w.perDay * weekendFactor * (0.85 + next() * 0.3));
            for (let i = 0; i < count; i++) {
                const ts = dayStart + Math.floor(next() * 86_400_000);
                const input = between(w.input);
                const output = between(w.output);
                // shares stay below 1 in total (at most 0.75 + 0.1 + 0.05), so uncached input is never negative
                const cacheRead = Math.floor(input * (w.cacheRead ?? 0) * (0.5 + next()));
                const write5m = Math.floor(input * (w.cacheWrite5m ?? 0) * next());
                const write1h = Math.floor(input * (w.cacheWrite1h ?? 0) * next());
                const requestId = `req-${(++sequence).toString(36).padStart(7, '0')}`;
                const attempts = w.retryRate && next() < w.retryRate ? 1 + Math.ceil(next() * 2) : 0;
                const partial = w.partialRate !== undefined && next() < w.partialRate;
                const billedModel = canonicalBilledModel(w.provider, w.model);
                const dayText = new Date(dayStart).toISOString().slice(0, 10);
                const inGap = ts >= GAP.from && ts < GAP.to;
                // failed attempts before the success: logged by the gateway, not billed by the provider
                for (let a = 1; a <= attempts; a++) {
                    const failedAt = ts - (attempts - a + 1) * 2_000;
                    if (!inGap) {
                        out.push(ledgerLine({ request_id: `${requestId}-a${a}`, original_request_id: a === 1 ? null : requestId, attempt: String(a), timestamp: new Date(failedAt).toISOString(), w, input, output: 0, cacheRead: 0, write5m: 0, write1h: 0, status: 'error', http: '500' }));
                        records++;
                    }
                }
                const attempt = attempts > 0 ? attempts + 1 : 1;
                // a partial stream: the gateway logged the tokens it saw, the provider billed them all
                const loggedOutput = partial ? Math.floor(output * 0.2) : output;
                if (!inGap) {
                    out.push(ledgerLine({
                        request_id: attempts > 0 ? `${requestId}-a${attempt}` : requestId,
                        original_request_id: attempts > 0 ? requestId : null,
                        attempt: String(attempt),
                        timestamp: new Date(ts).toISOString(),
                        w,
                        input,
                        output: loggedOutput,
                        cacheRead,
                        write5m,
                        write1h,
                        status: partial ? 'partial' : 'ok',
                        http: '200',
                    }));
                    records++;
                }
                const tier = w.billedTier ?? 'standard';
                const at = ts;
                const uncached = input - cacheRead - write5m - write1h;
                const k = (category) => ({ provider: w.provider, model: billedModel, category, tier, day: dayText });
                bill(k('input'), uncached, priceOf(lines, w.provider, billedModel, tier, 'input', at));
                bill(k('cached_input'), cacheRead, priceOf(lines, w.provider, billedModel, tier, 'cached_input', at));
                if (write5m > 0)
                    bill(k('cache_write_5m'), write5m, priceOf(lines, w.provider, billedModel, tier, 'cache_write_5m', at));
                if (write1h > 0)
                    bill(k('cache_write_1h'), write1h, priceOf(lines, w.provider, billedModel, tier, 'cache_write_1h', at));
                bill(k('output'), output, priceOf(lines, w.provider, billedModel, tier, 'output', at));
            }
        }
    }
    fs.writeFileSync(ledgerPath, out.join('\n') + '\n');
    // One invoice per provider; each line rounded to the cent as providers bill.
    const invoiceHeader = 'provider,invoice_id,charge_date,model,token_category,service_tier,quantity,amount,currency,line_type';
    const byProvider = new Map();
    for (const { key, quantity, amount } of [...billed.values()].sort((a, b) => keyText(a.key).localeCompare(keyText(b.key)))) {
        const linesOut = byProvider.get(key.provider) ?? [];
        linesOut.push([key.provider, invoiceId(key.provider), key.day, key.model, key.category, key.tier, quantity.toFixed(0), amount.toFixed(2), 'USD', 'usage'].join(','));
        byProvider.set(key.provider, linesOut);
    }
    byProvider.get('anthropic')?.push(['anthropic', invoiceId('anthropic'), '2026-05-31', '', '', 'standard', '', '-25.00', 'USD', 'credit'].join(','));
    const invoices = [];
    for (const [provider, linesOut] of [...byProvider.entries()].sort()) {
        const file = path.join(dir, `invoice-${provider.replace(/\./g, '-')}-2026-05.csv`);
        fs.writeFileSync(file, [invoiceHeader, ...linesOut].join('\n') + '\n');
        invoices.push(file);
    }
    const rateCard = path.join(dir, 'rate-card-2026-05.csv');
    fs.writeFileSync(rateCard, rateCardCsv());
    const owners = path.join(dir, 'owners.csv');
    fs.writeFileSync(owners, ownersCsv());
    const gatewayKeys = path.join(dir, 'gateway-keys.csv');
    fs.writeFileSync(gatewayKeys, gatewayKeysCsv());
    return { dir, ledger: ledgerPath, invoices, rateCard, owners, gatewayKeys, records };
}
function keyText(k) {
    return `${k.provider}|${k.day}|${k.model}|${k.tier}|${k.category}`;
}
function invoiceId(provider) {
    return `${provider.toUpperCase().replace(/\./g, '-')}-INV-2026-05`;
}
function ledgerLine(r) {
    const row = {
        request_id: r.request_id,
        timestamp: r.timestamp,
        provider: r.w.provider,
        response_model: r.w.model,
        input_tokens: String(r.input),
        output_tokens: String(r.output),
        original_request_id: r.original_request_id,
        attempt: r.attempt,
        requested_model: r.w.fallbackFrom ?? r.w.model,
        cache_read_input_tokens: String(r.cacheRead),
        cache_write_5m_input_tokens: String(r.write5m),
        cache_write_1h_input_tokens: String(r.write1h),
        reasoning_output_tokens: '0',
        service_tier: 'standard',
        status: r.status,
        http_status: r.http,
        team: r.w.team,
        service: r.w.service,
        cost_center: null,
        tenant: null,
        environment: r.w.environment,
        workflow: r.w.workflow,
        user_id: null,
        gateway_key_id: r.w.key,
        region: r.w.provider === 'aws.bedrock' ? 'us-east-1' : null,
        price_card_version: 'demo-2026-05',
        gateway_cost_usd: null,
        provider_response_id: `resp_${r.request_id}`,
        trace_id: null,
        conversation_id: null,
    };
    return LEDGER_COLUMNS.map((c) => csvField(row[c] ?? null)).join(',');
}
