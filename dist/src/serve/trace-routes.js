/** The request trace page (filled in by the trace work). */
export const traceRoutes = [];
