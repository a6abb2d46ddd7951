import { isPeriod, type Period } from '../period.ts';
import { traceRequest, traceTeamDay, type RunChoice } from '../trace/request-trace.ts';
import { DEFAULT_TOP, isDay, MAX_TOP } from '../trace/trace.ts';
import { pageUser } from './app-routes.ts';
import { HttpError, sendHtml, type RequestContext, type Route } from './server.ts';
import { renderTracePage, type TraceSearch } from './trace-page.ts';

// Longest request id or team name accepted in the query string: ids are gateway ids, not essays.
const MAX_TEXT = 200;

function text(url: URL, name: string): string {
  const value = (url.searchParams.get(name) ?? '').trim();
  if (value.length > MAX_TEXT) throw new HttpError(400, `${name} is too long (at most ${MAX_TEXT} characters)`, 'check the value');
  return value;
}

async function tracePage({ res, url, deps, principal }: RequestContext): Promise<void> {
  const search: TraceSearch = { request: text(url, 'request'), team: text(url, 'team'), day: text(url, 'day'), top: text(url, 'top') };
  const user = pageUser(principal);
  const db = deps.store.db;
  if (search.request) {
    const period = text(url, 'period');
    const run = text(url, 'run');
    if (period && !isPeriod(period)) throw new HttpError(400, `period must be YYYY-MM (got "${period.slice(0, 40)}")`, 'e.g. period=2026-05');
    if (run && !/^\d{1,18}$/.test(run)) throw new HttpError(400, 'run must be a run id', 'see the runs page');
    const choice: RunChoice = run ? { runId: run } : { period: (period || undefined) as Period | undefined };
    const trace = await traceRequest(db, search.request, choice);
    if (!trace) throw new HttpError(404, `no ledger record for request "${search.request}"`, 'check the id; ids are case-sensitive');
    if (run && !trace.run) throw new HttpError(404, `no run ${run}`, 'pick a run from the runs page');
    sendHtml(res, 200, renderTracePage({ search, trace, user }));
    return;
  }
  if (search.team || search.day) {
    if (!search.team || !search.day) throw new HttpError(400, 'team and day go together', 'fill in both');
    if (!isDay(search.day)) throw new HttpError(400, `day must be a date YYYY-MM-DD (got "${search.day.slice(0, 40)}")`, 'e.g. 2026-05-15');
    const top = search.top === '' ? DEFAULT_TOP : Number(search.top);
    if (!/^\d*$/.test(search.top) || !Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new HttpError(400, `top must be a whole number from 1 to ${MAX_TOP}`, 'e.g. 10');
    const teamDay = await traceTeamDay(db, search.team, search.day, top);
    sendHtml(res, 200, renderTracePage({ search, teamDay, user }));
    return;
  }
  sendHtml(res, 200, renderTracePage({ search, user }));
}

/** The request trace page: /app/trace?request=ID, or ?team=T&day=YYYY-MM-DD[&top=N] (also at /trace). */
export const traceRoutes: Route[] = [
  { path: 'app/trace', kind: 'html', methods: { GET: tracePage } },
  { path: 'trace', kind: 'html', methods: { GET: tracePage } },
];
