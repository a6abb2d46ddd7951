import { selectPeriods } from '../run/queries.ts';
import type { PageUser } from './layout.ts';
import { renderIndexPage } from './page.ts';
import { sendHtml, type Principal, type Route } from './server.ts';

export const pageUser = (principal: Principal): PageUser => ({ name: principal.token.name, rerun: principal.token.rerun, csrf: principal.session?.csrf ?? null });

/** The month-end app: server-rendered pages over the same domain queries as the CLI. */
export const appRoutes: Route[] = [
  {
    path: '',
    kind: 'html',
    methods: {
      GET: async ({ res, deps, principal }) => sendHtml(res, 200, renderIndexPage(await selectPeriods(deps.store.db), pageUser(principal))),
    },
  },
];
