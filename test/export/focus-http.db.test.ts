import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { parseTokens } from '../../src/serve/auth.ts';
import { startServer, type RunningServer } from '../../src/serve/server.ts';
import { parseSettings } from '../../src/settings.ts';
import { describeEachBackend } from '../support/db.ts';
import { insertWorkbookMonth } from '../workbooks/run-fixture.ts';
import { validateFocus } from './focus-rules.ts';

const TOKEN = 'read-token-0123456789abcdef';

describeEachBackend('GET /periods/P/focus.csv', (store) => {
  let server: RunningServer;
  before(async () => {
    await insertWorkbookMonth(store());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'focus-http-'));
    server = await startServer({ store: store(), outDir: dir, settings: parseSettings({}), policy: defaultPolicy, tokens: parseTokens([], TOKEN), log: createLogger({ logFormat: 'json', logLevel: 'error' }) }, 0, '127.0.0.1');
  });
  after(async () => {
    await server?.close();
  });

  test('serves the FOCUS CSV of the current run to a token holder, not without one', async () => {
    assert.equal((await fetch(`${server.url}/periods/2026-05/focus.csv`)).status, 401);
    const res = await fetch(`${server.url}/periods/2026-05/focus.csv`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const records = parse(await res.text(), { columns: false }) as string[][];
    const header = records[0]!;
    const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] === '' ? null : r[i]!])));
    assert.deepEqual(validateFocus(header, rows), []);
    assert.equal(rows.reduce((s, r) => s + Math.round(Number(r.BilledCost) * 100), 0), 926, 'the invoice, $9.26, in cents');
    const pq = await fetch(`${server.url}/periods/2026-05/focus.parquet`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(pq.status, 200);
    const objects = (await parquetReadObjects({ file: await pq.arrayBuffer() })) as Record<string, unknown>[];
    assert.equal(objects.length, rows.length);
    assert.equal(objects.reduce((s, o) => s + Math.round(Number(o.BilledCost) * 100), 0), 926);
  });
});
