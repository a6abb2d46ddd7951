import { pipeline } from 'node:stream/promises';
import { types as pgliteTypes } from '@electric-sql/pglite';
import { from as copyFrom } from 'pg-copy-streams';
import { RecordChunker } from "./csv-text.js";
// One file is loaded in one transaction on one connection, COPY included. Kysely builds and
// parameterises the statements; the runner executes them on that connection, whichever engine.
const asText = (value) => value;
const PGLITE_PARSERS = { [pgliteTypes.INT8]: asText, [pgliteTypes.NUMERIC]: asText, [pgliteTypes.DATE]: asText };
export function createRunner(raw, db) {
    const compile = (query) => query.compile(db);
    if (raw.kind === 'postgres') {
        const client = raw.client;
        return {
            kind: 'postgres',
            async query(query) {
                const compiled = compile(query);
                return (await client.query(compiled.sql, compiled.parameters)).rows;
            },
            async exec(text) {
                await client.query(text);
            },
            async copy(copyStatement, input, header) {
                const target = client.query(copyFrom(copyStatement(header)));
                await pipeline(input, target);
            },
        };
    }
    const pglite = raw.pglite;
    return {
        kind: 'pglite',
        async query(query) {
            const compiled = compile(query);
            return (await pglite.query(compiled.sql, compiled.parameters, { parsers: PGLITE_PARSERS })).rows;
        },
        async exec(text) {
            await pglite.exec(text);
        },
        async copy(copyStatement, input, header) {
            const chunker = new RecordChunker();
            let first = header;
            const send = async (chunk) => {
                const statement = copyStatement(first).replace(/from stdin/i, `from '/dev/blob'`);
                first = false;
                await pglite.query(statement, [], { blob: new Blob([chunk]) });
            };
            for await (const part of input) {
                for (const chunk of chunker.push(typeof part === 'string' ? Buffer.from(part) : part))
                    await send(chunk);
            }
            const rest = chunker.end();
            if (rest && rest.length > 0)
                await send(rest);
        },
    };
}
