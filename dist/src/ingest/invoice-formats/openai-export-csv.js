import { isBlank } from "./common.js";
import { snakeHeader, splitHeaderLine, streamCsv } from "./csv-rows.js";
import { readOpenAiSku, toOpenAiCostLine } from "./openai-costs.js";
import { toOpenAiUsageRows } from "./openai-usage.js";
import { loadSkuMapping, skuMapper } from "./sku-mapping.js";
// The CSVs the OpenAI platform's Usage page exports (Usage → Export): the cost CSV
// (start_time, end_time, start_time_iso, end_time_iso, amount_value, amount_currency, line_item,
// project_id, …) and the usage CSV (…, num_model_requests, model, batch, service_tier,
// input_tokens, input_cached_tokens, input_uncached_tokens, …). They are the Costs and Usage API
// buckets flattened to one row per result, so each row is rebuilt as the API's bucket + result
// and read by the same code: one meaning of a line item and of a token count.
// The export writes counts as floats (`59200.0`), booleans as TRUE/FALSE, and a day without
// spend as a row holding only the time columns (skipped: there is nothing to reconcile).
const TIME_COLUMNS = new Set(['start_time', 'end_time', 'start_time_iso', 'end_time_iso']);
const COST_COLUMNS = ['start_time_iso', 'amount_value', 'line_item'];
const USAGE_COLUMNS = ['start_time_iso', 'num_model_requests', 'input_tokens'];
function columnsOf(head) {
    if (/^\s*[[{]/.test(head))
        return new Set();
    return new Set(splitHeaderLine(head).map(snakeHeader));
}
/** The bucket start as Unix seconds: the `start_time` cell (`1746057600` or `1746057600.0`), else the ISO time. */
function bucketOf(r) {
    const seconds = r.get('start_time')?.trim() ?? '';
    if (/^\d+(\.0*)?$/.test(seconds))
        return { start_time: seconds.replace(/\.0*$/, '') };
    const iso = Date.parse(r.get('start_time_iso') ?? '');
    return { start_time: Number.isNaN(iso) ? seconds : String(Math.floor(iso / 1000)) };
}
/** The row's non-time cells as an API result; null for a day without spend (only time columns filled). */
function resultOf(r, columns) {
    const result = {};
    let filled = false;
    for (const column of columns) {
        const value = r.get(column);
        if (isBlank(value))
            continue;
        if (!TIME_COLUMNS.has(column))
            filled = true;
        result[column] = value.trim();
    }
    return filled ? result : null;
}
function checkColumns(required, fileName, what) {
    return (columns) => {
        const missing = required.filter((c) => !columns.has(c));
        if (missing.length)
            throw new Error(`${fileName} is not ${what}: missing column(s) ${missing.join(', ')}`);
    };
}
export const openAiCostsCsv = {
    name: 'openai-costs-csv',
    kind: 'invoice',
    description: 'OpenAI Usage page cost export CSV (start_time, amount_value, amount_currency, line_item, project_id, …)',
    detect(head) {
        const columns = columnsOf(head);
        return COST_COLUMNS.every((c) => columns.has(c)) && columns.has('amount_currency');
    },
    async *parse(input, context) {
        const mapSku = skuMapper(loadSkuMapping(context.skuMappingFile), readOpenAiSku);
        let header = [];
        const validate = (columns) => {
            checkColumns(COST_COLUMNS, context.fileName, 'an OpenAI cost export CSV')(columns);
            header = [...columns];
        };
        for await (const r of streamCsv(input, snakeHeader, validate)) {
            const cells = resultOf(r, header);
            if (!cells)
                continue;
            const { amount_value: value, amount_currency: currency, ...rest } = cells;
            const result = { ...rest, amount: { value: value ?? null, currency: currency ?? null } };
            const line = toOpenAiCostLine(bucketOf(r), result, mapSku);
            yield 'provider' in line
                ? { line: r.line, row: line }
                : { line: r.line, reject: { ...line, field: line.field === 'amount.value' ? 'amount_value' : line.field, raw: r.raw } };
        }
    },
};
export const openAiUsageCsv = {
    name: 'openai-usage-csv',
    kind: 'usage',
    description: 'OpenAI Usage page completions usage export CSV (num_model_requests, model, batch, service_tier, input_tokens, …)',
    detect(head) {
        const columns = columnsOf(head);
        return USAGE_COLUMNS.every((c) => columns.has(c));
    },
    async *parse(input, context) {
        let header = [];
        const validate = (columns) => {
            checkColumns(USAGE_COLUMNS, context.fileName, 'an OpenAI usage export CSV')(columns);
            header = [...columns];
        };
        for await (const r of streamCsv(input, snakeHeader, validate)) {
            const result = resultOf(r, header);
            if (!result)
                continue;
            if (typeof result.batch === 'string')
                result.batch = result.batch.toLowerCase();
            const rows = toOpenAiUsageRows(bucketOf(r), result);
            if (Array.isArray(rows))
                for (const row of rows)
                    yield { line: r.line, row };
            else
                yield { line: r.line, reject: { ...rows, raw: r.raw } };
        }
    },
};
