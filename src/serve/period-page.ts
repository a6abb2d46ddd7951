import { chargesByTeamSpec, invoiceLedgerByDaySpec, monthOverMonthSpec, varianceWaterfallSpec } from '../charts/specs.ts';
import { renderSvg } from '../charts/render.ts';
import { Decimal } from '../money.ts';
import { count, href, html, raw, share, usd, when, type SafeHtml } from './html.ts';
import { layout, type PageUser } from './layout.ts';
import type { PeriodView } from './period-view.ts';
import { commitmentsSection } from './commitments-section.ts';

// Rows of evidence shown per cause, and cells over tolerance shown, before "and N more" (the
// workbook has all of them).
const EVIDENCE_ROWS = 8;
const CELLS_SHOWN = 60;
const MOM_ROWS = 15;

const figure = (key: string, value: string) => html`<span data-figure="${key}">${usd(value)}</span>`;

function card(label: string, key: string, value: string, extra?: SafeHtml | string): SafeHtml {
  return html`<div class="card"><div class="k">${label}</div><div class="v">${figure(key, value)}</div>${extra ? html`<div class="k">${extra}</div>` : ''}</div>`;
}

function providerTable(v: PeriodView): SafeHtml {
  const rows = v.providers.map((p) => {
    const variance = new Decimal(p.invoiced).minus(p.priced).toFixed();
    return html`<tr data-provider="${p.provider}"><td>${p.provider}</td><td class="n">${usd(p.invoiced)}</td><td class="n">${usd(p.priced)}</td><td class="n">${usd(variance)}</td>
<td class="n">${usd(p.allocated)}</td><td class="n">${usd(p.explained)}</td><td class="n">${usd(p.unexplained)}</td><td class="n">${count(p.cells_breach)} / ${count(p.cells_review)}</td></tr>`;
  });
  const s = v.summary;
  return html`<table data-table="providers"><thead><tr><th>Provider</th><th class="n">Invoice</th><th class="n">Priced ledger</th><th class="n">Variance</th><th class="n">Allocated</th><th class="n">Explained</th><th class="n">Unexplained</th><th class="n">Cells breach / review</th></tr></thead>
<tbody>${rows}<tr class="total"><td>All providers</td><td class="n">${usd(s.invoice_total)}</td><td class="n">${usd(s.ledger_total)}</td><td class="n">${usd(s.variance)}</td><td class="n">${usd(s.allocated_total)}</td><td></td><td></td><td class="n">${s.cells_over_tolerance.breach} / ${s.cells_over_tolerance.review}</td></tr></tbody></table>`;
}

function causesSection(v: PeriodView): SafeHtml {
  if (v.variance.causes.length === 0) return html`<p>No variance to explain: the invoice and the priced ledger agree.</p>`;
  const evidence = new Map<string, typeof v.causeDetail>();
  for (const d of v.causeDetail) evidence.set(d.cause, [...(evidence.get(d.cause) ?? []), d]);
  const blocks = v.variance.causes.map((c) => {
    const rows = [...(evidence.get(c.cause) ?? [])].sort((a, b) => new Decimal(b.amount).abs().comparedTo(new Decimal(a.amount).abs()));
    const shown = rows.slice(0, EVIDENCE_ROWS);
    return html`<tr data-cause="${c.cause}"><td><strong>${c.cause}</strong></td><td class="n">${usd(c.amount)}</td><td class="n">${count(c.cells_affected)}</td><td class="n">${count(c.record_count)}</td><td>${c.rule}${c.detail ? html`<br><span class="note">${c.detail}</span>` : ''}</td></tr>
${
  shown.length > 0
    ? html`<tr><td></td><td colspan="4"><table><thead><tr><th>Provider</th><th>Cell (model · category · tier · day)</th><th class="n">Amount</th><th>Sample request ids</th></tr></thead><tbody>
${shown.map(
  (d) => html`<tr><td>${d.provider}</td><td>${[d.model, d.token_category, d.service_tier, d.day].filter(Boolean).join(' · ') || '(provider level)'}</td><td class="n">${usd(d.amount)}</td>
<td>${d.sample_request_ids
    .split(' ')
    .filter(Boolean)
    .slice(0, 5)
    .map((id) => html`<a class="mono" href="/app/trace?request=${encodeURIComponent(id)}">${id}</a> `)}</td></tr>`,
)}
${rows.length > shown.length ? html`<tr><td colspan="4" class="note">and ${rows.length - shown.length} more in the allocation workbook (Cause detail)</td></tr>` : ''}
</tbody></table></td></tr>`
    : ''
}`;
  });
  return html`<table data-table="causes"><thead><tr><th>Cause</th><th class="n">Amount</th><th class="n">Cells</th><th class="n">Records</th><th>Rule and evidence</th></tr></thead><tbody>${blocks}
<tr class="total"><td>Variance</td><td class="n">${usd(v.variance.variance)}</td><td colspan="3"></td></tr></tbody></table>`;
}

