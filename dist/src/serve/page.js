import { href, html, when } from "./html.js";
import { layout } from "./layout.js";
export { escapeHtml } from "./html.js";
/** The page finance opens first: every period with its status, its pages and its workbook. */
export function renderIndexPage(periods, user = null) {
    const rows = periods.map((p) => html `<tr><td><a href="${href('app', 'periods', p.period)}">${p.period}</a></td>
<td><span class="tag ${p.status}">${p.status}</span>${p.closed_at ? html ` ${when(p.closed_at)}` : ''}</td>
<td>${p.current_run_id ? html `run ${p.current_run_id}, ${when(p.current_run_finished_at)}` : 'no succeeded run yet'}</td>
<td>${p.last_status ? html `<span class="tag ${p.last_status}">${p.last_status}</span>` : ''}</td>
<td>${p.current_run_id ? html `<a href="${href('periods', p.period, 'allocation.xlsx')}">allocation-${p.period}.xlsx</a>` : ''}</td>
<td><a href="${href('app', 'periods', p.period, 'disputes')}">disputes</a> · <a href="${href('app', 'periods', p.period, 'runs')}">runs</a></td></tr>`);
    return layout({
        title: 'Periods',
        user,
        body: html `<h1>Reconciled periods</h1>
<p class="note">Open a period for its variance, causes, team charges and dispute workbooks. The allocation workbook of each period is the one of its current run (the latest succeeded run).</p>
<table><thead><tr><th>Period</th><th>Status</th><th>Current run</th><th>Last run</th><th>Allocation workbook</th><th>Pages</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html `<tr><td colspan="6">no periods yet</td></tr>`}</tbody></table>`,
    });
}
