import { Decimal } from "../../money.js";
import { headerOf, normalizeHeader, readCsvRecords } from "../csv-records.js";
import { jsonScalar } from "./canonical.js";
import { peekHead, readJsonRecords } from "./json-stream.js";
import { allInput, readPrompt, settleUndecided } from "./litellm-prompt.js";
import { bigCount, normalizeProvider, normalizeTier, ownershipFromTags, toRfc3339 } from "./normalize.js";
// LiteLLM proxy `LiteLLM_SpendLogs` rows, exported as CSV (JSON columns as text) or JSON (array
// or JSON Lines). LiteLLM reports usage in OpenAI's shape whatever the provider: prompt_tokens
// include cached tokens, completion_tokens include reasoning. The cache split comes from
// metadata.usage_object (OpenAI `prompt_tokens_details.cached_tokens` or Anthropic-style
// `cache_read_input_tokens` / `cache_creation_input_tokens`, `cache_creation.ephemeral_1h_input_tokens`).
const SIGNATURE = ['request_id', 'starttime', 'prompt_tokens', 'completion_tokens'];
function asObject(value) {
    if (typeof value === 'string') {
        if (!value.trim().startsWith('{'))
            return undefined;
        try {
            return asObject(JSON.parse(value));
        }
        catch {
            return undefined;
        }
    }
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}
function asTags(value) {
    if (Array.isArray(value))
        return value.map((v) => String(v));
    if (typeof value === 'string' && value.trim() !== '') {
        try {
            return asTags(JSON.parse(value));
        }
        catch {
            return value.split(/[;,]/).map((v) => v.trim()).filter(Boolean);
        }
    }
    return [];
}
function at(object, ...path) {
    let current = object;
    for (const key of path)
        current = asObject(current)?.[key];
    return current;
}
/** Provider-prefixed model names ("bedrock/us.anthropic...", "azure/gpt-4o") lose the route prefix. */
function stripRoute(model) {
    if (!model)
        return model;
    const slash = model.indexOf('/');
    return slash > 0 && /^[a-z_]+$/.test(model.slice(0, slash)) ? model.slice(slash + 1) : model;
}
/** One SpendLogs row (keys as exported, any case) to a canonical ledger row, or why it cannot be. */
export function litellmRow(source) {
    const lower = {};
    for (const [key, value] of Object.entries(source))
        lower[key.toLowerCase()] = value;
    const text = (key) => {
        const value = jsonScalar(lower[key]);
        return value === null || value.trim() === '' ? null : value.trim();
    };
    const metadata = asObject(lower.metadata);
    const usage = asObject(at(metadata, 'usage_object')) ?? asObject(lower.usage_object);
    const additional = asObject(at(metadata, 'additional_usage_values'));
    const prompt = bigCount(text('prompt_tokens'));
    const completion = bigCount(text('completion_tokens'));
    if (prompt === 'invalid')
        return { field: 'prompt_tokens', value: text('prompt_tokens') ?? '', reason: 'not a whole number of tokens' };
    if (completion === 'invalid')
        return { field: 'completion_tokens', value: text('completion_tokens') ?? '', reason: 'not a whole number of tokens' };
    const firstCount = (...values) => {
        for (const value of values) {
            const count = bigCount(jsonScalar(value));
            if (count !== null && count !== 'invalid')
                return count;
        }
        return null;
    };
    const cacheRead = firstCount(at(usage, 'prompt_tokens_details', 'cached_tokens'), at(usage, 'cache_read_input_tokens'), at(additional, 'cache_read_input_tokens'), lower.cache_read_input_tokens);
    const write1h = firstCount(at(usage, 'cache_creation', 'ephemeral_1h_input_tokens'), at(additional, 'cache_creation', 'ephemeral_1h_input_tokens'));
    const writeAll = firstCount(at(usage, 'cache_creation_input_tokens'), at(additional, 'cache_creation_input_tokens'), lower.cache_creation_input_tokens);
    const write5mExplicit = firstCount(at(usage, 'cache_creation', 'ephemeral_5m_input_tokens'), at(additional, 'cache_creation', 'ephemeral_5m_input_tokens'));
    // Anthropic bills 5-minute and 1-hour writes differently; without the split every write is 5m,
    // the default TTL.
    const write5m = write5mExplicit ?? (writeAll !== null ? (BigInt(writeAll) - BigInt(write1h ?? '0')).toString() : null);
    const reasoning = firstCount(at(usage, 'completion_tokens_details', 'reasoning_tokens'));
    // What prompt_tokens held depends on the LiteLLM release (litellm-prompt.ts): the row's numbers
    // decide where they can; an undecided row is inclusive until the file's reader settles it.
    const total = bigCount(text('total_tokens'));
    const uncachedText = bigCount(jsonScalar(at(usage, 'prompt_tokens_details', 'text_tokens')));
    const counts = {
        prompt: BigInt(prompt ?? '0'), completion: BigInt(completion ?? '0'), cacheRead: BigInt(cacheRead ?? '0'),
        cacheWrites: BigInt(write5m ?? '0') + BigInt(write1h ?? '0'),
        total: total === null || total === 'invalid' ? null : BigInt(total),
        text: uncachedText === null || uncachedText === 'invalid' ? null : BigInt(uncachedText),
    };
    const read = readPrompt(counts);
    const input = allInput(counts, read === null || read === 'undecided' ? null : read.reading).toString();
    const tags = asTags(lower.request_tags);
    const owned = ownershipFromTags(tags);
    const spend = plainDecimal(text('spend'));
    const status = text('status')?.toLowerCase();
    const row = {
        request_id: text('request_id') ?? '',
        timestamp: toRfc3339(text('starttime')) ?? '',
        provider: normalizeProvider(text('custom_llm_provider')) ?? '',
        response_model: stripRoute(text('model')) ?? stripRoute(text('model_group')) ?? '',
        requested_model: text('model_group'),
        input_tokens: input,
        output_tokens: completion ?? '0',
        cache_read_input_tokens: cacheRead,
        cache_write_5m_input_tokens: write5m,
        cache_write_1h_input_tokens: write1h,
        reasoning_output_tokens: reasoning,
        service_tier: normalizeTier(jsonScalar(at(usage, 'service_tier')) ?? jsonScalar(at(metadata, 'service_tier'))),
        status: status === 'failure' || status === 'error' ? 'error' : 'ok',
        team: text('team_id') ?? jsonScalar(at(metadata, 'user_api_key_team_id')) ?? owned.team ?? null,
        service: owned.service ?? null,
        cost_center: owned.cost_center ?? null,
        environment: owned.environment ?? null,
        workflow: owned.workflow ?? null,
        tenant: text('organization_id') ?? jsonScalar(at(metadata, 'user_api_key_org_id')),
        user_id: text('end_user') ?? text('user'),
        gateway_key_id: text('api_key'),
        gateway_cost_usd: spend,
        trace_id: text('trace_id'),
        conversation_id: text('session_id'),
        provider_response_id: jsonScalar(at(asObject(lower.response), 'id')),
    };
    return { row, counts, prompt: read };
}
/**
 * Reads a file's rows in order, noting how each row's prompt_tokens were read. Under
 * --litellm-cache-writes auto an undecided row waits for the end of the file, where the rows
 * the numbers decided (per provider) settle it; with the flag set it is settled at once.
 */
