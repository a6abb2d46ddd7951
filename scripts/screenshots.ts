// `npm run screenshots`: the README's pictures, made from the demo month by the product itself.
//
//   docs/period-page.png  the period page of `recon serve`, signed in through the login form, in chromium
//   docs/close-sheet.png  the first sheet of the allocation workbook (the Close sheet) as `recon workbook`
//                         writes it, printed to PDF
//                         by LibreOffice and rasterised by pdftoppm (or by chromium when poppler is missing)
//
// The store is the one the environment names (RECON_DATA_DIR or DATABASE_URL, as for every recon
// command; default .recon). When it has no succeeded run of the demo month, `recon demo` builds it
// first. The browser comes from scripts/install-browser.sh; LibreOffice from apt-get when missing.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { chromium, type Browser } from 'playwright-core';
import { DEMO_PERIOD } from '../src/demo/sample-month.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECON = path.join(ROOT, 'bin/recon.js');
const CHROMIUM = '/usr/bin/chromium';
const DOCS = path.join(ROOT, 'docs');
// Wide enough for the period page's tables side by side with the charts; 1x keeps the PNG small.
const VIEWPORT = { width: 1280, height: 900 };
// The sheet picture: legible in the README at GitHub's content width, small enough to commit.
const SHEET_DPI = '110';
const MAX_PNG_BYTES = 500 * 1024;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'recon-screenshots-'));
const token = crypto.randomBytes(24).toString('base64url');
const env: NodeJS.ProcessEnv = { ...process.env, RECON_API_TOKENS: token, RECON_LOG_LEVEL: process.env.RECON_LOG_LEVEL ?? 'warn' };

function say(text: string): void {
  process.stderr.write(`screenshots: ${text}\n`);
}

function recon(args: string[], inherit = false): string {
  const result = spawnSync(process.execPath, [RECON, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', inherit ? 'inherit' : 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`recon ${args.join(' ')} exited ${result.status}:\n${result.stderr ?? ''}`);
  return result.stdout;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function ensureDemoRun(): void {
  const runs = JSON.parse(recon(['runs', '--period', DEMO_PERIOD, '--json'])) as { status: string }[];
  if (runs.some((r) => r.status === 'succeeded')) {
    say(`using the store's current run of ${DEMO_PERIOD}`);
    return;
  }
  say(`no succeeded run of ${DEMO_PERIOD} in the store: building the demo month (recon demo)`);
  recon(['demo', '--out', path.join(work, 'demo-out')], true);
}

function startServe(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [RECON, 'serve', '--port', '0', '--host', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /recon serving on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`recon serve exited ${code} before it served`)));
  });
}

/** A copy of the workbook with its first sheet alone, set to print on one page width. */
async function firstSheetOnly(source: string, target: string): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(source);
  const [first, ...rest] = workbook.worksheets;
  if (!first) throw new Error(`${source} has no sheets`);
  for (const sheet of rest) workbook.removeWorksheet(sheet.id);
  // The workbook's own print setup wins; a sheet without one is fitted to the page width here,
  // so that the picture shows the whole sheet rather than its left columns.
  if (!first.pageSetup.fitToPage) first.pageSetup = { ...first.pageSetup, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 };
  await workbook.xlsx.writeFile(target);
  return first.name;
}

