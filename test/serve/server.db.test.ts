import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { describeEachBackend } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine } from '../support/builders.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { parsePeriod } from '../../src/period.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { closePeriod } from '../../src/run/close-period.ts';
import { parseTokens } from '../../src/serve/auth.ts';
import { startServer, XLSX_TYPE, type RunningServer } from '../../src/serve/server.ts';
import { escapeHtml } from '../../src/serve/page.ts';

const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const READ = 'read-token-0123456789abcdef';
const RERUN = 'rerun-token-0123456789abcdef';
const settings = parseSettings({});

// Downloads against `recon workbook` output on a real month: test/run/operations.db.test.ts.
describeEachBackend('http service', (store) => {
  let server: RunningServer;
  let runId: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-serve-'));
  const get = (p: string, token: string | null = READ, init: RequestInit = {}) =>
    fetch(server.url + p, { ...init, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string> | undefined) } });

  before(async () => {
    // The real pipeline on a small month: support $3.00 and sales.emea $1.00 of gpt-4o input, invoiced $4.00.
    await insertRateCard(store(), 'card-a', [rateCardLine({ unit_price: '2.50' }), rateCardLine({ token_category: 'output', unit_price: '10.00' })]);
    await insertLedgerRecords(store(), [ledgerRecord({ team: 'support', input_tokens: 1_200_000, output_tokens: 0 }), ledgerRecord({ team: 'sales.emea', input_tokens: 400_000, output_tokens: 0 })]);
    await insertInvoiceLines(store(), [invoiceLine({ quantity: '1600000', amount: '4.00' })]);
    runId = (await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings, policy: defaultPolicy, log })).run_id;
    server = await startServer(
      { store: store(), outDir: dir, settings, policy: defaultPolicy, tokens: parseTokens([], `${READ},${RERUN}:rerun`), log },
      0,
      '127.0.0.1',
    );
  });
  after(async () => {
    await server?.close();
  });

  test('healthz needs no token', async () => {
    const res = await get('/healthz', null);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'ok');
  });

  test('401 without a token or with a wrong one, with a JSON error and a hint', async () => {
    for (const token of [null, 'wrong-token-0123456789abcdef']) {
      const res = await get('/periods', token);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(res.headers.get('www-authenticate') ?? '', /Bearer/);
      const body = await res.json();
      assert.match(body.error, /token/);
      assert.match(body.hint, /Authorization: Bearer/);
    }
  });

  test('periods, the period summary and its runs', async () => {
    const periods = await (await get('/periods')).json();
    assert.equal(periods.periods[0].period, '2026-05');
    assert.equal(periods.periods[0].current_run_id, runId);
    const summary = await (await get('/periods/2026-05')).json();
    assert.equal(summary.current_run_id, runId);
    assert.equal(summary.summary.ledger_total, '4.00');
    assert.deepEqual(summary.summary.allocations, [
      { team: 'sales.emea', amount: '1.00' },
      { team: 'support', amount: '3.00' },
    ]);
    const runs = await (await get('/periods/2026-05/runs')).json();
    assert.equal(runs.runs.length, 1);
    assert.equal(runs.runs[0].current, true);
    assert.equal((await get('/periods/2026-04')).status, 404);
  });

  test('bad inputs: bad period, path traversal in a team, unknown team, unknown path', async () => {
    const bad = await get('/periods/2026-13');
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /YYYY-MM/);
    assert.equal((await get('/periods/..%2F..%2Fetc/runs')).status, 400);
    const traversal = await get('/periods/2026-05/disputes/..%2F..%2Fetc%2Fpasswd.xlsx');
    assert.equal(traversal.status, 400);
    assert.match((await traversal.json()).error, /team must be/);
    assert.equal((await get('/periods/2026-05/disputes/nobody.xlsx')).status, 404);
    assert.equal((await get('/nothing-here')).status, 404);
    assert.equal((await get('/periods/2026-05/allocation.xlsx', READ, { method: 'DELETE' })).status, 405);
  });

  test('the allocation download is the issued workbook, byte for byte, with xlsx headers', async () => {
    // As `recon workbook` leaves it: a file on disk and its workbook_issue row.
    const file = path.join(dir, 'allocation-2026-05.xlsx');
    const bytes = crypto.randomBytes(5000);
    fs.writeFileSync(file, bytes);
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    await store().db.insertInto('workbook_issue').values({ period: '2026-05', run_id: runId, kind: 'allocation', team: null, path: file, sha256 }).execute();
    const res = await get('/periods/2026-05/allocation.xlsx');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), XLSX_TYPE);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="allocation-2026-05.xlsx"');
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
  });

  test('a dispute download has the team in its file name', async () => {
    const file = path.join(dir, 'dispute-2026-05-sales.emea.xlsx');
    fs.writeFileSync(file, 'dispute bytes');
    const sha256 = crypto.createHash('sha256').update('dispute bytes').digest('hex');
    await store().db.insertInto('workbook_issue').values({ period: '2026-05', run_id: runId, kind: 'dispute', team: 'sales.emea', path: file, sha256 }).execute();
    const res = await get('/periods/2026-05/disputes/sales.emea.xlsx');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="dispute-2026-05-sales.emea.xlsx"');
    assert.equal(await res.text(), 'dispute bytes');
  });

  test('POST a rerun: 403 for a read token, 202 with the run id, 201 with ?wait=true', async () => {
    const forbidden = await get('/periods/2026-05/runs', READ, { method: 'POST', body: '{}' });
    assert.equal(forbidden.status, 403);
    assert.match((await forbidden.json()).hint, /rerun/);
    const accepted = await get('/periods/2026-05/runs?wait=true', RERUN, { method: 'POST', body: '{}' });
    assert.equal(accepted.status, 201);
    const outcome = await accepted.json();
    assert.equal(outcome.no_change, true);
    assert.equal(outcome.previous_run_id, runId);
    const started = await get('/periods/2026-05/runs', RERUN, { method: 'POST' });
    assert.equal(started.status, 202);
    const body = await started.json();
    assert.match(body.run_id, /^\d+$/);
    assert.equal(body.status, 'running');
    assert.equal((await get('/periods/2026-05/runs', RERUN, { method: 'POST', body: 'not json' })).status, 400);
  });

  test('POST refuses a closed period without reopen, and accepts it with a reason', async () => {
    // the 202 run of the test before must finish first (a fixed sleep was flaky on a busy machine)
    for (let i = 0; i < 200; i++) {
      const runs = (await (await get('/periods/2026-05/runs')).json()).runs as { status: string }[];
      if (!runs.some((r) => r.status === 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await closePeriod(store().db, parsePeriod('2026-05'));
    const refused = await get('/periods/2026-05/runs', RERUN, { method: 'POST', body: '{}' });
    assert.equal(refused.status, 409);
    assert.match((await refused.json()).error, /closed/);
    assert.equal((await get('/periods/2026-05/runs', RERUN, { method: 'POST', body: '{"reopen": true}' })).status, 400);
    const reopened = await get('/periods/2026-05/runs?wait=true', RERUN, { method: 'POST', body: '{"reopen": true, "reason": "late credit"}' });
    assert.equal(reopened.status, 201);
    assert.equal((await reopened.json()).reopen_reason, 'late credit');
  });

  test('the index page lists periods with download links, everything escaped', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /href="\/periods\/2026-05\/allocation.xlsx"/);
    assert.match(html, /closed/);
    assert.equal(escapeHtml(`<script>"x"&'y'</script>`), '&#60;script&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/script&#62;');
    const basic = await fetch(server.url + '/', { headers: { Authorization: `Basic ${Buffer.from(`finance:${READ}`).toString('base64')}` } });
    assert.equal(basic.status, 200, 'browsers can use Basic auth with the token as password');
  });
});
