import type { Route } from './server.ts';

/** The request trace page (filled in by the trace work). */
export const traceRoutes: Route[] = [];