function ensureLibreOffice(): void {
  if (has('soffice')) return;
  say('soffice is missing: apt-get install -y libreoffice-calc');
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'libreoffice-calc'];
  const [command, ...args] = process.getuid?.() === 0 ? install : ['sudo', '-n', ...install];
  execFileSync(command!, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function renderSheet(browser: Browser, xlsx: string, png: string): Promise<void> {
  ensureLibreOffice();
  // A profile of its own: another soffice of the same user (a desktop, a parallel check) would
  // otherwise take the conversion over and exit without writing.
  const profile = `file://${path.join(work, 'lo-profile')}`;
  execFileSync('soffice', [`-env:UserInstallation=${profile}`, '--headless', '--convert-to', 'pdf', '--outdir', work, xlsx], { stdio: 'ignore', timeout: 180_000 });
  const pdf = path.join(work, `${path.basename(xlsx, '.xlsx')}.pdf`);
  if (!fs.existsSync(pdf)) throw new Error(`LibreOffice wrote no PDF of ${xlsx}`);
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  try {
    let full: Buffer;
    if (has('pdftoppm')) {
      const prefix = path.join(work, 'sheet');
      execFileSync('pdftoppm', ['-png', '-r', SHEET_DPI, '-f', '1', '-l', '1', '-singlefile', pdf, prefix]);
      full = fs.readFileSync(`${prefix}.png`);
    } else {
      // Chromium's PDF viewer: the first page as it shows it.
      await page.goto(`file://${pdf}`);
      await page.waitForTimeout(2000);
      full = await page.screenshot();
    }
    fs.writeFileSync(png, await trimWhite(browser, full));
  } finally {
    await page.close();
  }
}

/** The picture cut to what is printed on it (a sheet rarely fills its page), with a margin. */
async function trimWhite(browser: Browser, png: Buffer): Promise<Buffer> {
  const page = await browser.newPage();
  try {
    const dataUrl = await page.evaluate(async (source: string) => {
      const image = new Image();
      image.src = source;
      await image.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [image.width, image.height];
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(image, 0, 0);
      const { data } = ctx.getImageData(0, 0, image.width, image.height);
      let [left, top, right, bottom] = [image.width, image.height, -1, -1];
      for (let y = 0; y < image.height; y++) {
        for (let x = 0; x < image.width; x++) {
          const i = (y * image.width + x) * 4;
          if (data[i]! < 245 || data[i + 1]! < 245 || data[i + 2]! < 245) {
            if (x < left) left = x;
            if (x > right) right = x;
            if (y < top) top = y;
            if (y > bottom) bottom = y;
          }
        }
      }
      if (right < 0) return source;
      const margin = 16;
      [left, top] = [Math.max(0, left - margin), Math.max(0, top - margin)];
      [right, bottom] = [Math.min(image.width - 1, right + margin), Math.min(image.height - 1, bottom + margin)];
      const out = document.createElement('canvas');
      [out.width, out.height] = [right - left + 1, bottom - top + 1];
      out.getContext('2d')!.drawImage(canvas, left, top, out.width, out.height, 0, 0, out.width, out.height);
      return out.toDataURL('image/png');
    }, `data:image/png;base64,${png.toString('base64')}`);
    return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
  } finally {
    await page.close();
  }
}

/**
 * Screenshots of long tables run to a megabyte as 24-bit PNG; pngquant's palette keeps them
 * readable at a third of that (the README's pictures must stay small in the repository).
 */
function shrinkPng(file: string): void {
  if (fs.statSync(file).size <= MAX_PNG_BYTES) return;
  if (!has('pngquant')) {
    const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'pngquant'];
    const [command, ...args] = process.getuid?.() === 0 ? install : ['sudo', '-n', ...install];
    spawnSync(command!, args, { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  if (!has('pngquant')) {
    say(`${path.relative(ROOT, file)} is over ${MAX_PNG_BYTES / 1024} KB and pngquant is missing (apt-get install pngquant) to shrink it`);
    return;
  }
  execFileSync('pngquant', ['--quality', '60-90', '--speed', '1', '--strip', '--force', '--output', file, file]);
}

async function main(): Promise<void> {
  execFileSync('bash', [path.join(ROOT, 'scripts/install-browser.sh')], { stdio: 'inherit' });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing; install chromium (scripts/install-browser.sh says how)`);
  ensureDemoRun();
  // Written now by this checkout's code: the server would serve the workbook issued earlier for
  // the same run (byte for byte), which may predate a new sheet. Before the server starts: an
  // embedded store admits one process at a time.
  const written = JSON.parse(recon(['workbook', '--period', DEMO_PERIOD, '--out', path.join(work, 'out'), '--json'])) as { files: { kind: string; path: string }[] };
  const workbook = written.files.find((f) => f.kind === 'allocation')?.path;
  if (!workbook) throw new Error('recon workbook wrote no allocation workbook');
  let server: { child: ChildProcess; url: string } | undefined;
  let browser: Browser | undefined;
  try {
    [server, browser] = await Promise.all([startServe(), chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })]);
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const periodPath = `/app/periods/${DEMO_PERIOD}`;
    await page.goto(server.url + periodPath);
    await page.fill('#token', token);
    await Promise.all([page.waitForURL((u) => u.pathname === periodPath), page.click('button[type=submit]')]);
    const periodPng = path.join(DOCS, 'period-page.png');
    await page.screenshot({ path: periodPng, fullPage: true });
    shrinkPng(periodPng);
    say(`wrote ${path.relative(ROOT, periodPng)} (${Math.round(fs.statSync(periodPng).size / 1024)} KB)`);

    const single = path.join(work, 'first-sheet.xlsx');
    const sheetName = await firstSheetOnly(workbook, single);
    const sheetPng = path.join(DOCS, 'close-sheet.png');
    await renderSheet(browser, single, sheetPng);
    shrinkPng(sheetPng);
    say(`wrote ${path.relative(ROOT, sheetPng)} from the sheet "${sheetName}" (${Math.round(fs.statSync(sheetPng).size / 1024)} KB)`);
  } finally {
    await browser?.close();
    if (server && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${(error as Error).message}\n`);
  process.exit(1);
});