function cellsSection(v: PeriodView): SafeHtml {
  const cells = [...v.variance.cells].sort((a, b) => (a.status === b.status ? new Decimal(b.variance).abs().comparedTo(new Decimal(a.variance).abs()) : a.status === 'breach' ? -1 : 1));
  if (cells.length === 0) return html`<p>Every cell is within tolerance.</p>`;
  return html`<p class="note">${cells.length} cells (provider × model × token category × tier × day) are over tolerance: these still need work before the month is signed off.</p>
<table data-table="cells"><thead><tr><th>Status</th><th>Provider</th><th>Model</th><th>Category</th><th>Tier</th><th>Day</th><th class="n">Invoice</th><th class="n">Priced ledger</th><th class="n">Variance</th><th class="n">%</th></tr></thead><tbody>
${cells.slice(0, CELLS_SHOWN).map(
  (c) => html`<tr><td><span class="tag ${c.status}">${c.status}</span></td><td>${c.provider}</td><td>${c.model}</td><td>${c.token_category}</td><td>${c.service_tier}</td><td>${c.day}</td>
<td class="n">${usd(c.invoice_amount)}</td><td class="n">${usd(c.ledger_amount)}</td><td class="n">${usd(c.variance)}</td><td class="n">${c.variance_pct === null ? '—' : `${c.variance_pct}%`}</td></tr>`,
)}
${cells.length > CELLS_SHOWN ? html`<tr><td colspan="10" class="note">and ${cells.length - CELLS_SHOWN} more in the allocation workbook (Variance cells)</td></tr>` : ''}
</tbody></table>`;
}

function teamsSection(v: PeriodView): SafeHtml {
  return html`<table data-table="teams"><thead><tr><th>Team</th><th>Cost center</th><th class="n">Charge</th><th class="n">Own priced usage</th><th class="n">Attributable</th><th>Mode</th><th>Gate</th><th>Dispute workbook</th></tr></thead><tbody>
${v.teams.map(
  (t) => html`<tr data-team="${t.team}"><td>${t.team}</td><td>${t.cost_center ?? ''}</td><td class="n" data-figure="team-charge">${usd(t.allocated)}</td><td class="n">${usd(t.priced_cost)}</td><td class="n">${share(t.attributable_share)}</td>
<td>${t.mode ? html`<span class="tag ${t.mode}">${t.mode}</span>` : ''}</td><td class="note">${t.mode_reason ?? ''}</td>
<td><a href="${href('periods', v.period, 'disputes', `${t.team}.xlsx`)}">dispute-${v.period}-${t.team}.xlsx</a></td></tr>`,
)}
<tr class="total"><td>All teams</td><td></td><td class="n">${usd(v.summary.allocated_total)}</td><td colspan="5"></td></tr>
</tbody></table>`;
}

