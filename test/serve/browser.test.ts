import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
import ExcelJS from 'exceljs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildProgram } from '../../src/cli.ts';
import { createCommandContext } from '../../src/command-context.ts';
import { loadConfig } from '../../src/config.ts';
import { Decimal } from '../../src/money.ts';
import { testBackends } from '../support/db.ts';
import { cliTarget, runCliJson, type CliTarget } from '../e2e/cli-harness.ts';
import { writeSeedMonth } from '../e2e/seed-month.ts';

// The month-end app in a real browser (issue 18): Debian's chromium driven by playwright-core
// against a real `recon serve` process, on a store filled by recon's own commands and run by a
// real `recon run --json` process (whose output the pages are checked against).
//
// The month is the seed's three-team example (test/e2e/seed-month.ts) at 1/500 of its calls, so
// every invoice line is exact to the cent: Support $3.20, Sales $14.40, the agent $9.00 of priced
// usage, $26.60 in all, billed line for line. One more invoice line, a credit of −$2.66 (10% of
// the usage), is what makes the variance: invoice $23.94, priced ledger $26.60, variance −$2.66,
// and the credit goes to the teams in proportion to their priced usage, so each is charged 90%
// of its usage: Support $2.88, Sales $12.96, the agent $8.10. Sales then disputes $1.50; once it is
// accepted, the rerun moves it to the platform bucket: Sales $11.46, platform $1.50.
//
// One engine per run of the file: PostgreSQL when DATABASE_URL is set, else the embedded store.
// A browser session is slow on a shared 2-core machine and the pipeline's arithmetic is tested
// on both engines elsewhere; what this file tests (pages, forms, cookies, downloads) does not
// depend on the engine. (With the embedded store the server holds the data folder, so the run is
// made before the server starts: PGlite admits one process at a time.)

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RECON = path.join(ROOT, 'bin/recon.js');
const CHROMIUM = '/usr/bin/chromium';
const PERIOD = '2026-05';
const SCALE = 500;
const READ = 'browser-read-token-0123456789';
const RERUN = 'browser-rerun-token-0123456789';
const backend = testBackends().at(-1)!;

const KNOWN = {
  invoice: '23.94',
  ledger: '26.60',
  variance: '-2.66',
  allocated: '23.94',
  teams: { support: '2.88', sales: '12.96', agent: '8.10' } as Record<string, string>,
  usage: { support: '3.20', sales: '14.40', agent: '9.00' } as Record<string, string>,
};

interface RunJson {
  run_id: string;
  invoice_total: string;
  ledger_total: string;
  variance: string;
  allocated_total: string;
  unallocated: string;
  allocations: { team: string; amount: string }[];
}

/** "$1,234.56" or "−$2.66" as shown on the pages, back to a decimal string with two places. */
function fromUsd(text: string): string {
  const t = text.trim();
  const match = /^([−-])?\$([\d,]+\.\d{2})$/.exec(t);
  assert.ok(match, `"${t}" is an amount in dollars`);
  return new Decimal(match[2]!.replace(/,/g, '')).times(match[1] ? -1 : 1).toFixed(2);
}

function installBrowser(): Promise<string> {
  return new Promise((resolve) => {
    execFile('bash', [path.join(ROOT, 'scripts/install-browser.sh')], { timeout: 300_000 }, (_error, _stdout, stderr) => resolve(stderr.trim()));
  });
}

/**
 * The loading commands run in this process, as `recon demo` runs them (the same commands and
 * code, three process starts fewer: each costs seconds on a busy machine); the run and the server
 * are real processes.
 */
async function loadInProcess(target: CliTarget, commands: string[][]): Promise<void> {
  const context = createCommandContext(loadConfig({ ...target.env, RECON_LOG_LEVEL: 'error' }));
  // their --json results would land in the test runner's TAP stream
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    for (const args of commands) await (await buildProgram(context)).parseAsync([...args, '--json'], { from: 'user' });
  } finally {
    process.stdout.write = write;
    await context.close();
  }
}

