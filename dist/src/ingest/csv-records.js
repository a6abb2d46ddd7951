import { parse } from 'csv-parse';
import { markInvalidUtf8 } from "./text-bytes.js";
/**
 * Options every CSV reader of recon passes to csv-parse: a record ends at CRLF or LF, whichever
 * each line uses (exports assembled from several tools mix them; csv-parse would otherwise take
 * the first line's ending for the whole file and keep a stray carriage return in the last field).
 */
export const CSV_LINE_ENDINGS = { record_delimiter: ['\r\n', '\n'] };
/** The file line a record starts on, from the line csv-parse says it ends on. */
export function recordStartLine(endLine, fields) {
    let newlines = 0;
    for (const field of fields)
        for (let i = field.indexOf('\n'); i >= 0; i = field.indexOf('\n', i + 1))
            newlines += 1;
    return endLine - newlines;
}
/**
 * CSV records with the line they start on (bytes that are not UTF-8 marked, see text-bytes.ts). A record csv-parse cannot read (a stray quote) comes out
 * as an error for that line and reading goes on, so one bad line never sinks the file.
 */
export async function* readCsvRecords(input) {
    const skipped = [];
    const marked = input.pipe(markInvalidUtf8());
    const parser = marked.pipe(parse({
        ...CSV_LINE_ENDINGS,
        bom: true,
        info: true,
        relax_column_count: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        on_skip: (error) => {
            if (error)
                skipped.push({ line: Number(error.lines ?? 0), error: error.message });
        },
    }));
    input.on('error', (error) => marked.destroy(error));
    marked.on('error', (error) => parser.destroy(error));
    for await (const item of parser) {
        while (skipped.length > 0)
            yield skipped.shift();
        yield { line: recordStartLine(item.info.lines, item.record), fields: item.record };
    }
    while (skipped.length > 0)
        yield skipped.shift();
}
/** Header names as recon compares them: trimmed, lower case. */
export function normalizeHeader(fields) {
    return fields.map((field) => field.trim().toLowerCase());
}
/** The first line of a CSV head, split (good enough for detection: header names never hold newlines). */
export function headerOf(head) {
    const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
    return normalizeHeader(firstLine.split(',').map((f) => f.replace(/^"|"$/g, '')));
}
/**
 * The records of a CSV with a header row, each readable by column name. A header lacking a
 * column `missingColumns` names fails the file; a record that cannot be read, or has another
 * number of fields than the header, comes out as a reject for its line.
 */
export async function* readHeaderedCsv(input, missingColumns) {
    let header;
    let index = new Map();
    for await (const record of readCsvRecords(input)) {
        if ('error' in record) {
            yield { line: record.line, reject: { reason: `unreadable CSV record: ${record.error}` } };
            continue;
        }
        if (!header) {
            header = normalizeHeader(record.fields);
            const missing = missingColumns(header);
            if (missing.length > 0)
                throw new Error(`the header lacks required column(s) ${missing.join(', ')}`);
            index = new Map(header.map((name, i) => [name, i]));
            continue;
        }
        const fields = record.fields;
        if (fields.length !== header.length) {
            yield { line: record.line, reject: { reason: `expected ${header.length} fields, found ${fields.length}`, raw: fields.join(',') } };
            continue;
        }
        yield { line: record.line, value: (column) => fields[index.get(column) ?? -1], raw: fields.join(',') };
    }
}
