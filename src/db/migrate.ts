import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Store } from './connection.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
/** sql/migrations at the package root: two folders up from src/db, three from the compiled dist/src/db. */
export const MIGRATIONS_DIR = [path.resolve(here, '../../sql/migrations'), path.resolve(here, '../../../sql/migrations')].find((dir) => fs.existsSync(dir)) ?? path.resolve(here, '../../sql/migrations');

export interface Migration {
  name: string;
  sha256: string;
  script: string;
}

/** Reads sql/migrations/*.sql in name order. Forward-only: a landed file is never edited. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => {
      const script = fs.readFileSync(path.join(dir, name), 'utf8');
      return { name, script, sha256: crypto.createHash('sha256').update(script).digest('hex') };
    });
}

// Any stable 64-bit number; shared by every recon process so two migrators never interleave.
const MIGRATION_LOCK_KEY = 7_342_001;

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock.
 * Returns the names applied. Refuses to run when a landed migration was edited.
 */
export async function migrate(store: Store): Promise<string[]> {
  await store.exec(`create table if not exists schema_migration (
    name text primary key, sha256 text not null, applied_at timestamptz not null default now())`);
  const migrations = readMigrations();
  const applied: string[] = [];
  await store.withRawClient(async (raw) => {
    const run = async (text: string) => {
      if (raw.kind === 'postgres') return (await raw.client.query(text)).rows as Record<string, unknown>[];
      return (await raw.pglite.query<Record<string, unknown>>(text)).rows;
    };
    const exec = async (text: string) => {
      if (raw.kind === 'postgres') await raw.client.query(text);
      else await raw.pglite.exec(text);
    };
    await run(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      const done = new Map((await run('select name, sha256 from schema_migration')).map((r) => [String(r.name), String(r.sha256)]));
      for (const migration of migrations) {
        const landed = done.get(migration.name);
        if (landed) {
          if (landed !== migration.sha256) {
            throw new Error(`migration ${migration.name} was edited after it was applied; add a new migration instead`);
          }
          continue;
        }
        await exec('begin');
        try {
          await exec(migration.script);
          await exec(`insert into schema_migration (name, sha256) values ('${migration.name.replace(/'/g, "''")}', '${migration.sha256}')`);
          await exec('commit');
        } catch (error) {
          await exec('rollback');
          throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(migration.name);
      }
      // On a Citus coordinator the tables are placed once the schema is complete (0901,
      // docs/scaling.md); plain PostgreSQL and PGlite never have the extension, so never get here.
      if ((await run(`select 1 from pg_extension where extname = 'citus'`)).length > 0) await exec('select recon_distribute()');
    } finally {
      await run(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  });
  return applied;
}

export async function pendingMigrations(store: Store): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from schema_migration`.execute(store.db).catch(() => ({ rows: [] }));
  const done = new Set(rows.rows.map((r) => r.name));
  return readMigrations().map((m) => m.name).filter((name) => !done.has(name));
}
