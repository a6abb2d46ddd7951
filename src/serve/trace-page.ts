import type { TeamDayTrace } from '../trace/request-trace.ts';
import type { Trace, TraceAttempt } from '../trace/trace.ts';
import { count, href, html, usd, type SafeHtml } from './html.ts';
import { layout, type PageUser } from './layout.ts';

/** The request trace page: a search form, then one request's trace or a team's top requests of a day. */

export interface TraceSearch {
  request: string;
  team: string;
  day: string;
  top: string;
}

function searchForm(s: TraceSearch): SafeHtml {
  return html`<fieldset><legend>Find a request</legend>
<form method="get" action="/app/trace" data-form="trace-request"><label>Request id <input name="request" size="40" value="${s.request}" required></label><button>Trace</button></form>
</fieldset>
<fieldset><legend>Most expensive requests of a team on a day</legend>
<form method="get" action="/app/trace" data-form="trace-team-day"><label>Team <input name="team" size="20" value="${s.team}" required></label>
<label>Day (UTC) <input name="day" type="date" value="${s.day}" required></label>
<label>How many <input name="top" size="4" inputmode="numeric" value="${s.top}"></label><button>Show</button></form>
</fieldset>`;
}

const traceLink = (id: string) => html`<a class="mono" href="/app/trace?request=${encodeURIComponent(id)}">${id}</a>`;
/** Exact text shown as is (prices and costs carry more digits than cents). */
const exact = (text: string | null | undefined) => html`<span class="mono">${text ?? '—'}</span>`;

function attemptBlock(a: TraceAttempt): SafeHtml {
  const o = a.owner_resolution;
  const categories = a.categories.map(
    (c) => html`<tr data-category="${c.category}"><td>${c.category}</td><td class="n">${count(c.quantity)}</td>
<td class="n">${c.unpriced_reason ? html`<span class="tag breach">unpriced: ${c.unpriced_reason}</span>` : c.unit_price === null ? 'no fee' : html`${exact(c.unit_price)} ${c.category === 'request' ? 'per request' : 'per 1M'}`}</td>
<td class="n" data-cost="${c.category}">${exact(c.cost)}</td><td>${c.card_version ?? ''}${c.line_id ? html` line ${c.line_id}` : ''}</td>
<td data-range="${c.category}">${c.line_effective_from ? html`${c.line_effective_from.slice(0, 10)} .. ${c.line_effective_to ? c.line_effective_to.slice(0, 10) : 'open'}` : ''}</td></tr>`,
  );
  const cells = a.cells.map((c) => {
    const v = c.variance;
    return html`<tr data-cell="${c.category}"><td>${c.cell.model} · ${c.cell.token_category} · ${c.cell.service_tier} · ${c.cell.day}</td>
<td>${v?.status ? html`<span class="tag ${v.status}">${v.status}</span>` : 'no cell'}</td><td class="n">${usd(v?.invoice_amount)}</td><td class="n">${usd(v?.ledger_amount)}</td>
<td class="n">${usd(v?.variance)}</td><td class="n">${usd(v?.explained)}</td><td class="n">${usd(v?.unexplained)}</td>
<td>${(v?.causes ?? []).map((x) => html`<span class="tag">${x.cause} (${x.effect}) ${usd(x.amount)}</span> `)}</td>
<td class="n">${exact(c.allocation?.ratio)}</td><td class="n" data-share="${c.category}">${exact(c.allocation?.share)}</td>
<td class="note">${c.allocation && !c.allocation.exact ? c.allocation.note : ''}</td></tr>`;
  });
  return html`<section data-attempt="${a.request_id}"><h2>${a.request_id} · attempt ${a.attempt ?? 1}${a.original_request_id ? html` · retries ${traceLink(a.original_request_id)}` : ''}</h2>
<p>${a.ts.replace('T', ' ').replace('.000Z', ' UTC')} · ${a.provider} <span class="mono">${a.response_model}</span>${a.canonical_model !== a.response_model ? html` (= <span class="mono">${a.canonical_model}</span>)` : ''}
· ${a.service_tier} · region ${a.region ?? '—'} (priced as ${a.pricing_region || 'global'}) · <span class="tag ${a.status === 'ok' ? 'ok' : 'failed'}">${a.status}</span>${a.retry ? html` <span class="tag review">retry</span>` : ''}</p>
<table data-table="owner"><tbody>
<tr><th>Team</th><td data-owner="team">${o.team ?? '(untagged)'}</td><th>Service</th><td>${o.service ?? '—'}</td></tr>
<tr><th>Cost center</th><td>${o.cost_center ?? '—'}</td><th>Gateway key</th><td class="mono">${o.gateway_key_id ?? '—'}</td></tr>
<tr><th>Resolved by</th><td data-owner="resolved_by"><span class="tag">${o.resolved_by}</span></td><td colspan="2">${o.resolution}</td></tr>
<tr><th>Charged to</th><td data-owner="charged_to">${a.charged_to.team ?? '(spread)'}</td><td colspan="2">${a.charged_to.rule}</td></tr>
</tbody></table>
<table data-table="categories"><thead><tr><th>Category</th><th class="n">Quantity</th><th class="n">Unit price</th><th class="n">Cost</th><th>Card line</th><th>Effective</th></tr></thead>
<tbody>${categories}<tr class="total"><td>Attempt</td><td></td><td></td><td class="n" data-cost="attempt">${exact(a.cost)}</td><td colspan="2">exact, unrounded</td></tr></tbody></table>
${a.cells.length > 0 ? html`<table data-table="cells"><thead><tr><th>Variance cell</th><th>Status</th><th class="n">Invoice</th><th class="n">Priced ledger</th><th class="n">Variance</th><th class="n">Explained</th><th class="n">Unexplained</th><th>Causes</th><th class="n">Invoice / priced</th><th class="n">Share</th><th></th></tr></thead><tbody>${cells}</tbody></table>` : ''}
</section>`;
}

