import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Kysely, RawBuilder, Compilable } from 'kysely';
import { types as pgliteTypes } from '@electric-sql/pglite';
import { from as copyFrom } from 'pg-copy-streams';
import type { RawClient } from '../db/connection.ts';
import type { Database } from '../db/schema.ts';
import { RecordChunker } from './csv-text.ts';

// One file is loaded in one transaction on one connection, COPY included. Kysely builds and
// parameterises the statements; the runner executes them on that connection, whichever engine.

const asText = (value: string) => value;
const PGLITE_PARSERS = { [pgliteTypes.INT8]: asText, [pgliteTypes.NUMERIC]: asText, [pgliteTypes.DATE]: asText };

export interface Runner {
  readonly kind: 'postgres' | 'pglite';
  query<R>(query: RawBuilder<R> | Compilable<R>): Promise<R[]>;
  /** Runs a fixed statement of recon's own (no parameters). */
  exec(text: string): Promise<void>;
  /**
   * Streams CSV into `copyStatement` (which must read `from stdin`). On PGlite the bytes are cut
   * at record boundaries and each chunk is copied from a Blob; `header` applies to the first chunk.
   */
  copy(copyStatement: (header: boolean) => string, input: Readable | AsyncIterable<Buffer | string>, header: boolean): Promise<void>;
}

export function createRunner(raw: RawClient, db: Kysely<Database>): Runner {
  const compile = <R>(query: RawBuilder<R> | Compilable<R>) => query.compile(db);
  if (raw.kind === 'postgres') {
    const client = raw.client;
    return {
      kind: 'postgres',
      async query<R>(query: RawBuilder<R> | Compilable<R>) {
        const compiled = compile(query);
        return (await client.query(compiled.sql, compiled.parameters as unknown[])).rows as R[];
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
    async query<R>(query: RawBuilder<R> | Compilable<R>) {
      const compiled = compile(query);
      return (await pglite.query<R>(compiled.sql, compiled.parameters as unknown[], { parsers: PGLITE_PARSERS })).rows;
    },
    async exec(text) {
      await pglite.exec(text);
    },
    async copy(copyStatement, input, header) {
      const chunker = new RecordChunker();
      let first = header;
      const send = async (chunk: Buffer) => {
        const statement = copyStatement(first).replace(/from stdin/i, `from '/dev/blob'`);
        first = false;
        await pglite.query(statement, [], { blob: new Blob([chunk as unknown as BlobPart]) });
      };
      for await (const part of input) {
        for (const chunk of chunker.push(typeof part === 'string' ? Buffer.from(part) : part)) await send(chunk);
      }
      const rest = chunker.end();
      if (rest && rest.length > 0) await send(rest);
    },
  };
}
