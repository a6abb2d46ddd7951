import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { UserError } from '../command-context.ts';
import type { Store } from '../db/connection.ts';
import type { Logger } from '../log.ts';
import { isPeriod, type Period } from '../period.ts';
import type { Settings } from '../settings.ts';
import type { AllocationPolicy } from '../allocate/policy.ts';
import { runPeriod, reapDeadRuns, type Reconcile } from '../run/run-period.ts';
import { selectCurrentRun, selectPeriod, selectPeriods, selectRuns } from '../run/queries.ts';
import { authenticate, presentedToken, type ApiToken } from './auth.ts';
import { focusFileOfRun } from '../export/export-focus.ts';
import { renderIndexPage } from './page.ts';
import { selectIntactIssuedFile, selectRunTeams, writeAllocationFile, writeDisputeFile } from './workbook-files.ts';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const TEAM_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface ServeDeps {
  store: Store;
  outDir: string;
  settings: Settings;
  policy: AllocationPolicy;
  tokens: ApiToken[];
  log: Logger;
  /** the pipeline; tests may pass a stand-in */
  reconcile?: Reconcile;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly hint?: string) {
    super(message);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function periodParam(text: string): Period {
  if (!isPeriod(text)) throw new HttpError(400, `period must be YYYY-MM (got "${text.slice(0, 40)}")`, 'use e.g. /periods/2026-05');
  return text;
}

function teamParam(text: string): string {
  if (!TEAM_PATTERN.test(text) || text === '.' || text === '..') {
    throw new HttpError(400, 'team must be 1-64 letters, digits, dots, dashes or underscores', 'use the team name as shown in GET /periods/P');
  }
  return text;
}

async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new HttpError(413, 'request body too large', 'send at most {"reopen": true, "reason": "…"}');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'request body must be a JSON object', 'send {} or {"reopen": true, "reason": "…"}');
  }
}

async function currentRunOr404(store: Store, period: Period) {
  const run = await selectCurrentRun(store.db, period);
  if (!run) throw new HttpError(404, `period ${period} has no succeeded run`, `start one with POST /periods/${period}/runs or recon run --period ${period}`);
  return run;
}

function sendFile(res: http.ServerResponse, file: string, filename: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const size = fs.statSync(file).size;
    res.writeHead(200, {
      'Content-Type': XLSX_TYPE,
      'Content-Length': size,
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    fs.createReadStream(file).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
  });
}

