import { Decimal, ZERO } from '../money.ts';
import type { CommitmentBandRow } from '../commitments/queries.ts';
import { count, html, share, usd, type SafeHtml } from './html.ts';

/**
 * The period page's Commitments section (issue #20.2): per commitment the month's billed, used and
 * idle amounts and utilisation, and its UTC hour bands (the workbook's Commitments sheet in short).
 * Pure: stored rows in, HTML out; empty when the run amortised no commitment.
 */
export function commitmentsSection(bands: readonly CommitmentBandRow[]): SafeHtml | '' {
  if (bands.length === 0) return '';
  const ids = [...new Set(bands.map((b) => b.commitment_id))];
  const blocks = ids.map((id) => {
    const own = bands.filter((b) => b.commitment_id === id);
    const total = (key: 'amount' | 'used' | 'idle') => own.reduce((t, b) => t.plus(b[key]), ZERO);
    const billed = total('amount');
    const utilisation = (used: Decimal, amount: Decimal) => (amount.isZero() ? null : used.dividedBy(amount).toDecimalPlaces(6).toFixed());
    return html`<tr data-commitment="${id}"><td><strong>${id}</strong></td><td class="n">${usd(billed.toFixed())}</td><td class="n">${usd(total('used').toFixed())}</td><td class="n">${usd(total('idle').toFixed())}</td><td class="n">${share(utilisation(total('used'), billed))}</td>
<td class="note">${own.map((b) => `${String(b.band).padStart(2, '0')}h ${share(utilisation(new Decimal(b.used), new Decimal(b.amount)))}`).join(' · ')}</td><td class="n">${count(own.reduce((n, b) => n + Number(b.records), 0))}</td></tr>`;
  });
  return html`<h2>Commitments</h2>
<p class="note">Flat charges of provisioned capacity and commitments, spread over their hours: used by the tokens run on them, the rest idle (docs/commitments.md). By hour band (UTC): the utilisation of that hour of day over the month.</p>
<table data-table="commitments"><thead><tr><th>Commitment</th><th class="n">Billed</th><th class="n">Used</th><th class="n">Idle</th><th class="n">Utilisation</th><th>By hour band</th><th class="n">Records</th></tr></thead><tbody>${blocks}</tbody></table>`;
}