function monthOverMonthSection(v: PeriodView): SafeHtml {
  const m = v.monthOverMonth;
  const rows = [...m.rows].sort((a, b) => new Decimal(b.change).abs().comparedTo(new Decimal(a.change).abs())).slice(0, MOM_ROWS);
  return html`<table data-table="history"><thead><tr><th>Period</th><th>Run</th><th class="n">Invoice</th><th class="n">Priced ledger</th><th class="n">Variance</th></tr></thead><tbody>
${v.history.map((h) => html`<tr><td><a href="${href('app', 'periods', h.period)}">${h.period}</a></td><td>${h.run_id}</td><td class="n">${usd(h.invoice)}</td><td class="n">${usd(h.ledger)}</td><td class="n">${usd(h.variance)}</td></tr>`)}
</tbody></table>
<p class="note">Priced cost against ${m.previousPeriod} (${m.previousRunId ? `run ${m.previousRunId}` : 'no succeeded run: every workflow shows as new'}), largest changes first; volume + price + model mix = change.</p>
<table data-table="month-over-month"><thead><tr><th>Team</th><th>Workflow</th><th class="n">Previous</th><th class="n">Current</th><th class="n">Change</th><th class="n">Volume</th><th class="n">Price</th><th class="n">Model mix</th><th>Main driver</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr><td>${r.team}</td><td>${r.workflow}</td><td class="n">${usd(r.previous_cost)}</td><td class="n">${usd(r.current_cost)}</td><td class="n">${usd(r.change)}</td><td class="n">${usd(r.volume_effect)}</td><td class="n">${usd(r.price_effect)}</td><td class="n">${usd(r.mix_effect)}</td><td>${r.driver}</td></tr>`,
)}
</tbody></table>`;
}

/** The period page: what a controller reads to sign the month off. */
export async function renderPeriodPage(v: PeriodView, user: PageUser): Promise<SafeHtml> {
  const s = v.summary;
  const status = v.row?.status ?? 'open';
  const [waterfall, byTeam, byDay, mom] = await Promise.all([
    renderSvg(varianceWaterfallSpec({ ledgerTotal: v.variance.ledger_total, invoiceTotal: v.variance.invoice_total, causes: v.variance.causes.map((c) => ({ label: c.cause, amount: c.amount })) })),
    renderSvg(chargesByTeamSpec(v.teams.map((t) => ({ team: t.team, allocated: t.allocated, mode: t.mode })))),
    renderSvg(invoiceLedgerByDaySpec(v.daily)),
    renderSvg(monthOverMonthSpec(v.history.map((h) => ({ period: h.period, invoice: h.invoice, ledger: h.ledger })))),
  ]);
  const body = html`<h1>Period ${v.period} <span class="tag ${status}">${status}</span></h1>
<p class="note">Current run <strong data-figure="run_id">${v.run.id}</strong>, finished ${when(v.run.finished_at)} (trigger ${v.run.trigger}); inputs <code>${(v.run.inputs_hash ?? '').slice(0, 12)}</code>, results <code>${(v.run.results_hash ?? '').slice(0, 12)}</code>.
${v.row?.closed_at ? html` Closed ${when(v.row.closed_at)} by run ${v.row.closed_by_run ?? ''}.` : ''}${v.row?.reopen_reason ? html` Reopened: ${v.row.reopen_reason}.` : ''}</p>
<p><a href="${href('periods', v.period, 'allocation.xlsx')}" data-link="allocation-workbook">Download the allocation workbook (allocation-${v.period}.xlsx)</a> · <a href="${href('app', 'periods', v.period, 'disputes')}">Disputes</a> · <a href="${href('app', 'periods', v.period, 'runs')}">Runs</a> · <a href="/app/trace" data-link="trace">Request trace</a> (find a request, or a team's most expensive requests of a day)</p>
<div class="cards">
${card('Invoice', 'invoice_total', s.invoice_total)}
${card('Priced ledger', 'ledger_total', s.ledger_total)}
${card('Variance', 'variance', s.variance, s.variance_pct === null ? '' : `${s.variance_pct}% of the invoice`)}
${card('Allocated', 'allocated_total', s.allocated_total, html`unallocated ${figure('unallocated', s.unallocated)}`)}
<div class="card"><div class="k">Cells over tolerance</div><div class="v" data-figure="cells_over_tolerance">${s.cells_over_tolerance.total}</div><div class="k">${s.cells_over_tolerance.breach} breach, ${s.cells_over_tolerance.review} review</div></div>
<div class="card"><div class="k">Records</div><div class="v">${count(s.counts.records)}</div><div class="k">${count(s.counts.unpriced)} unpriced, ${count(s.counts.untagged)} untagged</div></div>
</div>
<h2>By provider</h2>
${providerTable(v)}
<h2>Variance</h2>
<div class="charts"><div class="chart" data-chart="waterfall">${raw(waterfall)}</div><div class="chart" data-chart="by-day">${raw(byDay)}</div></div>
<h2>Causes and their evidence</h2>
${causesSection(v)}
<h2>Cells over tolerance</h2>
${cellsSection(v)}
<h2>Teams</h2>
<div class="charts"><div class="chart" data-chart="by-team">${raw(byTeam)}</div></div>
${teamsSection(v)}
${commitmentsSection(v.commitments ?? [])}
<h2>Month over month</h2>
<div class="charts"><div class="chart" data-chart="month-over-month">${raw(mom)}</div></div>
${monthOverMonthSection(v)}`;
  return layout({ title: `Period ${v.period}`, user, body, period: v.period });
}