/** The request handler: routes, auth, validation, JSON errors {error, hint}. */
export function createHandler(deps: ServeDeps): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const { store, log } = deps;

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw new HttpError(400, 'the path is not valid percent-encoding', 'check the link');
      }
    });

    if (url.pathname === '/healthz' && method === 'GET') {
      await sql`select 1`.execute(store.db);
      sendJson(res, 200, { status: 'ok', database: store.kind });
      return;
    }

    const token = authenticate(deps.tokens, presentedToken(req.headers.authorization));
    if (!token) {
      throw new HttpError(401, 'missing or unknown API token', 'send Authorization: Bearer <token> (tokens come from RECON_API_TOKENS or the settings file)');
    }

    if (parts.length === 0 && method === 'GET') {
      const periods = await selectPeriods(store.db);
      const html = renderIndexPage(periods);
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
      res.end(html);
      return;
    }
    if (parts[0] !== 'periods') throw new HttpError(404, 'no such page', 'see GET /periods');

    if (parts.length === 1 && method === 'GET') {
      sendJson(res, 200, { periods: await selectPeriods(store.db) });
      return;
    }
    const period = periodParam(parts[1]!);

    if (parts.length === 2 && method === 'GET') {
      const run = await currentRunOr404(store, period);
      const row = await selectPeriod(store.db, period);
      sendJson(res, 200, { period, status: row?.status ?? 'open', closed_at: row?.closed_at ?? null, current_run_id: run.id, summary: run.summary });
      return;
    }

    if (parts.length === 3 && parts[2] === 'runs' && method === 'GET') {
      await reapDeadRuns(store.db, log);
      const current = await selectCurrentRun(store.db, period);
      const runs = (await selectRuns(store.db, period)).map(({ summary, inputs, ...r }) => ({ ...r, current: r.id === current?.id, no_change: (summary as { no_change?: boolean } | null)?.no_change ?? null }));
      sendJson(res, 200, { period, runs });
      return;
    }

    if (parts.length === 3 && parts[2] === 'runs' && method === 'POST') {
      if (!token.rerun) throw new HttpError(403, 'this token may read but not start runs', 'use a token configured with rerun rights (token:rerun)');
      const body = await readJsonBody(req);
      const reopen = body.reopen === true;
      const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
      if (reopen && !reason) throw new HttpError(400, 'reopening a closed period needs a reason', 'send {"reopen": true, "reason": "why"}');
      const wait = url.searchParams.get('wait') === 'true';
      let started!: (id: string) => void;
      const runStarted = new Promise<string>((resolve) => (started = resolve));
      const running = runPeriod(store, {
        period,
        trigger: 'http',
        settings: deps.settings,
        policy: deps.policy,
        log: log.child({ requested_by: token.name }),
        reopen: reopen ? { reason } : undefined,
        reconcile: deps.reconcile,
        onStarted: started,
      });
      // Refusals (closed period, a run in progress) come before the run row exists.
      const first = await Promise.race([runStarted.then((id) => ({ id })), running.then((outcome) => ({ outcome }))]);
      if (wait || 'outcome' in first) {
        const outcome = 'outcome' in first ? first.outcome : await running;
        sendJson(res, 201, outcome, { Location: `/periods/${period}` });
        return;
      }
      running.catch(() => undefined); // the run records its own failure
      sendJson(res, 202, { run_id: first.id, period, status: 'running', status_url: `/periods/${period}/runs` }, { Location: `/periods/${period}/runs` });
      return;
    }

    if (parts.length === 3 && parts[2] === 'allocation.xlsx' && method === 'GET') {
      const run = await currentRunOr404(store, period);
      const file = (await selectIntactIssuedFile(store, run.id, 'allocation', null)) ?? (await writeAllocationFile(store, { period, runId: run.id, outDir: deps.outDir })).path;
      await sendFile(res, file, `allocation-${period}.xlsx`);
      return;
    }

    // FOCUS 1.3 export beside the workbooks, same auth (src/export; issue #20)
    if (parts.length === 3 && (parts[2] === 'focus.csv' || parts[2] === 'focus.parquet') && method === 'GET') {
      const run = await currentRunOr404(store, period);
      const format = parts[2] === 'focus.csv' ? 'csv' : 'parquet';
      const body = await focusFileOfRun(store, period, run.id, format);
      res.writeHead(200, { 'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet', 'Content-Length': body.length, 'Content-Disposition': `attachment; filename="focus-${period}.${format}"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      res.end(body);
      return;
    }

    if (parts.length === 4 && parts[2] === 'disputes' && method === 'GET') {
      if (!parts[3]!.endsWith('.xlsx')) throw new HttpError(404, 'dispute workbooks are at /periods/P/disputes/TEAM.xlsx', 'add .xlsx');
      const team = teamParam(parts[3]!.slice(0, -'.xlsx'.length));
      const run = await currentRunOr404(store, period);
      if (!(await selectRunTeams(store, run.id)).includes(team)) {
        throw new HttpError(404, `team ${team} has no allocation in run ${run.id} of ${period}`, `see the teams in GET /periods/${period}`);
      }
      const file = (await selectIntactIssuedFile(store, run.id, 'dispute', team)) ?? (await writeDisputeFile(store, { period, runId: run.id, outDir: deps.outDir, team })).path;
      await sendFile(res, file, `dispute-${period}-${team}.xlsx`);
      return;
    }

    const known = parts.length === 3 && ['runs', 'allocation.xlsx'].includes(parts[2]!);
    if (known) throw new HttpError(405, `${method} is not allowed here`, 'see README.md, "HTTP service", for the endpoints');
    throw new HttpError(404, 'no such page', 'see GET /periods');
  }

  return async (req, res) => {
    const started = Date.now();
    try {
      await route(req, res);
    } catch (error) {
      if (res.headersSent) {
        res.destroy(error as Error);
      } else if (error instanceof HttpError) {
        const headers: http.OutgoingHttpHeaders = error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="recon", Basic realm="recon"' } : {};
        sendJson(res, error.status, { error: error.message, hint: error.hint ?? null }, headers);
      } else if (error instanceof UserError) {
        sendJson(res, 409, { error: error.message, hint: error.hint ?? null });
      } else {
        log.error('request failed', { method: req.method, path: req.url, error: (error as Error).message });
        sendJson(res, 500, { error: 'internal error', hint: 'see the server log' });
      }
    } finally {
      log.debug('request', { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Date.now() - started });
    }
  };
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(deps: ServeDeps, port: number, host = '0.0.0.0'): Promise<RunningServer> {
  const handler = createHandler(deps);
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