function startServe(target: CliTarget): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [RECON, 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...target.env, RECON_API_TOKENS: `${READ},${RERUN}:rerun`, RECON_OUT_DIR: path.join(target.dir, 'out') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`recon serve did not start in 30 s:\n${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /recon serving on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]! });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`recon serve exited ${code}:\n${err}`));
    });
  });
}

describe(`the month-end app in Chromium [${backend}]`, () => {
  let skipReason: string | undefined;
  let target: CliTarget;
  let run: RunJson;
  let server: { child: ChildProcess; url: string } | undefined;
  let launching: Promise<Browser> | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const browserErrors: string[] = [];
  const failedLoads: string[] = [];
  const skipped = (t: TestContext) => {
    if (skipReason) t.skip(skipReason);
    return Boolean(skipReason);
  };

  before(async () => {
    const installNote = await installBrowser();
    if (!fs.existsSync(CHROMIUM)) {
      skipReason = `no browser: ${CHROMIUM} is missing after scripts/install-browser.sh${installNote ? ` (${installNote})` : ''}`;
      process.stderr.write(`\n*** SKIPPING the browser tests: ${skipReason}\n\n`);
      return;
    }
    // the browser starts while the CLI fills and runs the month
    launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    launching.catch(() => undefined);
    target = await cliTarget(backend);
    const files = writeSeedMonth(target.dir, SCALE);
    fs.appendFileSync(files.invoice, `openai,OPENAI-2026-05,2026-05-31,,,,,-2.66,USD,credit\n`);
    await loadInProcess(target, [['ratecard', 'import', files.card], ['ingest', 'ledger', files.ledger], ['ingest', 'invoice', files.invoice]]);
    run = await runCliJson<RunJson>(target, ['run', '--period', PERIOD]);
    [server, browser] = await Promise.all([startServe(target), launching]);
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    // a CSP violation or a broken page shows up here (the pages have no scripts at all)
    page.on('console', (message) => {
      if (message.type() === 'error') browserErrors.push(message.text());
    });
    page.on('pageerror', (error) => browserErrors.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) failedLoads.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
  });

  after(async () => {
    // closed even when the setup failed after the launch
    await (await launching?.catch(() => undefined))?.close();
    if (server && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
    await target?.cleanup();
  });

  async function signIn(token: string, next = `/app/periods/${PERIOD}`): Promise<void> {
    await page.goto(server!.url + next);
    assert.match(new URL(page.url()).pathname, /^\/login$/, 'a page needs a session: the browser is sent to the login form');
    await page.fill('#token', token);
    await Promise.all([page.waitForURL((u) => u.pathname === next), page.click('button[type=submit]')]);
  }

  test('the fixture month is what `recon run --json` reports', (t) => {
    if (skipped(t)) return;
    assert.equal(run.invoice_total, KNOWN.invoice);
    assert.equal(run.ledger_total, KNOWN.ledger);
    assert.equal(run.variance, KNOWN.variance);
    assert.equal(run.allocated_total, KNOWN.allocated);
    assert.deepEqual(Object.fromEntries(run.allocations.map((a) => [a.team, a.amount])), KNOWN.teams);
  });

  test('a wrong token is refused with a message; the right one signs in', async (t) => {
    if (skipped(t)) return;
    await page.goto(`${server!.url}/app/periods/${PERIOD}`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#token', 'not-a-configured-token-0123456789');
    await page.click('button[type=submit]');
    assert.match(await page.locator('[role=alert]').innerText(), /not configured/);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#token', READ);
    await Promise.all([page.waitForURL((u) => u.pathname === `/app/periods/${PERIOD}`), page.click('button[type=submit]')]);
    assert.match(await page.locator('header .who').innerText(), /\(read\)/);
    const session = (await context.cookies()).find((c) => c.name === 'recon_session');
    assert.ok(session, 'a session cookie is set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
  });

  test('the period page: totals, per provider and per team agree with `recon run --json` and the known month', async (t) => {
    if (skipped(t)) return;
    const figure = async (key: string) => fromUsd(await page.locator(`.cards [data-figure="${key}"]`).innerText());
    const cards = { invoice: await figure('invoice_total'), ledger: await figure('ledger_total'), variance: await figure('variance'), allocated: await figure('allocated_total') };
    assert.deepEqual(cards, { invoice: run.invoice_total, ledger: run.ledger_total, variance: run.variance, allocated: run.allocated_total });
    assert.deepEqual(cards, { invoice: KNOWN.invoice, ledger: KNOWN.ledger, variance: KNOWN.variance, allocated: KNOWN.allocated });
    assert.equal(await figure('unallocated'), '0.00');
    assert.equal(await page.locator('[data-figure="run_id"]').innerText(), run.run_id);

    // invoice, priced ledger, variance and allocated of the one provider (columns 2-5)
    const cells = await page.locator('[data-table="providers"] tr[data-provider="openai"] td').allInnerTexts();
    assert.deepEqual(cells.slice(1, 5).map(fromUsd), [KNOWN.invoice, KNOWN.ledger, KNOWN.variance, KNOWN.allocated]);
    // explained and unexplained: the credit is a named cause, so nothing is left unexplained
    assert.deepEqual(cells.slice(5, 7).map(fromUsd), [KNOWN.variance, '0.00']);
    const total = await page.locator('[data-table="providers"] tr.total td').allInnerTexts();
    assert.deepEqual(total.slice(1, 5).map(fromUsd), [run.invoice_total, run.ledger_total, run.variance, run.allocated_total]);

    const teams: Record<string, string> = {};
    const usage: Record<string, string> = {};
    for (const row of await page.locator('[data-table="teams"] tr[data-team]').all()) {
      const team = (await row.getAttribute('data-team'))!;
      teams[team] = fromUsd(await row.locator('[data-figure="team-charge"]').innerText());
      usage[team] = fromUsd(await row.locator('td').nth(3).innerText());
      assert.equal(await row.locator(`a[href="/periods/${PERIOD}/disputes/${team}.xlsx"]`).count(), 1, `${team} has a link to its dispute workbook`);
    }
    assert.deepEqual(teams, Object.fromEntries(run.allocations.map((a) => [a.team, a.amount])));
    assert.deepEqual(teams, KNOWN.teams);
    assert.deepEqual(usage, KNOWN.usage);
    const credit = page.locator('[data-table="causes"] tr[data-cause="invoice_discount"] td').nth(1);
    assert.equal(fromUsd(await credit.innerText()), KNOWN.variance, 'the credit is the one cause, and it is the whole variance');
  });

  test('the charts are SVG drawn on the page', async (t) => {
    if (skipped(t)) return;
    for (const chart of ['waterfall', 'by-day', 'by-team', 'month-over-month']) {
      const svg = page.locator(`[data-chart="${chart}"] > svg`);
      assert.equal(await svg.count(), 1, `the ${chart} chart is an inline SVG`);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 50, `the ${chart} chart is drawn at a visible size`);
      assert.ok((await svg.locator('path, rect').count()) > 0, `the ${chart} chart has marks`);
    }
    const labels = await page.locator('[data-chart="by-team"] svg text').allTextContents();
    assert.deepEqual(labels.filter((l) => l in KNOWN.teams), ['sales', 'agent', 'support'], 'the by-team chart shows the teams, largest charge first');
  });

  test('the allocation workbook downloads from its link, and its invoice total is the page’s', async (t) => {
    if (skipped(t)) return;
    const pageInvoice = fromUsd(await page.locator('.cards [data-figure="invoice_total"]').innerText());
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-link="allocation-workbook"]')]);
    assert.equal(download.suggestedFilename(), `allocation-${PERIOD}.xlsx`);
    const file = path.join(target.dir, 'downloaded.xlsx');
    await download.saveAs(file);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    const sheet = workbook.getWorksheet('Summary');
    assert.ok(sheet, 'the workbook has a Summary sheet');
    let invoicedColumn = 0;
    let headerRow = 0;
    sheet.eachRow((row, n) => {
      row.eachCell((cell, col) => {
        if (!invoicedColumn && cell.value === 'Invoiced') [invoicedColumn, headerRow] = [col, n];
      });
    });
    assert.ok(invoicedColumn > 0, 'the Summary sheet has an Invoiced column');
    const providerRow = [...Array(sheet.rowCount - headerRow).keys()].map((i) => sheet.getRow(headerRow + 1 + i)).find((r) => r.getCell(1).value === 'openai');
    assert.ok(providerRow, 'the Summary sheet has the openai row');
    const value = providerRow.getCell(invoicedColumn).value;
    const invoiced = new Decimal(String(typeof value === 'object' && value && 'result' in value ? value.result : value)).toFixed(2);
    assert.equal(invoiced, pageInvoice);
    assert.equal(invoiced, KNOWN.invoice);
  });

  test('a Basic challenge makes Chromium send the token as the password', async (t) => {
    if (skipped(t)) return;
    // Chromium answers a 401 only when a Basic challenge has a header field of its own.
    const basic = await browser!.newContext({ httpCredentials: { username: 'finance', password: READ } });
    try {
      const response = await (await basic.newPage()).goto(`${server!.url}/periods/${PERIOD}`);
      assert.equal(response?.status(), 200);
      assert.equal((await response!.json()).current_run_id, run.run_id);
    } finally {
      await basic.close();
    }
  });

  test('a dispute: opened by a read user, refused without the CSRF token, accepted by the rerun role', async (t) => {
    if (skipped(t)) return;
    await page.click('header a:text-is("Disputes")');
    await page.waitForURL((u) => u.pathname === `/app/periods/${PERIOD}/disputes`);
    await page.selectOption('[data-form="open-dispute"] select[name=team]', 'sales');
    await page.fill('[data-form="open-dispute"] input[name=reason]', 'proposal drafts billed twice');
    await page.fill('[data-form="open-dispute"] input[name=amount]', '1.50');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('opened')), page.click('[data-form="open-dispute"] button')]);
    const id = new URL(page.url()).searchParams.get('opened')!;
    const row = page.locator(`tr[data-dispute="${id}"]`);
    assert.match(await row.innerText(), /sales/);
    assert.equal(fromUsd(await row.locator('td').nth(3).innerText()), '1.50');
    assert.match(await row.innerText(), /needs a rerun token/);

    // The same session's cookie without the form's token: refused (another site's form could send it).
    const forged = await context.request.post(`${server!.url}/app/periods/${PERIOD}/disputes`, { form: { team: 'sales', reason: 'forged', amount: '9.99' }, maxRedirects: 0 });
    assert.equal(forged.status(), 403);
    assert.match(await forged.text(), /CSRF/);

    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.click('header button:text-is("Sign out")')]);
    await signIn(RERUN, `/app/periods/${PERIOD}/disputes`);
    assert.match(await page.locator('header .who').innerText(), /\(rerun\)/);
    const form = page.locator(`[data-form="decide-${id}"]`);
    assert.equal(await form.locator('input[name=_csrf]').count(), 1, 'the decision form carries the CSRF token');
    const withoutToken = await context.request.post(`${server!.url}/app/periods/${PERIOD}/disputes/${id}`, { form: { decision: 'accepted', note: 'forged' }, maxRedirects: 0 });
    assert.equal(withoutToken.status(), 403);
    await form.locator('select[name=decision]').selectOption('accepted');
    await form.locator('input[name=note]').fill('confirmed with the provider');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('accepted') === id), form.locator('button').click()]);
    assert.match(await page.locator('[role=status]').innerText(), new RegExp(`Dispute #${id} accepted`));
    const decided = await page.locator(`tr[data-dispute="${id}"]`).innerText();
    assert.match(decided, /accepted/);
    assert.match(decided, /confirmed with the provider/);
    assert.equal(await page.locator('tr[data-dispute]').count(), 1, 'the forged POSTs opened nothing');
  });

  test('the runs page lists the run with its totals', async (t) => {
    if (skipped(t)) return;
    await page.click('header a:text-is("Runs")');
    await page.waitForURL((u) => u.pathname === `/app/periods/${PERIOD}/runs`);
    const row = page.locator(`[data-table="runs"] tr[data-run="${run.run_id}"]`);
    assert.equal(await row.count(), 1);
    const cells = await row.locator('td').allInnerTexts();
    assert.match(cells[0]!, /current/);
    assert.match(cells[1]!, /succeeded/);
    assert.deepEqual(cells.slice(5, 8).map(fromUsd), [KNOWN.invoice, KNOWN.ledger, KNOWN.allocated]);
  });

  test('a rerun from the runs page applies the accepted dispute: $1.50 moves from sales to the platform bucket', async (t) => {
    if (skipped(t)) return;
    await page.fill('[data-form="rerun"] input[name=reason]', 'dispute accepted');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('started')), page.click('[data-form="rerun"] button')]);
    const rerunId = new URL(page.url()).searchParams.get('started')!;
    assert.notEqual(rerunId, run.run_id);
    let status = '';
    for (let i = 0; i < 300 && status !== 'succeeded' && status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await page.reload();
      status = (await page.locator(`[data-table="runs"] tr[data-run="${rerunId}"] td`).nth(1).innerText()).trim();
    }
    assert.equal(status, 'succeeded');
    await page.click('header a:text-is("Period 2026-05")');
    await page.waitForURL((u) => u.pathname === `/app/periods/${PERIOD}`);
    assert.equal(await page.locator('[data-figure="run_id"]').innerText(), rerunId);
    const teams: Record<string, string> = {};
    for (const row of await page.locator('[data-table="teams"] tr[data-team]').all()) {
      teams[(await row.getAttribute('data-team'))!] = fromUsd(await row.locator('[data-figure="team-charge"]').innerText());
    }
    assert.deepEqual(teams, { ...KNOWN.teams, sales: '11.46', platform: '1.50' });
    assert.equal(fromUsd(await page.locator('.cards [data-figure="allocated_total"]').innerText()), KNOWN.invoice, 'the invoice is still allocated to the cent');
  });

  test('sign out ends the session', async (t) => {
    if (skipped(t)) return;
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.click('header button:text-is("Sign out")')]);
    assert.equal((await context.cookies()).find((c) => c.name === 'recon_session'), undefined);
    await page.goto(`${server!.url}/app/periods/${PERIOD}`);
    assert.equal(new URL(page.url()).pathname, '/login');
  });

  test('no page logged an error in the browser console, and nothing a page loaded failed', (t) => {
    if (skipped(t)) return;
    // the one refusal the pages themselves met is the wrong token's sign-in (the forged POSTs went
    // through context.request, outside the page); Chromium logs it as a failed load
    assert.deepEqual(failedLoads, ['401 /login']);
    assert.deepEqual(browserErrors.filter((e) => !/status of 401/.test(e)), []);
  });
});
