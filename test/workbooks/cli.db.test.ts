import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { openPglite } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openTestStore, testBackends, type TestStore } from '../support/db.ts';
import { insertWorkbookMonth } from './run-fixture.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-workbook-cli-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function recon(args: string[], env: Record<string, string>) {
  const { DATABASE_URL: _url, RECON_DATA_DIR: _dir, ...rest } = process.env;
  const result = spawnSync(process.execPath, ['bin/recon.js', ...args], { cwd: root, env: { ...rest, RECON_LOG_FORMAT: 'json', ...env }, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Whether LibreOffice can open the files: converting to PDF fails on a file it cannot read. */
function soffice(): string | undefined {
  for (const bin of ['soffice', 'libreoffice']) {
    if (spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0) return bin;
  }
  return undefined;
}

for (const backend of testBackends()) {
  describe(`recon workbook [${backend}]`, () => {
    let env: Record<string, string>;
    let store: TestStore | undefined;

    test('setup: a month with a succeeded run', async () => {
      if (backend === 'pglite') {
        const dataDir = path.join(dir, 'data');
        const embedded = await openPglite(dataDir);
        await migrate(embedded);
        await insertWorkbookMonth(embedded);
        await embedded.close();
        env = { RECON_DATA_DIR: dataDir };
      } else {
        store = await openTestStore('postgres');
        await insertWorkbookMonth(store);
        env = { DATABASE_URL: store.url! };
      }
    });

    after(async () => {
      await store?.close();
    });

    test('writes the allocation and every team’s dispute workbook and prints their paths and hashes as JSON', async () => {
      const outDir = path.join(dir, `out-${backend}`);
      const result = recon(['workbook', '--period', '2026-05', '--out', outDir, '--all-teams', '--json'], env);
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as { run_id: string; period: string; files: { kind: string; team: string | null; path: string; sha256: string }[] };
      assert.equal(printed.period, '2026-05');
      assert.deepEqual(printed.files.map((f) => [f.kind, f.team, path.basename(f.path)]), [
        ['allocation', null, 'allocation-2026-05.xlsx'],
        ['dispute', 'platform', 'dispute-2026-05-platform.xlsx'],
        ['dispute', 'sales', 'dispute-2026-05-sales.xlsx'],
        ['dispute', 'support', 'dispute-2026-05-support.xlsx'],
      ]);
      for (const file of printed.files) {
        assert.equal(crypto.createHash('sha256').update(fs.readFileSync(file.path)).digest('hex'), file.sha256);
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.readFile(file.path);
        assert.ok(workbook.worksheets.length >= 7);
      }
      assert.deepEqual(fs.readdirSync(outDir).filter((f) => f.endsWith('.partial')), [], 'no half-written files left');

      // the files do not depend on the backend: check them with LibreOffice once
      const bin = backend === 'pglite' ? soffice() : undefined;
      if (!bin) {
        assert.ok(backend !== 'pglite' || !process.env.RECON_REQUIRE_LIBREOFFICE, 'LibreOffice is required (RECON_REQUIRE_LIBREOFFICE) but soffice is not installed');
        return;
      }
      // LibreOffice opens both kinds of workbook: converting them to PDF succeeds.
      const pdfDir = path.join(dir, `pdf-${backend}`);
      const files = [printed.files[0]!.path, printed.files[3]!.path];
      const converted = spawnSync(bin, ['--headless', '--convert-to', 'pdf', '--outdir', pdfDir, ...files], {
        encoding: 'utf8',
        env: { ...process.env, HOME: path.join(dir, `lo-home-${backend}`) },
        timeout: 180_000,
      });
      assert.equal(converted.status, 0, converted.stderr);
      for (const file of files) {
        const pdf = path.join(pdfDir, path.basename(file).replace(/\.xlsx$/, '.pdf'));
        assert.ok(fs.existsSync(pdf) && fs.statSync(pdf).size > 1000, `${pdf} was written`);
      }
    });

    test('a team, a run and text output; mistakes exit 2 with what to do next', () => {
      const outDir = path.join(dir, `out2-${backend}`);
      const ok = recon(['workbook', '--period', '2026-05', '--out', outDir, '--team', 'sales'], env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /dispute \(sales, due \d{4}-\d{2}-\d{2}\)/);
      assert.ok(fs.existsSync(path.join(outDir, 'dispute-2026-05-sales.xlsx')));

      const noRun = recon(['workbook', '--period', '2026-04', '--out', outDir], env);
      assert.equal(noRun.code, 2);
      assert.match(noRun.stderr, /period 2026-04 has no succeeded run/);
      assert.match(noRun.stderr, /next: run `recon run --period 2026-04` first/);

      const badTeam = recon(['workbook', '--period', '2026-05', '--out', outDir, '--team', 'nobody'], env);
      assert.equal(badTeam.code, 2);
      assert.match(badTeam.stderr, /teams in this run: platform, sales, support/);

      const badRows = recon(['workbook', '--period', '2026-05', '--max-rows', '0'], env);
      assert.equal(badRows.code, 2);
      assert.match(badRows.stderr, /--max-rows/);

      const help = recon(['workbook', '--help'], env);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--all-teams/);
    });
  });
}
