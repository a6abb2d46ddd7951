import type { AuditReport } from './report.ts';

function table(headers: string[], rows: string[][], alignRight: boolean[] = []): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (alignRight[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The audit as a terminal report: totals, checklist, findings, readiness. */
export function formatAuditText(report: AuditReport): string {
  const out: string[] = [];
  out.push(`Evidence audit ${report.period}: ${report.records} ledger records, priced cost $${report.priced_cost} (${report.unpriced_records} unpriced)`);
  if (report.pricing.current_run_id) {
    out.push(`current run ${report.pricing.current_run_id} priced the period at $${report.pricing.current_run_priced_cost}`);
  }
  out.push('', 'Trace-to-invoice checklist (records missing each field, and their priced cost)');
  out.push(
    ...table(
      ['field', 'missing', '%', 'at stake $'],
      report.checklist.map((g) => [g.label, g.missing_records, g.missing_pct, g.at_stake]),
      [false, true, true, true],
    ),
  );
  const weakest = report.completeness
    .filter((c) => c.dimension === 'team')
    .map((c) => [c.value, c.records, c.missing.map((m) => `${m.field} ${m.missing_pct}%`).join(', ') || 'complete']);
  if (weakest.length > 0) {
    out.push('', 'Per team (tag, else gateway key owner); --json has service, gateway key and environment too');
    out.push(...table(['team', 'records', 'missing'], weakest, [false, true, false]));
  }
  out.push('', `Findings (${report.findings.length})`);
  if (report.findings.length === 0) out.push('none');
  out.push(
    ...(report.findings.length === 0
      ? []
      : table(
          ['finding', 'subject', 'records', 'at stake $', 'sample request ids'],
          report.findings.map((f) => [f.finding, f.subject, f.records, f.at_stake, f.sample_request_ids.join(' ')]),
          [false, false, true, true, false],
        )),
  );
  out.push('', 'Chargeback readiness');
  out.push(
    ...table(
      ['team', 'verdict', 'owner evidenced', 'why'],
      report.readiness.map((r) => [r.team, r.verdict, r.attributable_share ?? '-', r.reasons.join('; ') || 'all gates pass']),
    ),
  );
  return out.join('\n');
}
