import type { PeriodListRow } from '../run/queries.ts';

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const when = (d: Date | string | null) => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '');

/** The page finance opens: every period with its status and download links. */
export function renderIndexPage(periods: PeriodListRow[]): string {
  const rows = periods
    .map((p) => {
      const period = escapeHtml(p.period);
      const download = p.current_run_id
        ? `<a href="/periods/${encodeURIComponent(p.period)}/allocation.xlsx">allocation-${period}.xlsx</a>`
        : 'no succeeded run yet';
      return `<tr><td>${period}</td><td>${escapeHtml(p.status)}${p.closed_at ? ` (${escapeHtml(when(p.closed_at))})` : ''}</td><td>${p.current_run_id ? `run ${escapeHtml(p.current_run_id)}, ${escapeHtml(when(p.current_run_finished_at))}` : ''}</td><td>${escapeHtml(p.last_status ?? '')}</td><td>${download}</td><td><a href="/periods/${encodeURIComponent(p.period)}">summary</a> · <a href="/periods/${encodeURIComponent(p.period)}/runs">runs</a></td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>recon — periods</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.4rem .8rem;text-align:left}</style>
</head><body>
<h1>recon: reconciled periods</h1>
<p>The allocation workbook of each period is the one of its current run (the latest succeeded run). Team dispute workbooks are at /periods/PERIOD/disputes/TEAM.xlsx.</p>
<table><thead><tr><th>Period</th><th>Status</th><th>Current run</th><th>Last run</th><th>Allocation workbook</th><th>Details</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">no periods yet</td></tr>'}
</tbody></table>
</body></html>
`;
}
