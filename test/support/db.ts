import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { openPglite, openPostgres, type Store } from '../../src/db/connection.ts';
import { migrate, readMigrations } from '../../src/db/migrate.ts';

export type BackendName = 'pglite' | 'postgres';

/**
 * Which engines a database suite runs on. Without DATABASE_URL: PGlite. With it (CI): real
 * PostgreSQL, and PGlite too for the suites that exercise what differs between the engines
 * (`engines: 'both'`: ingest's COPY paths, data folders and locks, the CLI on a data folder, the
 * demo month, the truth month, immutable runs, jobs). Every other suite's SQL is the same text on
 * both engines; it runs on PGlite whenever a developer runs `npm test` without DATABASE_URL.
 * RECON_TEST_ENGINES=both runs every suite on both (the slow, complete check).
 */
export function testBackends(options: { engines?: 'both' } = {}): BackendName[] {
  if (!process.env.DATABASE_URL) return ['pglite'];
  return options.engines === 'both' || process.env.RECON_TEST_ENGINES === 'both' ? ['pglite', 'postgres'] : ['postgres'];
}

export interface TestStore extends Store {
  /** A connection string for this test's own database (postgres only), e.g. to run the CLI against it. */
  readonly url: string | undefined;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + database;
  return parsed.toString();
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function migrationsHash(): string {
  return crypto.createHash('sha256').update(readMigrations().map((m) => m.sha256).join()).digest('hex').slice(0, 12);
}

// PGlite: a migrated data directory dumped once per set of migrations (shared by every test
// process through a temp file), loaded per suite: skips most of the embedded server's boot.
async function pgliteTemplate(): Promise<Blob> {
  const file = path.join(os.tmpdir(), `recon-pglite-template-${migrationsHash()}.tar.gz`);
  if (!fs.existsSync(file)) {
    const store = await openPglite(undefined);
    try {
      await migrate(store);
      const dump = await store.pglite!.dumpDataDir('gzip');
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
      fs.renameSync(partial, file);
    } finally {
      await store.close();
    }
  }
  return new Blob([fs.readFileSync(file)]);
}

/**
 * An embedded data folder for the real CLI that starts migrated (from the same template), so a
 * CLI suite does not spend its first command migrating from scratch (~4 s each on this machine).
 */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  const store = await openPglite(dataDir, { loadDataDir: await pgliteTemplate() });
  await store.close();
}

// A template migrated once per set of migrations, cloned per test file: fast and isolated.
async function ensureTemplate(): Promise<string> {
  const hash = migrationsHash();
  const name = `recon_tpl_${hash}`;
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(7342002)');
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`create database ${name}`);
      const store = await openPostgres(withDatabase(process.env.DATABASE_URL!, name), { max: 1 });
      try {
        await migrate(store);
      } finally {
        await store.close();
      }
    }
    await client.query('select pg_advisory_unlock(7342002)');
  } finally {
    await client.end();
  }
  return name;
}

export async function openTestStore(backend: BackendName): Promise<TestStore> {
  if (backend === 'pglite') {
    const store = await openPglite(undefined, { loadDataDir: await pgliteTemplate() });
    await migrate(store);
    return Object.assign(store, { url: undefined });
  }
  const template = await ensureTemplate();
  const name = `recon_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  // The template's last session may still be closing server-side for a moment (SQLSTATE 55006).
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`create database ${name} template ${template}`);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const url = withDatabase(process.env.DATABASE_URL!, name);
  const store = await openPostgres(url);
  const close = store.close.bind(store);
  return Object.assign(store, {
    url,
    async close() {
      await close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  });
}

/**
 * Declares the same suite once per backend. `body` receives a getter for the suite's store
 * (a fresh, migrated database per backend, dropped afterwards).
 */
export function describeEachBackend(title: string, body: (store: () => TestStore, backend: BackendName) => void, options: { engines?: 'both' } = {}): void {
  for (const backend of testBackends(options)) {
    describe(`${title} [${backend}]`, () => {
      let store: TestStore | undefined;
      before(async () => {
        store = await openTestStore(backend);
      });
      after(async () => {
        await store?.close();
      });
      body(() => {
        if (!store) throw new Error('store not open yet: use it inside a test or hook');
        return store;
      }, backend);
    });
  }
}

/** describeEachBackend on both engines whenever DATABASE_URL is set (see testBackends). */
export function describeOnBothEngines(title: string, body: (store: () => TestStore, backend: BackendName) => void): void {
  describeEachBackend(title, body, { engines: 'both' });
}
