import { decideDispute, disputeView, openDispute, parseDisputeAmount } from '../allocate/dispute-actions.ts';
import { businessDaysLeft } from '../allocate/disputes.ts';
import { utcDay } from '../period.ts';
import { selectDispute, selectDisputes, selectKnownTeams } from '../allocate/queries.ts';
import { closePeriod } from '../run/close-period.ts';
import { diffRuns, type StoredRun } from '../run/diff.ts';
import { selectCurrentRun, selectPeriod, selectPeriods, selectRun, selectRuns } from '../run/queries.ts';
import type { Period } from '../period.ts';
import { renderDisputesPage, type DisputesNotice } from './disputes-page.ts';
import { href } from './html.ts';
import type { PageUser } from './layout.ts';
import { renderIndexPage } from './page.ts';
import { renderPeriodPage } from './period-page.ts';
import { loadPeriodView } from './period-view.ts';
import { renderRunsPage, type RunsNotice } from './runs-page.ts';
import { HttpError, periodParam, redirect, requireRerun, sendHtml, startRun, type Principal, type RequestContext, type Route } from './server.ts';
import { traceRoutes } from './trace-routes.ts';

export const pageUser = (principal: Principal): PageUser => ({ name: principal.token.name, rerun: principal.token.rerun, csrf: principal.session?.csrf ?? null });

const idParam = (value: string | null | undefined): string | undefined => (value && /^\d{1,18}$/.test(value) ? value : undefined);

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim() : '';
}

function required(body: Record<string, unknown>, name: string, what: string): string {
  const value = field(body, name);
  if (!value) throw new HttpError(400, `${what} is required`, 'fill it in and submit again');
  if (value.length > 2000) throw new HttpError(400, `${what} is too long (at most 2000 characters)`, 'shorten it');
  return value;
}

async function runsPage({ res, deps, params, url, principal }: RequestContext): Promise<void> {
  const period = periodParam(params.period!);
  const db = deps.store.db;
  const [row, runs, current] = await Promise.all([selectPeriod(db, period), selectRuns(db, period), selectCurrentRun(db, period)]);
  let diff;
  const from = idParam(url.searchParams.get('from'));
  const to = idParam(url.searchParams.get('to'));
  if (from && to) {
    const [a, b] = await Promise.all([selectRun(db, from), selectRun(db, to)]);
    if (!a || !b || a.period !== period || b.period !== period) throw new HttpError(404, `runs ${from} and ${to} are not both runs of ${period}`, 'pick two runs from the list');
    diff = diffRuns(a as unknown as StoredRun, b as unknown as StoredRun);
  }
  const started = idParam(url.searchParams.get('started'));
  const closed = idParam(url.searchParams.get('closed'));
  const notice: RunsNotice = started ? { kind: 'started', runId: started } : closed ? { kind: 'closed', runId: closed } : undefined;
  sendHtml(res, 200, renderRunsPage({ period, row, runs, currentRunId: current?.id, diff, notice, user: pageUser(principal) }));
}

async function disputesPage({ res, deps, params, url, principal, now }: RequestContext): Promise<void> {
  const period = periodParam(params.period!);
  const db = deps.store.db;
  const today = utcDay(now());
  const [rows, teams] = await Promise.all([selectDisputes(db, { period }), selectKnownTeams(db, period)]);
  const disputes = rows.map((d) => ({ ...disputeView(d, today), business_days_left: d.due_date ? businessDaysLeft(today, d.due_date) : null }));
  let notice: DisputesNotice;
  for (const kind of ['opened', 'accepted', 'rejected'] as const) {
    const id = idParam(url.searchParams.get(kind));
    if (id) notice = { kind, id };
  }
  sendHtml(res, 200, renderDisputesPage({ period, disputes, teams, notice, user: pageUser(principal) }));
}

