import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { sql } from 'kysely';
import { UserError } from "../command-context.js";
import { isPeriod } from "../period.js";
import { runPeriod, reapDeadRuns } from "../run/run-period.js";
import { selectCurrentRun, selectPeriod, selectPeriods, selectRuns } from "../run/queries.js";
import { removePartialLeftovers } from "../workbooks/xlsx-writer.js";
import { focusFileOfRun } from "../export/export-focus.js";
import { authenticate, createSessions, parseCookies, presentedToken, sameSecret } from "./auth.js";
import { renderErrorPage, renderLoginPage } from "./login-page.js";
import { appRoutes } from "./app-routes.js";
import { selectRunTeams, workbookServer } from "./workbook-files.js";
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const TEAM_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const SESSION_COOKIE = 'recon_session';
const LOGIN_COOKIE = 'recon_login';
// No scripts at all: pages are forms and links; charts are inline SVG.
const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
// Two challenges, two header fields: browsers (Chromium) ignore a Basic challenge folded into
// one field after a Bearer one, and never prompt.
const CHALLENGES = ['Bearer realm="recon"', 'Basic realm="recon", charset="UTF-8"'];
export class HttpError extends Error {
    status;
    hint;
    headers;
    constructor(status, message, hint, headers = {}) {
        super(message);
        this.status = status;
        this.hint = hint;
        this.headers = headers;
    }
}
export function sendJson(res, status, body, headers = {}) {
    const text = JSON.stringify(body, null, 2) + '\n';
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
    res.end(text);
}
export function sendHtml(res, status, page, headers = {}) {
    const text = page.text;
    res.writeHead(status, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-store',
        'Content-Security-Policy': HTML_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'same-origin',
        ...headers,
    });
    res.end(text);
}
export function redirect(res, location, headers = {}) {
    res.writeHead(303, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0, ...headers });
    res.end();
}
export function periodParam(text) {
    if (!isPeriod(text))
        throw new HttpError(400, `period must be YYYY-MM (got "${text.slice(0, 40)}")`, 'use e.g. /periods/2026-05');
    return text;
}
export function teamParam(text) {
    if (!TEAM_PATTERN.test(text) || text === '.' || text === '..') {
        throw new HttpError(400, 'team must be 1-64 letters, digits, dots, dashes or underscores', 'use the team name as shown in GET /periods/P');
    }
    return text;
}
export function requireRerun(principal) {
    if (!principal.token.rerun)
        throw new HttpError(403, 'this token may read but not start runs or decide disputes', 'use a token configured with rerun rights (token:rerun)');
}
const BODY_LIMIT = 64 * 1024;
async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
        size += chunk.length;
        if (size > BODY_LIMIT)
            throw new HttpError(413, 'request body too large', 'send at most {"reopen": true, "reason": "…"}');
        chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return Object.fromEntries(new URLSearchParams(text));
    }
    if (text.trim() === '')
        return {};
    try {
        const value = JSON.parse(text);
        if (value === null || typeof value !== 'object' || Array.isArray(value))
            throw new Error('not an object');
        return value;
    }
    catch {
        throw new HttpError(400, 'request body must be a JSON object', 'send {} or {"reopen": true, "reason": "…"}');
    }
}
async function currentRunOr404(store, period) {
    const run = await selectCurrentRun(store.db, period);
    if (!run)
        throw new HttpError(404, `period ${period} has no succeeded run`, `start one with POST /periods/${period}/runs or recon run --period ${period}`);
    return run;
}
function sendFile(res, file, filename) {
    return new Promise((resolve, reject) => {
        // Opened once: the size and the bytes are of the same file even if another writer renames
        // a new (identical) copy over the name meanwhile.
        const fd = fs.openSync(file, 'r');
        const size = fs.fstatSync(fd).size;
        res.writeHead(200, {
            'Content-Type': XLSX_TYPE,
            'Content-Length': size,
            'Content-Disposition': `attachment; filename="${filename}"`,
            'Cache-Control': 'no-store',
            'X-Content-Type-Options': 'nosniff',
        });
        fs.createReadStream('', { fd }).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
    });
}
/**
 * Starts a rerun of a period; settles once the run row exists (with its id) or the run was
 * refused (closed period, one in progress: a UserError). `running` is the whole run.
 */
