import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { lockDataFolder } from "./folder-lock.js";
// Values that must stay exact (numeric, int8) or calendar-only (date) are read as text,
// identically on both engines, so no money or token count ever passes through a JS number.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const asText = (value) => value;
pg.types.setTypeParser(INT8, asText);
pg.types.setTypeParser(NUMERIC, asText);
pg.types.setTypeParser(DATE, asText);
const PGLITE_PARSERS = {
    [pgliteTypes.INT8]: asText,
    [pgliteTypes.NUMERIC]: asText,
    [pgliteTypes.DATE]: asText,
};
export function redactUrl(url) {
    try {
        const parsed = new URL(url);
        if (parsed.password)
            parsed.password = '***';
        return parsed.toString();
    }
    catch {
        return 'postgres://(unparseable DATABASE_URL)';
    }
}
export async function openPostgres(databaseUrl, options = {}) {
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
    }
    catch (error) {
        await pool.end();
        throw new Error(`cannot connect to PostgreSQL at ${redactUrl(databaseUrl)}: ${error.message}. ` +
            'Check DATABASE_URL, or unset it to use the embedded store.', { cause: error });
    }
    const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
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
            }
            finally {
                client.release();
            }
        },
        async withRawClient(fn) {
            const client = await pool.connect();
            try {
                return await fn({ kind: 'postgres', client });
            }
            finally {
                client.release();
            }
        },
        async close() {
            await db.destroy();
        },
    };
}
/** A minimal pg.Pool look-alike over one PGlite instance, serialising access with a queue. */
function pgliteAsPool(pglite) {
    let tail = Promise.resolve();
    const commandOf = (text) => text.trimStart().split(/\s/, 1)[0].toUpperCase();
    return {
        async connect() {
            let release;
            const previous = tail;
            tail = new Promise((resolve) => (release = resolve));
            await previous;
            return {
                async query(text, params) {
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
export async function openPglite(dataDir, options = {}) {
    // one process per data folder: a second one is refused at once (src/db/folder-lock.ts)
    const lock = dataDir ? lockDataFolder(dataDir) : undefined;
    let pglite;
    try {
        pglite = await PGlite.create({
            dataDir: dataDir ? path.join(dataDir, 'pgdata') : undefined,
            extensions: { btree_gist },
            loadDataDir: options.loadDataDir,
        });
    }
    catch (error) {
        lock?.release();
        throw error;
    }
    const pool = pgliteAsPool(pglite);
    // PostgresDialect only needs connect()/query()/release()/end(); the cast narrows to that contract.
    const db = new Kysely({ dialect: new PostgresDialect({ pool: pool }) });
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
            }
            finally {
                client.release();
            }
        },
        async withRawClient(fn) {
            const client = await pool.connect();
            try {
                return await fn({ kind: 'pglite', pglite });
            }
            finally {
                client.release();
            }
        },
        async close() {
            try {
                await db.destroy();
                // Kysely starts its driver lazily: a store that never ran a query would leave PGlite open
                // (and the process alive) if only the driver closed it.
                if (!pglite.closed)
                    await pglite.close();
            }
            finally {
                lock?.release();
            }
        },
    };
}
export async function openStore(config) {
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
export function isConnectionLost(error) {
    for (let e = error, depth = 0; e && depth < 8; e = e.cause, depth++) {
        const code = e.code;
        if (typeof code === 'string' && (LOST_SQLSTATE.test(code) || LOST_NODE_CODES.has(code)))
            return true;
        // pg raises these without a code: the socket closed under a query, or a query was sent on
        // a client whose socket had closed while it was held
        if (e instanceof Error && /^Connection terminated|connection error and is not queryable/.test(e.message))
            return true;
    }
    return false;
}
