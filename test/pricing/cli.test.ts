import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const fixture = (name: string) => path.join(root, 'test/fixtures/ratecards', name);

async function recon(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, RECON_DATA_DIR: dataDir, DATABASE_URL: '' };
  delete (env as Record<string, string | undefined>).DATABASE_URL;
  try {
    const { stdout, stderr } = await run('node', [path.join(root, 'bin/recon.js'), ...args], { env, cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('recon ratecard: import, import again, refused overlap with its hint, supersede, list and diff as JSON', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-pricing-cli-'));
  try {
    const first = await recon(dataDir, 'ratecard', 'import', fixture('basic.csv'), '--json');
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), {
      ...JSON.parse(first.stdout),
      status: 'imported', card_version: 'fixture-v1', lines: 8, models: 2, retired_lines: 0,
    });
    const again = await recon(dataDir, 'ratecard', 'import', fixture('basic.csv'), '--json');
    assert.equal(JSON.parse(again.stdout).status, 'already_imported');

    const overlap = await recon(dataDir, 'ratecard', 'import', fixture('gpt4o-price-cut.csv'));
    assert.equal(overlap.code, 2);
    assert.match(overlap.stderr, /openai \/ gpt-4o-2024-08-06 \/ standard \/ input: new \[2026-05-15T00:00:00.000Z, open\) overlaps fixture-v1 \[2026-01-01T00:00:00.000Z, open\)/);
    assert.match(overlap.stderr, /next: .*--supersedes fixture-v1/);

    const fixed = await recon(dataDir, 'ratecard', 'import', fixture('gpt4o-price-cut.csv'), '--supersedes', 'fixture-v1', '--json');
    assert.equal(JSON.parse(fixed.stdout).retired_lines, 1);

    const diff = await recon(dataDir, 'ratecard', 'diff', 'fixture-v1', 'fixture-v2', '--json');
    const changed = JSON.parse(diff.stdout).changes.filter((c: { change: string }) => c.change === 'changed');
    assert.deepEqual(changed, [
      { provider: 'openai', model: 'gpt-4o-2024-08-06', service_tier: 'standard', token_category: 'input', region: '', min_input_tokens: '0', change: 'changed', old_price: '2.50', new_price: '2.00' },
    ]);

    const list = await recon(dataDir, 'ratecard', 'list', '--json');
    assert.deepEqual(JSON.parse(list.stdout).map((v: { card_version: string; lines: string }) => [v.card_version, v.lines]), [
      ['fixture-v1', '9'],
      ['fixture-v2', '1'],
    ]);

    const missing = await recon(dataDir, 'ratecard', 'diff', 'fixture-v1', 'nope');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no card version "nope"/);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
