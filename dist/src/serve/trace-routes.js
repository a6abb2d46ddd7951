/** The request trace page (filled in by the trace work). */
export const traceRoutes = [];
//# sourceMappingURL=trace-routes.js.map