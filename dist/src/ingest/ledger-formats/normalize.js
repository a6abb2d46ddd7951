// Pure helpers turning source-specific values into canonical ones (no I/O).
/** A token count as canonical text; null when absent; 'invalid' when not a whole number. */
export function bigCount(value) {
    if (value === null || value === undefined)
        return null;
    const text = value.trim();
    if (text === '')
        return null;
    const match = /^(\d+)(?:\.0*)?$/.exec(text);
    if (!match)
        return 'invalid';
    return BigInt(match[1]).toString();
}
/** Sum of counts (absent counts are 0), exact. */
export function sumCounts(...values) {
    let total = 0n;
    for (const value of values)
        if (value)
            total += BigInt(value);
    return total.toString();
}
// OpenTelemetry `gen_ai.provider.name` values for the names gateways and older conventions use.
const PROVIDERS = {
    openai: 'openai',
    text_completion_openai: 'openai',
    anthropic: 'anthropic',
    bedrock: 'aws.bedrock',
    bedrock_converse: 'aws.bedrock',
    'aws.bedrock': 'aws.bedrock',
    aws_bedrock: 'aws.bedrock',
    azure: 'azure.ai.openai',
    azure_openai: 'azure.ai.openai',
    'az.ai.openai': 'azure.ai.openai',
    'azure.ai.openai': 'azure.ai.openai',
    azure_ai: 'azure.ai.inference',
    'az.ai.inference': 'azure.ai.inference',
    'azure.ai.inference': 'azure.ai.inference',
    vertex_ai: 'gcp.vertex_ai',
    'vertex_ai-language-models': 'gcp.vertex_ai',
    vertex_ai_beta: 'gcp.vertex_ai',
    'gcp.vertex_ai': 'gcp.vertex_ai',
    gemini: 'gcp.gemini',
    'gcp.gemini': 'gcp.gemini',
    'gcp.gen_ai': 'gcp.gen_ai',
    mistral: 'mistral_ai',
    mistral_ai: 'mistral_ai',
    cohere: 'cohere',
    groq: 'groq',
    deepseek: 'deepseek',
    xai: 'x_ai',
    x_ai: 'x_ai',
    perplexity: 'perplexity',
};
export function normalizeProvider(value) {
    if (!value)
        return null;
    const key = value.trim().toLowerCase();
    if (key === '')
        return null;
    return PROVIDERS[key] ?? key;
}
/** OpenAI's 'default'/'auto' is the standard tier; 'scale' was the former name of priority. */
export function normalizeTier(value) {
    if (!value)
        return null;
    const key = value.trim().toLowerCase();
    if (key === '' || key === 'default' || key === 'auto' || key === 'on_demand' || key === 'standard')
        return key === '' ? null : 'standard';
    if (key === 'scale')
        return 'priority';
    return key;
}
/**
 * A source timestamp as RFC 3339. A timestamp without offset is UTC (LiteLLM and most database
 * exports write UTC without saying so); anything else is returned as is for SQL to validate.
 */
export function toRfc3339(value) {
    if (!value)
        return null;
    const text = value.trim();
    const naive = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(text);
    if (naive)
        return `${naive[1]}T${naive[2]}Z`;
    return text;
}
/** Nanoseconds since the epoch (OTLP `startTimeUnixNano`) as RFC 3339 UTC with nanoseconds. */
export function fromUnixNano(value) {
    if (value === null || value === undefined || value === '')
        return null;
    const text = String(value);
    if (!/^\d{1,20}$/.test(text))
        return null;
    const nanos = BigInt(text);
    const millis = nanos / 1000000n;
    const iso = new Date(Number(millis)).toISOString();
    const fraction = (nanos % 1000000000n).toString().padStart(9, '0').replace(/0+$/, '');
    return iso.slice(0, 19) + (fraction ? '.' + fraction : '') + 'Z';
}
const TAG_KEYS = {
    team: 'team',
    service: 'service',
    env: 'environment',
    environment: 'environment',
    workflow: 'workflow',
    cost_center: 'cost_center',
    'cost-center': 'cost_center',
    costcenter: 'cost_center',
};
/** Ownership from `key:value` / `key=value` tags (first tag of each key wins). */
export function ownershipFromTags(tags) {
    const owned = {};
    for (const tag of tags) {
        const match = /^\s*([A-Za-z_-]+)\s*[:=]\s*(.+?)\s*$/.exec(tag);
        if (!match)
            continue;
        const key = TAG_KEYS[match[1].toLowerCase()];
        if (key && owned[key] === undefined)
            owned[key] = match[2];
    }
    return owned;
}
