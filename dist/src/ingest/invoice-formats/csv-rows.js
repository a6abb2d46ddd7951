import { parse } from 'csv-parse';
import { CSV_LINE_ENDINGS, recordStartLine } from "../csv-records.js";
import { markInvalidUtf8 } from "../text-bytes.js";
/** `lineItem/UsageType` (legacy CUR) and `line_item_usage_type` (CUR 2.0) both become `line_item_usage_type`. */
export function snakeHeader(name) {
    return name
        .trim()
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .replace(/[/\s.-]+/g, '_')
        .toLowerCase();
}
/** FOCUS columns are PascalCase by spec; match them case-insensitively. */
export function lowerHeader(name) {
    return name.trim().toLowerCase();
}
export function splitHeaderLine(head) {
    const first = head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    return first.split(',').map((h) => h.trim().replace(/^"|"$/g, '').trim());
}
export async function* streamCsv(input, normaliseHeader, validateHeader) {
    const parser = parse({ ...CSV_LINE_ENDINGS, bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: false });
    const marked = markInvalidUtf8();
    input.on('error', (error) => marked.destroy(error));
    marked.on('error', (error) => parser.destroy(error));
    input.pipe(marked).pipe(parser);
    let header = null;
    let index = new Map();
    for await (const item of parser) {
        if (!header) {
            header = item.record.map(normaliseHeader);
            index = new Map(header.map((h, i) => [h, i]));
            validateHeader(new Set(header));
            continue;
        }
        const record = item.record;
        yield {
            line: recordStartLine(item.info.lines, record),
            get: (column) => {
                const i = index.get(column);
                return i === undefined ? null : (record[i] ?? null);
            },
            raw: record.join(','),
        };
    }
}
