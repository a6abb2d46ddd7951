import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import ExcelJS from 'exceljs';
import { describeEachBackend } from '../support/db.ts';
import { insertInvoiceLines, insertLedgerRecords, insertRateCard, invoiceLine, ledgerRecord, rateCardLine } from '../support/builders.ts';
import { parseSettings } from '../../src/settings.ts';
import { defaultPolicy } from '../../src/allocate/policy.ts';
import { createLogger } from '../../src/log.ts';
import { parsePeriod } from '../../src/period.ts';
import { runPeriod } from '../../src/run/run-period.ts';
import { parseTokens } from '../../src/serve/auth.ts';
import { startServer, type RunningServer } from '../../src/serve/server.ts';

const log = createLogger({ logFormat: 'json', logLevel: 'error' });
const READ = 'read-token-0123456789abcdef';
const RERUN = 'rerun-token-0123456789abcdef';
const settings = parseSettings({});

/** A raw request (fetch refuses TRACE and folds repeated headers). */
function request(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, raw: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A pid that is surely not running: a process that has already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

// Issue #16, items 2 and 12 (HTTP), through the real server on a real (small) month.
describeEachBackend('http service under attack', (store) => {
  let server: RunningServer;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-serve-attack-'));
  const leftover = path.join(dir, `allocation-2026-05.xlsx.${deadPid()}.partial`);
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  before(async () => {
    // support: 1.2M gpt-4o input tokens at $2.50/1M = $3.00; sales.emea 0.4M = $1.00; invoiced $4.00.
    await insertRateCard(store(), 'card-a', [rateCardLine({ unit_price: '2.50' }), rateCardLine({ token_category: 'output', unit_price: '10.00' })]);
    await insertLedgerRecords(store(), [ledgerRecord({ team: 'support', input_tokens: 1_200_000, output_tokens: 0 }), ledgerRecord({ team: 'sales.emea', input_tokens: 400_000, output_tokens: 0 })]);
    await insertInvoiceLines(store(), [invoiceLine({ quantity: '1600000', amount: '4.00' })]);
    await runPeriod(store(), { period: parsePeriod('2026-05'), trigger: 'manual', settings, policy: defaultPolicy, log });
    fs.writeFileSync(leftover, 'half a zip from a writer that was killed');
    server = await startServer({ store: store(), outDir: dir, settings, policy: defaultPolicy, tokens: parseTokens([], `${READ},${RERUN}:rerun`), log }, 0, '127.0.0.1');
  });
  after(async () => {
    await server?.close();
  });

  test('a .partial left by a dead writer is removed when the server starts', () => {
    assert.equal(fs.existsSync(leftover), false);
  });

  test('20 parallel first downloads: all 200, identical bytes, a valid workbook, one hash recorded for it', async () => {
    assert.equal(fs.existsSync(path.join(dir, 'allocation-2026-05.xlsx')), false, 'no file on disk before');
    const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${server.url}/periods/2026-05/allocation.xlsx`, { headers: auth(READ) })));
    assert.deepEqual(responses.map((r) => r.status), Array(20).fill(200));
    const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
    for (const body of bodies) assert.ok(body.equals(bodies[0]!), 'every download has the same bytes');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bodies[0]! as unknown as ArrayBuffer);
    assert.ok(workbook.worksheets.length > 3, 'the zip opens as a workbook with its sheets');
    assert.ok(workbook.getWorksheet('Summary') ?? workbook.worksheets[0]);
    const sha256 = (await import('node:crypto')).createHash('sha256').update(bodies[0]!).digest('hex');
    const issues = await store().db.selectFrom('workbook_issue').select(['sha256', 'path']).where('kind', '=', 'allocation').execute();
    assert.deepEqual([...new Set(issues.map((i) => i.sha256))], [sha256], 'only the complete file’s hash is recorded');
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.partial')), [], 'no temporary file is left');
  });

  test('parallel first downloads of a dispute workbook, too', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => fetch(`${server.url}/periods/2026-05/disputes/sales.emea.xlsx`, { headers: auth(READ) })));
    assert.deepEqual(responses.map((r) => r.status), Array(10).fill(200));
    const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
    for (const body of bodies) assert.ok(body.equals(bodies[0]!));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bodies[0]! as unknown as ArrayBuffer);
    assert.ok(workbook.worksheets.length > 1);
    const issues = await store().db.selectFrom('workbook_issue').select('sha256').where('kind', '=', 'dispute').execute();
    assert.equal(new Set(issues.map((i) => i.sha256)).size, 1);
  });

  test('POST, DELETE, PUT and TRACE on read-only paths: 405 with an Allow header, never 500', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/periods', 'GET, HEAD'],
      ['DELETE', '/periods', 'GET, HEAD'],
      ['TRACE', '/periods', 'GET, HEAD'],
      ['PUT', '/periods/2026-05', 'GET, HEAD'],
      ['TRACE', '/periods/2026-05', 'GET, HEAD'],
      ['DELETE', '/periods/2026-05/runs', 'GET, POST, HEAD'],
      ['POST', '/periods/2026-05/allocation.xlsx', 'GET, HEAD'],
      ['DELETE', '/periods/2026-05/disputes/support.xlsx', 'GET, HEAD'],
      ['PATCH', '/', 'GET, HEAD'],
      ['DELETE', '/healthz', 'GET, HEAD'],
    ];
    for (const [method, p, allow] of cases) {
      const res = await request(server.url + p, method, auth(READ));
      assert.equal(res.status, 405, `${method} ${p}`);
      assert.equal(res.headers.allow, allow, `${method} ${p}`);
      assert.match(res.body, /not allowed/);
    }
  });

  test('a Bearer header with anything after the token is refused, and 401 carries two separate challenges', async () => {
    for (const header of [`Bearer ${READ} junk`, `Bearer ${READ},x`, `Bearer`, `Bearer  `, `${READ}`, `Bearer ${READ} Basic eDp5`]) {
      const res = await request(`${server.url}/periods`, 'GET', { Authorization: header });
      assert.equal(res.status, 401, header);
    }
    const res = await request(`${server.url}/periods`, 'GET');
    const challenges = res.raw.filter((_, i) => i % 2 === 0 && res.raw[i]!.toLowerCase() === 'www-authenticate').map((_, i) => i);
    const values = res.raw.filter((v, i) => i % 2 === 1 && res.raw[i - 1]!.toLowerCase() === 'www-authenticate');
    assert.equal(challenges.length, 2, 'one challenge per header field');
    assert.match(values[0]!, /^Bearer realm="recon"$/);
    assert.match(values[1]!, /^Basic realm="recon"/);
    assert.equal((await request(`${server.url}/periods`, 'GET', { Authorization: `Bearer ${READ}` })).status, 200);
  });

  test('a browser without a session is sent to the login form; the form signs in with an HttpOnly SameSite=Strict cookie', async () => {
    const page = await fetch(`${server.url}/`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/login?next=%2F');
    const form = await fetch(`${server.url}/login?next=/app/periods/2026-05`);
    const loginCookie = form.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: loginCookie, ...headers }, body: new URLSearchParams(fields) });
    assert.equal((await post({ _csrf: 'forged', token: READ })).status, 403, 'a login form from elsewhere is refused');
    assert.equal((await post({ _csrf: csrf, token: 'wrong-token-0123456789abcdef' })).status, 401);
    const signedIn = await post({ _csrf: csrf, token: RERUN, next: '/app/periods/2026-05' });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), '/app/periods/2026-05');
    const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('recon_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.doesNotMatch(session, /Secure/, 'plain http: a Secure cookie would never come back');
    const overHttps = await post({ _csrf: csrf, token: READ }, { 'X-Forwarded-Proto': 'https' });
    assert.match(overHttps.headers.getSetCookie().find((c) => c.startsWith('recon_session='))!, /; Secure/);
    assert.equal((await post({ _csrf: csrf, token: READ, next: '//evil.example/' })).headers.get('location'), '/', 'no open redirect');

    const cookie = session.split(';')[0]!;
    assert.equal((await fetch(`${server.url}/`, { headers: { Cookie: cookie } })).status, 200);
    // A POST riding on the cookie alone (a form on another site) is refused.
    const forged = await fetch(`${server.url}/periods/2026-05/runs`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(forged.status, 403);
    assert.match((await forged.json()).error, /CSRF/);
  });
});
