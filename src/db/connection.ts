import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import type { Database } from './schema.ts';
import { lockDataFolder } from './folder-lock.ts';

/**
 * One handle on the store, whichever engine is behind it.
 * `db` is the Kysely instance for typed queries and `sql` templates; `exec` runs a script of
 * several statements; `pgPool` is set only on a real server (COPY streaming needs a raw client);
 * `pglite` only on the embedded store (COPY there reads from a Blob).
 */
export interface Store {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Kysely<Database>;
  readonly pgPool: pg.Pool | undefined;
  readonly pglite: PGlite | undefined;
  /** Human-readable place of the data: URL without password, or the data folder. */
  readonly location: string;
  exec(script: string): Promise<void>;
  /**
   * Exclusive raw access for what Kysely cannot express (COPY). On a server: a pooled pg client.
   * Embedded: the PGlite instance, with every other query held until `fn` settles — so never
   * call it from inside a Kysely transaction on PGlite (it would wait for itself).
   */
  withRawClient<T>(fn: (raw: RawClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type RawClient = { kind: 'postgres'; client: pg.PoolClient } | { kind: 'pglite'; pglite: PGlite };

// Values that must stay exact (numeric, int8) or calendar-only (date) are read as text,
// identically on both engines, so no money or token count ever passes through a JS number.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const asText = (value: string) => value;

pg.types.setTypeParser(INT8, asText);
pg.types.setTypeParser(NUMERIC, asText);
pg.types.setTypeParser(DATE, asText);

const PGLITE_PARSERS = {
  [pgliteTypes.INT8]: asText,
  [pgliteTypes.NUMERIC]: asText,
  [pgliteTypes.DATE]: asText,
};

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable DATABASE_URL)';
  }
}

export async function openPostgres(databaseUrl: string, options: { max?: number } = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 4 });
  pool.on('error', () => {
    // Idle-client errors (server restart) surface on the next query; nothing to do here.
  });
  // A checked-out client has no pool listener: a backend terminated between two queries of a
  // held connection (a run's transaction, a job's lock) would emit an unhandled 'error' and end
  // the process. The query in flight, or the next one, rejects with the error instead, and the
  // pool drops the client when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw new Error(
      `cannot connect to PostgreSQL at ${redactUrl(databaseUrl)}: ${(error as Error).message}. ` +
        'Check DATABASE_URL, or unset it to use the embedded store.',
      { cause: error },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    pgPool: pool,
    pglite: undefined,
    location: redactUrl(databaseUrl),
    async exec(script) {
      const client = await pool.connect();
      try {
        await client.query(script);
      } finally {
        client.release();
      }
    },
    async withRawClient(fn) {
      const client = await pool.connect();
      try {
        return await fn({ kind: 'postgres', client });
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
    },
  };
}

/** A minimal pg.Pool look-alike over one PGlite instance, serialising access with a queue. */
function pgliteAsPool(pglite: PGlite) {
  let tail: Promise<void> = Promise.resolve();
  const commandOf = (text: string) => text.trimStart().split(/\s/, 1)[0]!.toUpperCase();
  return {
    async connect() {
      let release!: () => void;
      const previous = tail;
      tail = new Promise<void>((resolve) => (release = resolve));
      await previous;
      return {
        async query(text: string, params: unknown[]) {
          const result = await pglite.query(text, params, { parsers: PGLITE_PARSERS });
          return { command: commandOf(text), rowCount: result.affectedRows ?? 0, rows: result.rows };
        },
        release,
      };
    },
    async end() {
      await pglite.close();
    },
  };
}

/**
 * Opens the embedded store; `dataDir` undefined means in memory (tests). `loadDataDir` starts
 * from a dump of another store (tests start from a migrated template).
 */
export async function openPglite(dataDir: string | undefined, options: { loadDataDir?: Blob } = {}): Promise<Store> {
  // one process per data folder: a second one is refused at once (src/db/folder-lock.ts)
  const lock = dataDir ? lockDataFolder(dataDir) : undefined;
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      dataDir: dataDir ? path.join(dataDir, 'pgdata') : undefined,
      extensions: { btree_gist },
      loadDataDir: options.loadDataDir,
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const pool = pgliteAsPool(pglite);
  // PostgresDialect only needs connect()/query()/release()/end(); the cast narrows to that contract.
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
  return {
    kind: 'pglite',
    db,
    pgPool: undefined,
    pglite,
    location: dataDir ? path.join(dataDir, 'pgdata') : '(in memory)',
    async exec(script) {
      const client = await pool.connect();
      try {
        await pglite.exec(script);
      } finally {
        client.release();
      }
    },
    async withRawClient(fn) {
      const client = await pool.connect();
      try {
        return await fn({ kind: 'pglite', pglite });
      } finally {
        client.release();
      }
    },
    async close() {
      try {
        await db.destroy();
        // Kysely starts its driver lazily: a store that never ran a query would leave PGlite open
        // (and the process alive) if only the driver closed it.
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

export async function openStore(config: { databaseUrl: string | undefined; dataDir: string }): Promise<Store> {
  return config.databaseUrl ? openPostgres(config.databaseUrl) : openPglite(config.dataDir);
}

// SQLSTATE classes of a lost connection: 08 connection exception, 57P01-57P03 the server
// terminated the session (pg_terminate_backend, shutdown, cannot connect now).
const LOST_SQLSTATE = /^(08...|57P0[123])$/;
const LOST_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/**
 * True when `error` (or an error in its cause chain) means the database connection was lost,
 * rather than a query being wrong: the caller may retry once the database is back.
 */
export function isConnectionLost(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (LOST_SQLSTATE.test(code) || LOST_NODE_CODES.has(code))) return true;
    // pg raises these without a code: the socket closed under a query, or a query was sent on
    // a client whose socket had closed while it was held
    if (e instanceof Error && /^Connection terminated|connection error and is not queryable/.test(e.message)) return true;
  }
  return false;
}
