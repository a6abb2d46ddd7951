import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPglite } from '../../src/db/connection.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openTestStore, testBackends, type TestStore } from '../support/db.ts';
import { monthWithEveryDefect } from './scenario.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/recon.js');

for (const backend of testBackends()) {
  describe(`recon audit CLI [${backend}]`, () => {
    let env: NodeJS.ProcessEnv;
    let dir: string;
    let pgStore: TestStore | undefined;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-audit-'));
      if (backend === 'pglite') {
        const store = await openPglite(dir);
        await migrate(store);
        await monthWithEveryDefect(store);
        await store.close();
        env = { ...process.env, DATABASE_URL: '', RECON_DATA_DIR: dir, RECON_LOG_FORMAT: 'json' };
      } else {
        pgStore = await openTestStore('postgres');
        await monthWithEveryDefect(pgStore);
        env = { ...process.env, DATABASE_URL: pgStore.url, RECON_DATA_DIR: dir, RECON_LOG_FORMAT: 'json' };
      }
    });
    after(async () => {
      await pgStore?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const recon = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });

    test('--json prints the audit on stdout only', () => {
      const result = recon('audit', '--period', '2026-05', '--json', '--samples', '2');
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.records, '10');
      assert.equal(report.priced_cost, '32.20');
      const shared = report.findings.find((f: { finding: string }) => f.finding === 'shared_key');
      assert.deepEqual(shared.sample_request_ids, ['A1', 'A2']);
      assert.deepEqual(report.readiness.map((r: { team: string; verdict: string }) => [r.team, r.verdict]), [
        ['research', 'not_ready'],
        ['sales', 'not_ready'],
        ['support', 'pending'],
      ]);
    });

    test('text output shows the checklist, findings and readiness', () => {
      const result = recon('audit', '--period', '2026-05');
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /Evidence audit 2026-05: 10 ledger records, priced cost \$32\.20/);
      assert.match(result.stdout, /Retry linkage\s+1\s+10\.00\s+4\.20/);
      assert.match(result.stdout, /owner_mismatch\s+key-support: sales ≠ support/);
      assert.match(result.stdout, /research\s+not_ready/);
    });

    test('--owners audits against another key map without storing it', () => {
      const keys = path.join(dir, 'keys.csv');
      fs.writeFileSync(keys, 'gateway_key_id,team,service,environment\nkey-support,support,triage,production\nkey-orphan,research,evals,production\n');
      const result = recon('audit', '--period', '2026-05', '--json', '--owners', keys);
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.findings.filter((f: { finding: string }) => f.finding === 'key_without_owner').length, 0);
      const again = JSON.parse(recon('audit', '--period', '2026-05', '--json').stdout);
      assert.equal(again.findings.filter((f: { finding: string }) => f.finding === 'key_without_owner').length, 1);
    });

    test('mistakes say what to do next', () => {
      const badPeriod = recon('audit', '--period', '2026-5');
      assert.equal(badPeriod.status, 2);
      assert.match(badPeriod.stderr, /--period must be YYYY-MM[\s\S]*next: e\.g\. recon audit --period 2026-05/);
      const budgets = path.join(dir, 'owners.csv');
      fs.writeFileSync(budgets, 'team,cost_center,owner,monthly_budget\nsupport,cc-1,dana,100\n');
      const wrongFile = recon('audit', '--period', '2026-05', '--owners', budgets);
      assert.equal(wrongFile.status, 2);
      assert.match(wrongFile.stderr, /no gateway_key_id and team columns[\s\S]*next: pass the gateway key map/);
      const help = recon('audit', '--help');
      assert.equal(help.status, 0);
      assert.match(help.stdout, /--owners <file>/);
    });
  });
}
