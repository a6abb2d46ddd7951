import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openTestStore, testBackends, type TestStore } from '../support/db.ts';
import { disputeDueDate } from '../../src/allocate/disputes.ts';
import { utcDay } from '../../src/period.ts';

const BIN = path.resolve('bin/recon.js');

// The CLI opens its own store: an embedded one in a fresh data folder, or this test's own
// PostgreSQL database. (No store is opened in this process for the embedded case.)
for (const backend of testBackends()) describe(`recon policy / owners / dispute commands [${backend}]`, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let store: TestStore | undefined;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-allocate-cli-'));
    env = { ...process.env, RECON_DATA_DIR: dir, RECON_LOG_FORMAT: 'json', RECON_LOG_LEVEL: 'warn' };
    delete env.RECON_POLICY_FILE;
    if (backend === 'postgres') {
      store = await openTestStore('postgres');
      env.DATABASE_URL = store.url;
    } else delete env.DATABASE_URL;
  });
  after(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const recon = (...args: string[]) => {
    const result = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  test('policy check prints the effective policy, and names the bad field of a broken one', () => {
    fs.writeFileSync(path.join(dir, 'good.yaml'), 'version: finance-2026-05\nuntagged: even\n');
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'untagged: sometimes\nretries: owner\n');
    const good = recon('policy', 'check', path.join(dir, 'good.yaml'), '--json');
    assert.equal(good.code, 0, good.stderr);
    const policy = JSON.parse(good.stdout);
    assert.equal(policy.untagged, 'even');
    assert.equal(policy.platform_bucket, 'platform');
    const bad = recon('policy', 'check', path.join(dir, 'bad.yaml'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /untagged: /);
    assert.match(bad.stderr, /next: /);
  });

  test('owners import (two sections in one file), owners list; a key to an unknown team is refused', () => {
    fs.writeFileSync(
      path.join(dir, 'owners.csv'),
      'team,cost_center,owner,monthly_budget\nsupport,cc-4210,dana@example.com,2500\nsales,cc-5100,lee@example.com,6000\n\ngateway_key_id,team,service,environment\nkey-support,support,ticket-triage,production\nkey-sales,sales,proposal-writer,production\n',
    );
    const imported = recon('owners', 'import', path.join(dir, 'owners.csv'), '--json');
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual({ ...JSON.parse(imported.stdout), file_id: undefined }, { file_id: undefined, reimported: false, teams: 2, gateway_keys: 2 });
    fs.writeFileSync(path.join(dir, 'keys.csv'), 'gateway_key_id,team\nkey-x,research\n');
    const refused = recon('owners', 'import', path.join(dir, 'keys.csv'));
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /key-x → research/);
    const list = JSON.parse(recon('owners', 'list', '--json').stdout);
    assert.deepEqual(
      list.teams.map((t: { team: string; monthly_budget: string }) => [t.team, t.monthly_budget]),
      [
        ['sales', '6000'],
        ['support', '2500'],
      ],
    );
    assert.equal(list.gateway_keys.length, 2);
  });

  test('dispute open, list, resolve --accept; wrong arguments say what to do', () => {
    const opened = recon('dispute', 'open', '--period', '2026-05', '--team', 'sales', '--reason', 'staging calls on our key', '--ref', 'req-42', '--amount', '120.50', '--json');
    assert.equal(opened.code, 0, opened.stderr);
    const dispute = JSON.parse(opened.stdout);
    assert.equal(dispute.status, 'open');
    assert.equal(dispute.amount, '120.50');
    // no workbook issued yet: due five business days after today (UTC)
    assert.equal(dispute.due_date, disputeDueDate(utcDay(new Date())));

    const unknown = recon('dispute', 'open', '--period', '2026-05', '--team', 'salez', '--reason', 'x');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /salez/);
    const both = recon('dispute', 'resolve', dispute.id, '--accept', '--reject', '--note', 'x');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of --accept or --reject/);

    const accepted = recon('dispute', 'resolve', dispute.id, '--accept', '--note', 'confirmed', '--json');
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.equal(JSON.parse(accepted.stdout).status, 'accepted');
    const again = recon('dispute', 'resolve', dispute.id, '--reject', '--note', 'x');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already accepted/);

    const list = JSON.parse(recon('dispute', 'list', '--period', '2026-05', '--json').stdout);
    assert.deepEqual(
      list.map((d: { team: string; status: string; resolution_note: string; ref: string }) => [d.team, d.status, d.resolution_note, d.ref]),
      [['sales', 'accepted', 'confirmed', 'req-42']],
    );
  });
});
