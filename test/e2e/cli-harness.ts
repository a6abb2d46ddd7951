import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTestStore, seedPgliteDataDir, type BackendName } from '../support/db.ts';

const RECON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/recon.js');

export interface CliTarget {
  env: NodeJS.ProcessEnv;
  dir: string;
  cleanup(): Promise<void>;
}

/**
 * A place for the real CLI to work: a fresh database of its own on the PostgreSQL server, or a
 * fresh embedded data folder. Either way a temp folder for files and workbooks.
 */
export async function cliTarget(backend: BackendName): Promise<CliTarget> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-e2e-'));
  const base: NodeJS.ProcessEnv = { ...process.env, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'warn', RECON_DATA_DIR: path.join(dir, 'data') };
  if (backend === 'pglite') {
    delete base.DATABASE_URL;
    await seedPgliteDataDir(base.RECON_DATA_DIR!);
    return { env: base, dir, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const store = await openTestStore('postgres');
  return {
    env: { ...base, DATABASE_URL: store.url },
    dir,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(target: CliTarget, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RECON, ...args], { env: target.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs the CLI and parses its --json output, failing with the CLI's stderr when it did not succeed. */
export async function runCliJson<T = Record<string, unknown>>(target: CliTarget, args: string[]): Promise<T> {
  const result = await runCli(target, [...args, '--json']);
  if (result.code !== 0) throw new Error(`recon ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
