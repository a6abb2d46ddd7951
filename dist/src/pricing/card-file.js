import { parse } from 'csv-parse/sync';
import { CARD_CATEGORIES, SERVICE_TIERS } from "./rules.js";
/** Names people write for providers -> the OpenTelemetry `gen_ai.provider.name` recon uses. */
const PROVIDER_NAMES = {
    openai: 'openai',
    anthropic: 'anthropic',
    bedrock: 'aws.bedrock',
    aws_bedrock: 'aws.bedrock',
    'aws.bedrock': 'aws.bedrock',
    azure: 'azure.ai.openai',
    azure_openai: 'azure.ai.openai',
    'azure.ai.openai': 'azure.ai.openai',
    'azure.ai.inference': 'azure.ai.inference',
    vertex_ai: 'gcp.vertex_ai',
    'gcp.vertex_ai': 'gcp.vertex_ai',
    gemini: 'gcp.gemini',
    'gcp.gemini': 'gcp.gemini',
    mistral: 'mistral_ai',
    mistral_ai: 'mistral_ai',
    cohere: 'cohere',
    deepseek: 'deepseek',
    groq: 'groq',
    xai: 'x_ai',
    x_ai: 'x_ai',
    perplexity: 'perplexity',
};
export function canonicalProvider(name) {
    return PROVIDER_NAMES[name.trim().toLowerCase()];
}
const DECIMAL = /^\d+(\.\d+)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
/** A date is 00:00 UTC of that day; a time without zone is UTC. Returns ISO text or undefined. */
export function parseInstant(text) {
    const t = text.trim();
    let iso;
    if (DATE_ONLY.test(t))
        iso = `${t}T00:00:00Z`;
    else if (DATE_TIME.test(t))
        iso = /(Z|[+-]\d{2}:?\d{2})$/.test(t) ? t.replace(' ', 'T') : `${t.replace(' ', 'T')}Z`;
    else
        return undefined;
    const date = new Date(iso);
    if (Number.isNaN(date.getTime()))
        return undefined;
    if (DATE_ONLY.test(t) && date.toISOString().slice(0, 10) !== t)
        return undefined;
    return date.toISOString();
}
const REQUIRED_CARD_COLUMNS = ['provider', 'model', 'service_tier', 'token_category', 'unit_price', 'effective_from', 'effective_to', 'card_version', 'source'];
function readCsv(text) {
    const records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true });
    const [header = [], ...rows] = records;
    return { header: header.map((h) => h.toLowerCase()), rows };
}
/** Parses the canonical rate card CSV (see README.md, "Pricing"). */
export function parseRateCardCsv(text) {
    const { header, rows } = readCsv(text);
    const problems = [];
    const missing = REQUIRED_CARD_COLUMNS.filter((c) => !header.includes(c));
    if (missing.length > 0) {
        return { lines: [], cardVersions: [], sources: [], problems: [{ line: 1, field: missing.join(','), value: header.join(','), reason: `missing column(s): ${missing.join(', ')}` }] };
    }
    const lines = [];
    const versions = new Set();
    const sources = new Set();
    rows.forEach((cells, index) => {
        const line = index + 2;
        const get = (column) => {
            const at = header.indexOf(column);
            return at < 0 ? '' : (cells[at] ?? '').trim();
        };
        const bad = (field, reason) => problems.push({ line, field, value: get(field), reason });
        const provider = canonicalProvider(get('provider')) ?? get('provider');
        if (!provider)
            bad('provider', 'provider is empty');
        const model = get('model');
        if (!model)
            bad('model', 'model is empty');
        const tier = get('service_tier') || 'standard';
        if (!SERVICE_TIERS.includes(tier))
            bad('service_tier', `service_tier must be one of ${SERVICE_TIERS.join(', ')}`);
        const category = get('token_category');
        if (!CARD_CATEGORIES.includes(category))
            bad('token_category', `token_category must be one of ${CARD_CATEGORIES.join(', ')}`);
        const price = get('unit_price');
        // An empty price is a missing price, never $0: a 0 must be written as 0.
        if (!DECIMAL.test(price))
            bad('unit_price', price === '' ? 'unit_price is empty (write 0 for a free category)' : 'unit_price must be a non-negative decimal (USD per 1M tokens, or per request)');
        const from = parseInstant(get('effective_from'));
        if (!from)
            bad('effective_from', 'effective_from must be a date (YYYY-MM-DD, 00:00 UTC) or an ISO timestamp');
        const toText = get('effective_to');
        const to = toText === '' ? null : parseInstant(toText);
        if (to === undefined)
            bad('effective_to', 'effective_to must be empty (open) or a date / ISO timestamp');
        if (from && to && to <= from)
            bad('effective_to', 'effective_to must be after effective_from (ranges are [from, to))');
        const minText = get('min_input_tokens') || '0';
        if (!/^\d+$/.test(minText))
            bad('min_input_tokens', 'min_input_tokens must be a whole number of tokens');
        const version = get('card_version');
        if (version)
            versions.add(version);
        const source = get('source');
        if (source)
            sources.add(source);
        if (provider && model && from && to !== undefined && DECIMAL.test(price)) {
            lines.push({
                provider, model, service_tier: tier, token_category: category, region: get('region'), min_input_tokens: minText,
                unit_price: price, effective_from: from, effective_to: to,
            });
        }
    });
    problems.push(...findOverlapsWithin(lines));
    return { lines, cardVersions: [...versions], sources: [...sources], problems };
}
const keyOf = (l) => [l.provider, l.model, l.service_tier, l.token_category, l.region, l.min_input_tokens].join(' / ');
/** Two lines of one file for the same key whose ranges overlap (the database would refuse them). */
export function findOverlapsWithin(lines) {
    const byKey = new Map();
    for (const line of lines)
        byKey.set(keyOf(line), [...(byKey.get(keyOf(line)) ?? []), line]);
    const problems = [];
    for (const [key, group] of byKey) {
        const sorted = [...group].sort((a, b) => a.effective_from.localeCompare(b.effective_from));
        for (let i = 1; i < sorted.length; i++) {
            const prev = sorted[i - 1];
            const next = sorted[i];
            if (prev.effective_to === null || prev.effective_to > next.effective_from) {
                problems.push({
                    line: 0, field: 'effective_from', value: next.effective_from,
                    reason: `${key}: [${prev.effective_from}, ${prev.effective_to ?? 'open'}) overlaps [${next.effective_from}, ${next.effective_to ?? 'open'})`,
                });
            }
        }
    }
    return problems;
}
/** Parses an alias CSV: provider, alias, model, effective_from, effective_to (dates optional). */
export function parseAliasCsv(text) {
    const { header, rows } = readCsv(text);
    const missing = ['provider', 'alias', 'model'].filter((c) => !header.includes(c));
    if (missing.length > 0)
        return { aliases: [], problems: [{ line: 1, field: missing.join(','), value: header.join(','), reason: `missing column(s): ${missing.join(', ')}` }] };
    const problems = [];
    const aliases = [];
    rows.forEach((cells, index) => {
        const line = index + 2;
        const get = (column) => {
            const at = header.indexOf(column);
            return at < 0 ? '' : (cells[at] ?? '').trim();
        };
        const provider = canonicalProvider(get('provider')) ?? get('provider');
        const alias = get('alias');
        const model = get('model');
        if (!provider || !alias || !model) {
            problems.push({ line, field: !provider ? 'provider' : !alias ? 'alias' : 'model', value: '', reason: 'provider, alias and model are required' });
            return;
        }
        const fromText = get('effective_from');
        const toText = get('effective_to');
        const from = fromText ? parseInstant(fromText) : null;
        const to = toText ? parseInstant(toText) : null;
        if (from === undefined)
            problems.push({ line, field: 'effective_from', value: fromText, reason: 'effective_from must be empty or a date / ISO timestamp' });
        else if (to === undefined)
            problems.push({ line, field: 'effective_to', value: toText, reason: 'effective_to must be empty or a date / ISO timestamp' });
        else if (from && to && to <= from)
            problems.push({ line, field: 'effective_to', value: toText, reason: 'effective_to must be after effective_from' });
        else
            aliases.push({ provider, alias, model, effective_from: from, effective_to: to });
    });
    return { aliases, problems };
}