function tracePart(t: Trace): SafeHtml {
  return html`<h1>Request ${t.request_id}</h1>
<div class="cards"><div class="card"><div class="k">Exact cost, ${t.attempts.length} attempt(s)</div><div class="v" data-figure="cost">${t.cost}</div></div>
<div class="card"><div class="k">Allocation share${t.run ? ` (run ${t.run.id})` : ''}</div><div class="v" data-figure="allocated_share">${t.allocated_share ?? 'not exact'}</div></div></div>
<p class="note">${t.run ? html`Run ${t.run.id} of <a href="${href('app', 'periods', t.period)}">${t.period}</a>, ${t.run.status}, policy ${t.run.policy_version}. ` : html`Period ${t.period} has no succeeded run yet. `}${t.allocation_note}.</p>
${t.attempts.map(attemptBlock)}`;
}

function teamDayPart(r: TeamDayTrace): SafeHtml {
  const rows = r.requests.map(
    (q) => html`<tr data-rank="${q.rank}"><td class="n">${q.rank}</td><td>${traceLink(q.request_id)}</td><td class="n">${exact(q.cost)}</td><td>${q.provider} <span class="mono">${q.canonical_model}</span></td><td>${q.service_tier}</td>
<td>${q.region ?? '—'}</td><td class="n">${count(q.tokens.input)}</td><td class="n">${count(q.tokens.output)}</td><td>${q.service ?? '—'}</td><td class="mono">${q.gateway_key_id ?? '—'}</td><td>${q.resolved_by}</td>
<td>${q.card_versions.join(', ')}</td><td>${q.pricing_effective_from.map((d) => d.slice(0, 10)).join(', ')}</td><td class="n">${q.attempts}</td></tr>`,
  );
  return html`<h1>Team ${r.team} on ${r.day}</h1>
<p class="note">${count(r.total_requests)} request(s) costing ${exact(r.total_cost)} in all (exact); the ${r.requests.length} most expensive, a retry counted with the request it retries. The owner is the team tag, else the gateway key map.</p>
<table data-table="top-requests"><thead><tr><th class="n">#</th><th>Request</th><th class="n">Cost</th><th>Model</th><th>Tier</th><th>Region</th><th class="n">Input</th><th class="n">Output</th><th>Service</th><th>Gateway key</th><th>Owner by</th><th>Card</th><th>Price effective from</th><th class="n">Attempts</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="14">no requests of ${r.team} that day</td></tr>`}</tbody></table>`;
}

export function renderTracePage(input: { search: TraceSearch; trace?: Trace; teamDay?: TeamDayTrace; user: PageUser }): SafeHtml {
  const period = input.trace?.period ?? (input.teamDay ? input.teamDay.day.slice(0, 7) : undefined);
  const body = html`${input.trace ? tracePart(input.trace) : input.teamDay ? teamDayPart(input.teamDay) : html`<h1>Request trace</h1>`}
${searchForm(input.search)}`;
  return layout({ title: input.trace ? `Request ${input.trace.request_id}` : input.teamDay ? `Top requests of ${input.teamDay.team}` : 'Request trace', user: input.user, body, period });
}