export class SpendLogsReader {
    flag;
    readings;
    waiting = [];
    decided = new Map();
    constructor(flag, readings) {
        this.flag = flag;
        this.readings = readings;
    }
    /** The parsed rows `source` gives now (none while it waits). */
    read(line, source) {
        const read = litellmRow(source);
        if (isReject(read))
            return [{ line, reject: read }];
        if (read.prompt === 'undecided') {
            if (this.flag === 'auto') {
                this.waiting.push({ line, read });
                return [];
            }
            return [this.settle(line, read, settleUndecided(this.flag, undefined))];
        }
        if (read.prompt) {
            this.readings?.note(read.prompt.reading, read.prompt.basis, line);
            if (read.counts.cacheWrites > 0n) {
                const seen = this.decided.get(read.row.provider) ?? new Set();
                seen.add(read.prompt.reading);
                this.decided.set(read.row.provider, seen);
            }
        }
        return [{ line, row: read.row }];
    }
    /** The waiting rows, settled by what the file showed. */
    *finish() {
        for (const { line, read } of this.waiting)
            yield this.settle(line, read, settleUndecided(this.flag, this.decided.get(read.row.provider)));
        this.waiting.length = 0;
    }
    settle(line, read, how) {
        this.readings?.note(how.reading, how.basis, line);
        return { line, row: { ...read.row, input_tokens: allInput(read.counts, how.reading).toString() } };
    }
}
/** LiteLLM's spend is a float: exported as 1.2e-05 it becomes the decimal text 0.000012. */
function plainDecimal(text) {
    if (text === null || !/^-?\d+(\.\d+)?[eE][-+]?\d+$/.test(text))
        return text;
    return new Decimal(text).toFixed();
}
function isReject(value) {
    return 'reason' in value && !('row' in value);
}
export const litellmSpendLogs = {
    name: 'litellm',
    kind: 'ledger',
    description: 'LiteLLM proxy SpendLogs rows exported as CSV, JSON array or JSON Lines',
    detect(head) {
        const trimmed = head.trimStart();
        if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
            const lower = head.slice(0, 8192).toLowerCase();
            return lower.includes('"starttime"') && lower.includes('"prompt_tokens"') && lower.includes('"request_id"');
        }
        const header = headerOf(head);
        return SIGNATURE.every((column) => header.includes(column));
    },
    async *parse(input, context) {
        const reader = new SpendLogsReader(context.litellmCacheWrites ?? 'auto', context.promptReadings);
        // Peek at the first bytes to choose CSV or JSON, then replay them.
        const { head, replay } = await peekHead(input);
        if (head.trim() === '')
            return;
        const first = head.trimStart()[0];
        if (first === '[' || first === '{') {
            for await (const item of readJsonRecords(replay, head)) {
                if ('error' in item) {
                    yield { line: item.line, reject: { reason: item.error, raw: item.raw } };
                    continue;
                }
                const object = asObject(item.value);
                if (!object) {
                    yield { line: item.line, reject: { reason: 'expected a JSON object per SpendLogs row' } };
                    continue;
                }
                yield* reader.read(item.line, object);
            }
            yield* reader.finish();
            return;
        }
        let header;
        for await (const record of readCsvRecords(replay)) {
            if ('error' in record) {
                yield { line: record.line, reject: { reason: `unreadable CSV record: ${record.error}` } };
                continue;
            }
            if (!header) {
                header = normalizeHeader(record.fields);
                continue;
            }
            if (record.fields.length !== header.length) {
                yield { line: record.line, reject: { reason: `expected ${header.length} fields, found ${record.fields.length}` } };
                continue;
            }
            const object = {};
            header.forEach((name, i) => (object[name] = record.fields[i]));
            yield* reader.read(record.line, object);
        }
        yield* reader.finish();
    },
};
