import { href, html, usd, when } from "./html.js";
import { csrfField, layout } from "./layout.js";
function dueText(d) {
    if (d.status !== 'open' || d.business_days_left === null)
        return d.due_date ?? '';
    const left = d.business_days_left;
    return `${d.due_date} (${left > 0 ? `${left} business day${left === 1 ? '' : 's'} left` : left === 0 ? 'due today' : `${-left} business day${left === -1 ? '' : 's'} overdue`})`;
}
function decisionForm(d, period, user) {
    return html `<form method="post" action="${href('app', 'periods', period, 'disputes', d.id)}" data-form="decide-${d.id}">${csrfField(user)}
<label>Decision <select name="decision"><option value="accepted">accept</option><option value="rejected">reject</option></select></label>
<label>Amount accepted (USD${d.amount ? `, default ${d.amount}` : ', required to accept'}) <input name="amount" size="10" inputmode="decimal"></label>
<label>Moves to team (default: the policy bucket) <input name="to" size="14"></label>
<label>Note <input name="note" size="40" required></label><button>Decide #${d.id}</button></form>`;
}
/** The period's disputes: list, open one, and accept or reject (rerun role). */
export function renderDisputesPage(input) {
    const { period, user } = input;
    const notice = input.notice
        ? html `<p class="flash" role="status">Dispute #${input.notice.id} ${input.notice.kind}${input.notice.kind === 'accepted' ? html `: its amount moves off the team on the next run (<a href="${href('app', 'periods', period, 'runs')}">rerun</a>)` : ''}.</p>`
        : '';
    const body = html `<h1>Disputes of ${period}</h1>
${notice}
<p class="note">A team disputes its charge within five business days (Monday–Friday) of its dispute workbook being issued. An accepted dispute moves its amount under the policy on the next run.</p>
<table data-table="disputes"><thead><tr><th>#</th><th>Team</th><th>State</th><th class="n">Amount</th><th>Opened</th><th>Due</th><th>Reason</th><th>Ref</th><th>Resolution</th></tr></thead><tbody>
${input.disputes.map((d) => html `<tr data-dispute="${d.id}"><td>${d.id}</td><td>${d.team}</td><td><span class="tag ${d.status}">${d.state}</span></td><td class="n">${d.amount ? usd(d.amount) : '—'}</td><td>${when(d.opened_at)}</td><td>${dueText(d)}</td>
<td>${d.reason}</td><td class="mono">${d.ref ?? ''}</td><td>${d.status === 'open'
        ? user.rerun
            ? decisionForm(d, period, user)
            : html `<span class="note">needs a rerun token</span>`
        : html `${d.resolution_note ?? ''}${d.resolved_at ? html ` <span class="note">(${when(d.resolved_at)})</span>` : ''}${d.applied_in_run ? html ` <span class="note">applied in run ${d.applied_in_run}</span>` : ''}`}</td></tr>`)}
${input.disputes.length === 0 ? html `<tr><td colspan="9">no disputes for ${period}</td></tr>` : ''}
</tbody></table>
<h2>Open a dispute</h2>
<form method="post" action="${href('app', 'periods', period, 'disputes')}" data-form="open-dispute"><fieldset>${csrfField(user)}
<label>Team <select name="team" required>${input.teams.map((t) => html `<option>${t}</option>`)}</select></label>
<label>Reason <input name="reason" size="60" required></label>
<label>Amount disputed (USD, optional) <input name="amount" size="10" inputmode="decimal"></label>
<label>Request id or invoice line id (optional) <input name="ref" size="40"></label>
<button>Open the dispute</button></fieldset></form>`;
    return layout({ title: `Disputes of ${period}`, user, body, period });
}