export async function startRun(ctx, period, options) {
    const { deps } = ctx;
    let started;
    const runStarted = new Promise((resolve) => (started = resolve));
    const running = runPeriod(deps.store, {
        period,
        trigger: 'http',
        settings: deps.settings,
        policy: deps.policy,
        log: deps.log.child({ requested_by: ctx.principal.token.name, ...(options.reason ? { reason: options.reason } : {}) }),
        reopen: options.reopen ? { reason: options.reason } : undefined,
        reconcile: deps.reconcile,
        onStarted: started,
    });
    // Refusals (closed period, a run in progress) come before the run row exists.
    const first = await Promise.race([runStarted.then((id) => ({ id })), running.then((outcome) => ({ outcome }))]);
    if ('outcome' in first)
        return { outcome: first.outcome };
    running.catch(() => undefined); // the run records its own failure
    return { runId: first.id, running };
}
const apiRoutes = [
    {
        path: 'periods',
        kind: 'json',
        methods: {
            GET: async ({ res, deps }) => sendJson(res, 200, { periods: await selectPeriods(deps.store.db) }),
        },
    },
    {
        path: 'periods/:period',
        kind: 'json',
        methods: {
            GET: async ({ res, deps, params }) => {
                const period = periodParam(params.period);
                const run = await currentRunOr404(deps.store, period);
                const row = await selectPeriod(deps.store.db, period);
                sendJson(res, 200, { period, status: row?.status ?? 'open', closed_at: row?.closed_at ?? null, current_run_id: run.id, summary: run.summary });
            },
        },
    },
    {
        path: 'periods/:period/runs',
        kind: 'json',
        methods: {
            GET: async ({ res, deps, params }) => {
                const period = periodParam(params.period);
                await reapDeadRuns(deps.store.db, deps.log);
                const current = await selectCurrentRun(deps.store.db, period);
                const runs = (await selectRuns(deps.store.db, period)).map(({ summary, inputs, ...r }) => ({ ...r, current: r.id === current?.id, no_change: summary?.no_change ?? null }));
                sendJson(res, 200, { period, runs });
            },
            POST: async (ctx) => {
                const period = periodParam(ctx.params.period);
                requireRerun(ctx.principal);
                const body = await ctx.body();
                const reopen = body.reopen === true;
                const reason = typeof body.reason === 'string' ? body.reason.trim() : '';
                if (reopen && !reason)
                    throw new HttpError(400, 'reopening a closed period needs a reason', 'send {"reopen": true, "reason": "why"}');
                const wait = ctx.url.searchParams.get('wait') === 'true';
                const started = await startRun(ctx, period, { reopen, reason });
                if ('outcome' in started || wait) {
                    const outcome = 'outcome' in started ? started.outcome : await started.running;
                    sendJson(ctx.res, 201, outcome, { Location: `/periods/${period}` });
                    return;
                }
                sendJson(ctx.res, 202, { run_id: started.runId, period, status: 'running', status_url: `/periods/${period}/runs` }, { Location: `/periods/${period}/runs` });
            },
        },
    },
    {
        path: 'periods/:period/allocation.xlsx',
        kind: 'file',
        methods: {
            GET: async ({ res, deps, params, workbook }) => {
                const period = periodParam(params.period);
                const run = await currentRunOr404(deps.store, period);
                const file = await workbook({ period, runId: run.id, kind: 'allocation', team: null });
                await sendFile(res, file, `allocation-${period}.xlsx`);
            },
        },
    },
    {
        // FOCUS 1.3 export beside the workbooks, same auth (src/export; issue #20)
        path: 'periods/:period/focus.csv',
        kind: 'file',
        methods: {
            GET: async ({ res, deps, params }) => {
                const period = periodParam(params.period);
                const run = await currentRunOr404(deps.store, period);
                const body = await focusFileOfRun(deps.store, period, run.id, 'csv');
                res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Length': body.length, 'Content-Disposition': `attachment; filename="focus-${period}.csv"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
                res.end(body);
            },
        },
    },
    {
        // FOCUS 1.3 export beside the workbooks, same auth (src/export; issue #20)
        path: 'periods/:period/focus.parquet',
        kind: 'file',
        methods: {
            GET: async ({ res, deps, params }) => {
                const period = periodParam(params.period);
                const run = await currentRunOr404(deps.store, period);
                const body = await focusFileOfRun(deps.store, period, run.id, 'parquet');
                res.writeHead(200, { 'Content-Type': 'application/vnd.apache.parquet', 'Content-Length': body.length, 'Content-Disposition': `attachment; filename="focus-${period}.parquet"`, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
                res.end(body);
            },
        },
    },
    {
        path: 'periods/:period/disputes/:team.xlsx',
        kind: 'file',
        methods: {
            GET: async ({ res, deps, params, workbook }) => {
                const period = periodParam(params.period);
                const team = teamParam(params.team);
                const run = await currentRunOr404(deps.store, period);
                if (!(await selectRunTeams(deps.store, run.id)).includes(team)) {
                    throw new HttpError(404, `team ${team} has no allocation in run ${run.id} of ${period}`, `see the teams in GET /periods/${period}`);
                }
                const file = await workbook({ period, runId: run.id, kind: 'dispute', team });
                await sendFile(res, file, `dispute-${period}-${team}.xlsx`);
            },
        },
    },
];
function matchRoute(routes, parts) {
    for (const route of routes) {
        const pattern = route.path === '' ? [] : route.path.split('/');
        if (pattern.length !== parts.length)
            continue;
        const params = {};
        const ok = pattern.every((p, i) => {
            const part = parts[i];
            if (!p.startsWith(':'))
                return p === part;
            const dot = p.indexOf('.');
            if (dot === -1) {
                params[p.slice(1)] = part;
                return true;
            }
            const suffix = p.slice(dot);
            if (!part.endsWith(suffix) || part.length === suffix.length)
                return false;
            params[p.slice(1, dot)] = part.slice(0, -suffix.length);
            return true;
        });
        if (ok)
            return { route, params };
    }
    return undefined;
}
const isHttps = (req) => Boolean(req.socket.encrypted) || req.headers['x-forwarded-proto'] === 'https';
function cookie(req, name, value, maxAgeSeconds, path = '/') {
    return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${isHttps(req) ? '; Secure' : ''}`;
}
/** Where a login may send the browser back to: a path on this server, nothing else. */
function safeNext(next) {
    return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}
/** The request handler: routes, auth, CSRF, validation, errors as JSON {error, hint} or a page. */
export function createHandler(deps) {
    const { store, log } = deps;
    const now = deps.now ?? (() => new Date());
    const sessions = createSessions(() => now().getTime());
    const workbook = workbookServer(store, deps.outDir);
    const routes = [...apiRoutes, ...appRoutes];
    async function login(req, res, url, method) {
        const cookies = parseCookies(req.headers.cookie);
        if (method === 'GET') {
            // Login CSRF: the form's token must come back with the cookie set here (double submit).
            const csrf = crypto.randomBytes(24).toString('base64url');
            sendHtml(res, 200, renderLoginPage({ csrf, next: safeNext(url.searchParams.get('next')) }), { 'Set-Cookie': cookie(req, LOGIN_COOKIE, csrf, 3600, '/login') });
            return;
        }
        const body = await readBody(req);
        const formCsrf = typeof body._csrf === 'string' ? body._csrf : undefined;
        const expected = cookies.get(LOGIN_COOKIE);
        if (!expected || !sameSecret(formCsrf, expected)) {
            throw new HttpError(403, 'the login form expired or came from another site', 'open /login again and sign in');
        }
        const token = authenticate(deps.tokens, typeof body.token === 'string' ? body.token.trim() : undefined);
        const next = safeNext(body.next);
        if (!token) {
            log.warn('login refused', { remote: req.socket.remoteAddress });
            sendHtml(res, 401, renderLoginPage({ csrf: expected, next, error: 'That token is not configured for this service.' }));
            return;
        }
        const session = sessions.create(token);
        log.info('signed in', { token: token.name });
        redirect(res, next, { 'Set-Cookie': [cookie(req, SESSION_COOKIE, session.id, 12 * 3600), cookie(req, LOGIN_COOKIE, '', 0, '/login')] });
    }
    function principalOf(req) {
        if (req.headers.authorization !== undefined) {
            const token = authenticate(deps.tokens, presentedToken(req.headers.authorization));
            return token ? { token } : undefined;
        }
        const session = sessions.get(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
        return session ? { token: session.token, session } : undefined;
    }
    async function route(req, res, url, method, parts) {
        if (url.pathname === '/healthz') {
            if (method !== 'GET' && method !== 'HEAD')
                throw new HttpError(405, `${method} is not allowed here`, 'use GET /healthz', { Allow: 'GET, HEAD' });
            await sql `select 1`.execute(store.db);
            sendJson(res, 200, { status: 'ok', database: store.kind });
            return 'json';
        }
        if (url.pathname === '/login') {
            if (method !== 'GET' && method !== 'HEAD' && method !== 'POST')
                throw new HttpError(405, `${method} is not allowed here`, 'open /login in a browser', { Allow: 'GET, HEAD, POST' });
            await login(req, res, url, method === 'HEAD' ? 'GET' : method);
            return 'html';
        }
        if (url.pathname === '/logout') {
            if (method !== 'POST')
                throw new HttpError(405, `${method} is not allowed here`, 'sign out with the button on any page', { Allow: 'POST' });
            const session = sessions.get(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
            if (session) {
                const body = await readBody(req);
                if (!sameSecret(typeof body._csrf === 'string' ? body._csrf : undefined, session.csrf))
                    throw new HttpError(403, 'the form is missing its CSRF token or it is stale', 'reload the page and submit again');
                sessions.destroy(session.id);
            }
            redirect(res, '/login', { 'Set-Cookie': cookie(req, SESSION_COOKIE, '', 0) });
            return 'html';
        }
        const matched = matchRoute(routes, parts);
        if (!matched)
            throw new HttpError(404, 'no such page', 'see GET /periods, or / in a browser');
        const { route: found, params } = matched;
        const allowed = Object.keys(found.methods);
        const handler = found.methods[(method === 'HEAD' ? 'GET' : method)];
        const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', ');
        if (!handler)
            throw new HttpError(405, `${method} is not allowed on ${url.pathname}`, `allowed: ${allow}`, { Allow: allow });
        const principal = principalOf(req);
        if (!principal) {
            if (found.kind === 'html' && method === 'GET' && req.headers.authorization === undefined) {
                redirect(res, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
                return found.kind;
            }
            throw new HttpError(401, 'missing or unknown API token', 'send Authorization: Bearer <token> (tokens come from RECON_API_TOKENS or the settings file), or sign in at /login', { 'WWW-Authenticate': CHALLENGES });
        }
        let parsed;
        const body = () => (parsed ??= readBody(req));
        if (method === 'POST' && principal.session) {
            // A cookie rides along with any site's form: a session's POST must prove it came from a
            // page of ours (the token is in every form and is not readable by another origin).
            const presented = req.headers['x-csrf-token'];
            const fromForm = (await body())._csrf;
            const csrf = typeof presented === 'string' ? presented : typeof fromForm === 'string' ? fromForm : undefined;
            if (!sameSecret(csrf, principal.session.csrf))
                throw new HttpError(403, 'the form is missing its CSRF token or it is stale', 'reload the page and submit again');
        }
        await handler({ req, res, url, params, principal, deps, body, workbook, now });
        return found.kind;
    }
    return async (req, res) => {
        const started = Date.now();
        const method = req.method ?? 'GET';
        let kind = 'json';
        try {
            const url = new URL(req.url ?? '/', 'http://localhost');
            const parts = url.pathname.split('/').filter(Boolean).map((p) => {
                try {
                    return decodeURIComponent(p);
                }
                catch {
                    throw new HttpError(400, 'the path is not valid percent-encoding', 'check the link');
                }
            });
            kind = matchRoute([...apiRoutes, ...appRoutes], parts)?.route.kind ?? 'json';
            await route(req, res, url, method, parts);
        }
        catch (error) {
            if (res.headersSent) {
                res.destroy(error);
            }
            else {
                const { status, message, hint, headers } = error instanceof HttpError
                    ? error
                    : error instanceof UserError
                        ? { status: 409, message: error.message, hint: error.hint, headers: {} }
                        : { status: 500, message: 'internal error', hint: 'see the server log', headers: {} };
                if (!(error instanceof HttpError) && !(error instanceof UserError)) {
                    log.error('request failed', { method, path: req.url?.split('?')[0], error: error.message });
                }
                if (kind === 'html' && status !== 401)
                    sendHtml(res, status, renderErrorPage({ status, message, hint: hint ?? null }), headers);
                else
                    sendJson(res, status, { error: message, hint: hint ?? null }, headers);
            }
        }
        finally {
            log.debug('request', { method, path: req.url?.split('?')[0], status: res.statusCode, ms: Date.now() - started });
        }
    };
}
export async function startServer(deps, port, host = '0.0.0.0') {
    // Left by a writer that died mid-file; a live writer in another process keeps its own.
    for (const file of removePartialLeftovers(deps.outDir))
        deps.log.info('removed a partial workbook left by a stopped writer', { file });
    const handler = createHandler(deps);
    const server = http.createServer((req, res) => void handler(req, res));
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, resolve);
    });
    const address = server.address();
    const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
    return {
        url: `http://${shownHost}:${address.port}`,
        port: address.port,
        close: () => new Promise((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()));
            server.closeAllConnections();
        }),
    };
}
