import { readJsonAt } from "./json-stream.js";
import { bigCount, fromUnixNano, normalizeProvider, normalizeTier, sumCounts } from "./normalize.js";
function scalar(value) {
    if (!value)
        return null;
    if (value.stringValue !== undefined)
        return value.stringValue;
    if (value.intValue !== undefined)
        return String(value.intValue);
    if (value.doubleValue !== undefined)
        return String(value.doubleValue);
    if (value.boolValue !== undefined)
        return String(value.boolValue);
    if (value.arrayValue?.values)
        return value.arrayValue.values.map(scalar).filter((v) => v !== null).join(',');
    return null;
}
function attributes(list) {
    const map = new Map();
    for (const item of list ?? []) {
        const value = scalar(item.value);
        if (value !== null && value !== '')
            map.set(item.key, value);
    }
    return map;
}
// Ownership attribute names, most specific first; span attributes win over resource attributes.
const OWNER_KEYS = {
    team: ['recon.team', 'team', 'team.name', 'gateway.team'],
    service: ['recon.service', 'service.name'],
    environment: ['recon.environment', 'deployment.environment.name', 'deployment.environment'],
    workflow: ['recon.workflow', 'workflow', 'gen_ai.agent.name'],
    cost_center: ['recon.cost_center', 'cost_center', 'cost.center'],
    tenant: ['recon.tenant', 'tenant', 'tenant.id'],
    user_id: ['user.id', 'enduser.id'],
    gateway_key_id: ['gateway.key_id', 'recon.gateway_key_id'],
    region: ['cloud.region', 'recon.region'],
};
export function otelSpanRow(span, resource) {
    const own = attributes(span.attributes);
    const get = (...keys) => {
        for (const key of keys) {
            const value = own.get(key);
            if (value !== undefined)
                return value;
        }
        return null;
    };
    const owner = (keys) => {
        for (const key of keys) {
            const value = own.get(key) ?? resource.get(key);
            if (value !== undefined)
                return value;
        }
        return null;
    };
    const provider = normalizeProvider(get('gen_ai.provider.name', 'gen_ai.system'));
    const inputText = get('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens');
    const outputText = get('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens');
    if (!provider || (inputText === null && outputText === null))
        return null;
    const count = (text) => {
        const value = bigCount(text);
        return value === 'invalid' ? text : value;
    };
    const cacheRead = count(get('gen_ai.usage.cache_read.input_tokens', 'gen_ai.usage.cache_read_input_tokens'));
    const write1h = count(get('gen_ai.usage.cache_creation.ephemeral_1h.input_tokens', 'anthropic.usage.cache_creation.ephemeral_1h_input_tokens'));
    const writeAll = count(get('gen_ai.usage.cache_creation.input_tokens', 'gen_ai.usage.cache_creation_input_tokens'));
    const numeric = (v) => v !== null && /^\d+$/.test(v);
    // Without a TTL split every cache write is a 5-minute write (the default TTL).
    const write5m = numeric(writeAll) ? (BigInt(writeAll) - BigInt(numeric(write1h) ? write1h : '0')).toString() : null;
    let input = count(inputText) ?? '0';
    if (numeric(input) && [cacheRead, write5m, write1h].every((v) => v === null || numeric(v))) {
        const cache = sumCounts(cacheRead, write5m, write1h);
        if (BigInt(input) < BigInt(cache))
            input = sumCounts(input, cache);
    }
    const statusCode = String(span.status?.code ?? '');
    const requestModel = get('gen_ai.request.model');
    return {
        request_id: get('gen_ai.request.id', 'recon.request_id', 'gateway.request_id') ?? span.spanId ?? '',
        timestamp: fromUnixNano(span.startTimeUnixNano) ?? '',
        provider,
        response_model: get('gen_ai.response.model') ?? requestModel ?? '',
        requested_model: requestModel,
        original_request_id: get('recon.original_request_id', 'gateway.original_request_id'),
        attempt: get('recon.attempt', 'gateway.attempt'),
        input_tokens: input,
        output_tokens: count(outputText) ?? '0',
        cache_read_input_tokens: cacheRead,
        cache_write_5m_input_tokens: write5m,
        cache_write_1h_input_tokens: write1h,
        reasoning_output_tokens: count(get('gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_output_tokens')),
        service_tier: normalizeTier(get('openai.response.service_tier', 'gen_ai.openai.response.service_tier', 'openai.request.service_tier', 'gen_ai.openai.request.service_tier')),
        status: statusCode === '2' || statusCode === 'STATUS_CODE_ERROR' ? 'error' : 'ok',
        http_status: get('http.response.status_code'),
        team: owner(OWNER_KEYS.team),
        service: owner(OWNER_KEYS.service),
        environment: owner(OWNER_KEYS.environment),
        workflow: owner(OWNER_KEYS.workflow),
        cost_center: owner(OWNER_KEYS.cost_center),
        tenant: owner(OWNER_KEYS.tenant),
        user_id: owner(OWNER_KEYS.user_id),
        gateway_key_id: owner(OWNER_KEYS.gateway_key_id),
        region: owner(OWNER_KEYS.region),
        provider_response_id: get('gen_ai.response.id'),
        trace_id: span.traceId ?? null,
        conversation_id: get('gen_ai.conversation.id'),
    };
}
export const otelGenAiSpans = {
    name: 'otel',
    kind: 'ledger',
    description: 'OpenTelemetry GenAI spans as OTLP JSON (resourceSpans / scopeSpans / spans)',
    detect(head) {
        const trimmed = head.trimStart();
        return trimmed.startsWith('{') && head.includes('"resourceSpans"');
    },
    async *parse(input) {
        // Spans are numbered in file order (1-based): the "line" of a reject is the span's number.
        let number = 0;
        for await (const value of readJsonAt(input, /^resourceSpans\.\d+$/)) {
            const block = value;
            const resource = attributes(block.resource?.attributes);
            for (const scope of [...(block.scopeSpans ?? []), ...(block.instrumentationLibrarySpans ?? [])]) {
                for (const span of scope.spans ?? []) {
                    number += 1;
                    const row = otelSpanRow(span, resource);
                    if (row)
                        yield { line: number, row };
                }
            }
        }
    },
};
