import { href, html, usd, when } from "./html.js";
import { csrfField, layout } from "./layout.js";
function diffSection(diff) {
    const totals = Object.entries(diff.totals).map(([name, c]) => html `<tr><td>${name}</td><td class="n">${usd(c.from)}</td><td class="n">${usd(c.to)}</td><td class="n">${usd(c.change)}</td></tr>`);
    const teams = diff.teams.map((t) => html `<tr><td>team ${t.team}</td><td class="n">${usd(t.from)}</td><td class="n">${usd(t.to)}</td><td class="n">${usd(t.change)}</td></tr>`);
    const causes = diff.causes.map((c) => html `<tr><td>cause ${c.cause}</td><td class="n">${usd(c.from)}</td><td class="n">${usd(c.to)}</td><td class="n">${usd(c.change)}</td></tr>`);
    const counts = Object.entries(diff.counts)
        .filter(([, c]) => c.from !== c.to)
        .map(([name, c]) => html `<tr><td>${name}</td><td class="n">${c.from}</td><td class="n">${c.to}</td><td></td></tr>`);
    const i = diff.inputs;
    const inputs = [
        ...i.files_added.map((f) => html `<li>+ ${f.kind} file ${f.path} (#${f.id})</li>`),
        ...i.files_removed.map((f) => html `<li>− ${f.kind} file ${f.path} (#${f.id})</li>`),
        ...i.files_replaced.map((f) => html `<li>~ ${f.kind} file ${f.path} (#${f.id}) was replaced</li>`),
        ...i.card_versions_added.map((c) => html `<li>+ rate card version ${c}</li>`),
        ...i.card_versions_removed.map((c) => html `<li>− rate card version ${c}</li>`),
        ...i.card_versions_changed.map((c) => html `<li>~ rate card version ${c}: lines changed</li>`),
        ...[
            [i.policy_changed, 'allocation policy changed'],
            [i.aliases_changed, 'model aliases changed'],
            [i.owners_changed, 'owners changed'],
            [i.disputes_changed, 'disputes changed'],
            [i.settings_changed, 'tolerance settings changed'],
        ]
            .filter(([flag]) => flag)
            .map(([, label]) => html `<li>~ ${label}</li>`),
    ];
    return html `<h2 id="diff">Run ${diff.from_run_id} → run ${diff.to_run_id}: ${diff.no_change ? 'no change in results' : 'results changed'}</h2>
<table data-table="diff"><thead><tr><th></th><th class="n">Run ${diff.from_run_id}</th><th class="n">Run ${diff.to_run_id}</th><th class="n">Change</th></tr></thead><tbody>${totals}${teams}${causes}${counts}</tbody></table>
<h3>Inputs</h3>${inputs.length > 0 ? html `<ul>${inputs}</ul>` : html `<p>No input changed.</p>`}`;
}
/** Run history of a period, the diff between two runs, and rerun / close / reopen. */
export function renderRunsPage(input) {
    const { period, runs, user } = input;
    const closed = input.row?.status === 'closed';
    const succeeded = runs.filter((r) => r.status === 'succeeded');
    const newestFirst = [...runs].reverse();
    const options = (selected) => succeeded.map((r) => html `<option value="${r.id}"${r.id === selected ? html ` selected` : ''}>run ${r.id} (${when(r.finished_at)})</option>`).reverse();
    const from = input.diff?.from_run_id ?? succeeded[succeeded.length - 2]?.id;
    const to = input.diff?.to_run_id ?? succeeded[succeeded.length - 1]?.id;
    const notice = input.notice
        ? html `<p class="flash" role="status">${input.notice.kind === 'started' ? html `Run ${input.notice.runId} started; reload to follow it.` : html `Period ${period} closed on run ${input.notice.runId}.`}</p>`
        : '';
    const actions = user.rerun
        ? html `<h2>Actions</h2>
${closed
            ? html `<form method="post" action="${href('app', 'periods', period, 'runs')}" data-form="reopen"><fieldset><legend>Reopen and rerun (the period is closed)</legend>${csrfField(user)}<input type="hidden" name="action" value="reopen">
<label>Reason (kept on the record) <input name="reason" size="60" required></label><button>Reopen and rerun</button></fieldset></form>`
            : html `<form method="post" action="${href('app', 'periods', period, 'runs')}" data-form="rerun"><fieldset><legend>Rerun</legend>${csrfField(user)}<input type="hidden" name="action" value="rerun">
<label>Reason (written to the service log) <input name="reason" size="60" required></label><button>Rerun ${period}</button></fieldset></form>
<form method="post" action="${href('app', 'periods', period, 'close')}" data-form="close"><fieldset><legend>Close the period on run ${input.currentRunId ?? '—'}</legend>${csrfField(user)}
<label>Reason (written to the service log) <input name="reason" size="60" required></label><button${input.currentRunId ? '' : html ` disabled`}>Close ${period}</button></fieldset></form>`}`
        : html `<p class="note">Rerun, close and reopen need a token with rerun rights.</p>`;
    const body = html `<h1>Runs of ${period} <span class="tag ${input.row?.status ?? 'open'}">${input.row?.status ?? 'open'}</span></h1>
${notice}
<table data-table="runs"><thead><tr><th>Run</th><th>Status</th><th>Trigger</th><th>Started</th><th>Finished</th><th class="n">Invoice</th><th class="n">Priced ledger</th><th class="n">Allocated</th><th>Results</th><th>Note</th></tr></thead><tbody>
${newestFirst.map((r) => {
        const s = (r.summary ?? {});
        return html `<tr data-run="${r.id}"><td>${r.id}${r.id === input.currentRunId ? html ` <span class="tag">current</span>` : ''}</td><td><span class="tag ${r.status}">${r.status}</span></td><td>${r.trigger}</td><td>${when(r.started_at)}</td><td>${when(r.finished_at)}</td>
<td class="n">${s.invoice_total ? usd(s.invoice_total) : ''}</td><td class="n">${s.ledger_total ? usd(s.ledger_total) : ''}</td><td class="n">${s.allocated_total ? usd(s.allocated_total) : ''}</td>
<td><code>${(r.results_hash ?? '').slice(0, 12)}</code>${s.no_change ? ' (no change)' : ''}</td><td class="note">${r.reopen_reason ? `reopened: ${r.reopen_reason}` : ''}${r.error ?? ''}</td></tr>`;
    })}
</tbody></table>
${succeeded.length >= 2
        ? html `<form method="get" action="${href('app', 'periods', period, 'runs')}#diff" data-form="diff"><fieldset><legend>Compare two runs</legend>
<label>From <select name="from">${options(from)}</select></label><label>To <select name="to">${options(to)}</select></label><button>Show the diff</button></fieldset></form>`
        : html `<p class="note">A diff needs two succeeded runs.</p>`}
${input.diff ? diffSection(input.diff) : ''}
${actions}`;
    return layout({ title: `Runs of ${period}`, user, body, period });
}