/** The month-end app: server-rendered pages over the same domain queries and actions as the CLI. */
export const appRoutes: Route[] = [
  {
    path: '',
    kind: 'html',
    methods: {
      GET: async ({ res, deps, principal }) => sendHtml(res, 200, renderIndexPage(await selectPeriods(deps.store.db), pageUser(principal))),
    },
  },
  {
    path: 'app',
    kind: 'html',
    methods: { GET: async ({ res }) => redirect(res, '/') },
  },
  {
    path: 'app/periods/:period',
    kind: 'html',
    methods: {
      GET: async ({ res, deps, params, principal }) => {
        const period = periodParam(params.period!);
        const view = await loadPeriodView(deps.store.db, period);
        if (!view) throw new HttpError(404, `period ${period} has no succeeded run`, `run it first (recon run --period ${period}), or rerun it from its runs page`);
        sendHtml(res, 200, await renderPeriodPage(view, pageUser(principal)));
      },
    },
  },
  {
    path: 'app/periods/:period/runs',
    kind: 'html',
    methods: {
      GET: runsPage,
      POST: async (ctx) => {
        const period = periodParam(ctx.params.period!);
        requireRerun(ctx.principal);
        const body = await ctx.body();
        const action = field(body, 'action');
        if (action !== 'rerun' && action !== 'reopen') throw new HttpError(400, 'action must be rerun or reopen', 'use the buttons on the runs page');
        const reason = required(body, 'reason', 'a reason');
        const started = await startRun(ctx, period, { reopen: action === 'reopen', reason });
        const runId = 'outcome' in started ? started.outcome.run_id : started.runId;
        redirect(ctx.res, `${href('app', 'periods', period, 'runs')}?started=${runId}`);
      },
    },
  },
  {
    path: 'app/periods/:period/close',
    kind: 'html',
    methods: {
      POST: async (ctx) => {
        const period = periodParam(ctx.params.period!);
        requireRerun(ctx.principal);
        const reason = required(await ctx.body(), 'reason', 'a reason');
        const closed = await closePeriod(ctx.deps.store.db, period as Period);
        ctx.deps.log.info('period closed', { period, run_id: closed.closed_by_run, already_closed: closed.already_closed, requested_by: ctx.principal.token.name, reason });
        redirect(ctx.res, `${href('app', 'periods', period, 'runs')}?closed=${closed.closed_by_run}`);
      },
    },
  },
  {
    path: 'app/periods/:period/disputes',
    kind: 'html',
    methods: {
      GET: disputesPage,
      POST: async (ctx) => {
        const period = periodParam(ctx.params.period!);
        const body = await ctx.body();
        const team = required(body, 'team', 'the team');
        const reason = required(body, 'reason', 'a reason');
        const amount = parseDisputeAmount(field(body, 'amount'));
        const { dispute } = await openDispute(ctx.deps.store.db, { period, team, reason, ref: field(body, 'ref') || null, amount, now: ctx.now() });
        ctx.deps.log.info('dispute opened', { period, team, dispute_id: dispute.id, requested_by: ctx.principal.token.name });
        redirect(ctx.res, `${href('app', 'periods', period, 'disputes')}?opened=${dispute.id}`);
      },
    },
  },
  {
    path: 'app/periods/:period/disputes/:id',
    kind: 'html',
    methods: {
      POST: async (ctx) => {
        const period = periodParam(ctx.params.period!);
        requireRerun(ctx.principal);
        const id = idParam(ctx.params.id);
        if (!id) throw new HttpError(404, 'no such dispute', 'pick one from the list');
        const body = await ctx.body();
        const decision = field(body, 'decision');
        if (decision !== 'accepted' && decision !== 'rejected') throw new HttpError(400, 'decision must be accepted or rejected', 'use the form on the disputes page');
        const note = required(body, 'note', 'a note');
        const amount = parseDisputeAmount(field(body, 'amount'));
        const to = decision === 'accepted' ? field(body, 'to')?.trim() || null : null;
        if ((await selectDispute(ctx.deps.store.db, id))?.period !== period) throw new HttpError(404, `there is no dispute #${id} in ${period}`, 'pick one from the list');
        await decideDispute(ctx.deps.store.db, { id, decision, note, amount, now: ctx.now(), receivingTeam: to, bucket: ctx.deps.policy.platform_bucket });
        ctx.deps.log.info('dispute decided', { period, dispute_id: id, decision, requested_by: ctx.principal.token.name });
        redirect(ctx.res, `${href('app', 'periods', period, 'disputes')}?${decision}=${id}`);
      },
    },
  },
  ...traceRoutes,
];
