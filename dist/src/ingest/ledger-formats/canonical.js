import { LEDGER_COLUMNS } from "../format.js";
import { headerOf, readHeaderedCsv } from "../csv-records.js";
import { firstJsonObject, peekHead, readJsonRecords } from "./json-stream.js";
// The canonical ledger (README "Canonical formats"): one provider attempt per row, columns named
// as LEDGER_COLUMNS, in any order; unknown columns are ignored. Values are validated in SQL by
// the loader, so these parsers only shape rows; the CSV one is also bypassed by the COPY fast path.
export const REQUIRED_LEDGER_COLUMNS = ['request_id', 'timestamp', 'provider', 'response_model', 'input_tokens', 'output_tokens'];
export function missingLedgerColumns(header) {
    return REQUIRED_LEDGER_COLUMNS.filter((column) => !header.includes(column));
}
function rowFrom(get) {
    const row = {};
    for (const column of LEDGER_COLUMNS) {
        const value = get(column);
        row[column] = value === undefined || value === null || value === '' ? null : String(value);
    }
    return row;
}
export const canonicalLedgerCsv = {
    name: 'canonical-csv',
    kind: 'ledger',
    description: 'recon canonical ledger CSV (request_id, timestamp, provider, response_model, input_tokens, output_tokens, ...)',
    detect(head) {
        const header = headerOf(head);
        return missingLedgerColumns(header).length === 0;
    },
    async *parse(input) {
        for await (const record of readHeaderedCsv(input, missingLedgerColumns)) {
            yield 'reject' in record ? record : { line: record.line, row: rowFrom(record.value) };
        }
    },
};
export const canonicalLedgerJsonl = {
    name: 'canonical-jsonl',
    kind: 'ledger',
    description: 'recon canonical ledger as JSON Lines (one object per line, keys as the CSV columns)',
    detect(head) {
        const object = firstJsonObject(head);
        return object !== undefined && 'request_id' in object && 'input_tokens' in object && 'response_model' in object;
    },
    async *parse(input) {
        // JSON Lines; a pretty-printed object (or array of objects) is read as one document
        const { head, replay } = await peekHead(input);
        for await (const item of readJsonRecords(replay, head)) {
            if ('error' in item) {
                yield { line: item.line, reject: { reason: item.error, raw: item.raw } };
                continue;
            }
            const object = item.value;
            if (typeof object !== 'object' || object === null || Array.isArray(object)) {
                yield { line: item.line, reject: { reason: 'expected a JSON object per line', raw: JSON.stringify(object)?.slice(0, 2000) } };
                continue;
            }
            const record = object;
            yield { line: item.line, row: rowFrom((column) => jsonScalar(record[column])) };
        }
    },
};
/** JSON numbers are read from their text so large counts stay exact; objects are not scalars. */
export function jsonScalar(value) {
    if (value === undefined || value === null)
        return null;
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
        return String(value);
    return JSON.stringify(value);
}
