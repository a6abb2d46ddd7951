import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parsePeriod } from '../../src/period.ts';
import { auditPeriod } from '../../src/audit/audit-period.ts';
import type { AuditReport } from '../../src/audit/report.ts';
import { evidenceSheet } from '../../src/audit/sheets.ts';
import type { SheetRow } from '../../src/workbooks/sheet-spec.ts';
import { describeEachBackend } from '../support/db.ts';
import { monthWithEveryDefect } from './scenario.ts';

describeEachBackend('evidence audit', (store) => {
  let report: AuditReport;
  before(async () => {
    await monthWithEveryDefect(store());
    report = await auditPeriod(store().db, { period: parsePeriod('2026-05') });
  });

  test('reads only the period and loaded files, priced with the card in effect', () => {
    assert.equal(report.records, '10');
    assert.equal(report.priced_cost, '32.20'); // 8 × 3.50 + 4.20, mystery-model at 0
    assert.equal(report.unpriced_records, '1');
    assert.equal(report.pricing.current_run_id, null);
  });

  test('checklist: counts, percentages and dollars at stake per field', () => {
    const byField = Object.fromEntries(report.checklist.map((g) => [g.field, [g.missing_records, g.missing_pct, g.at_stake]]));
    assert.deepEqual(byField, {
      team: ['1', '10.00', '3.50'],
      service: ['1', '10.00', '3.50'],
      cost_center: ['3', '30.00', '10.50'],
      workflow: ['2', '20.00', '7.00'],
      actual_model: ['0', '0.00', '0.00'],
      token_counts: ['0', '0.00', '0.00'],
      retry_linkage: ['1', '10.00', '4.20'],
      card_version: ['1', '10.00', '3.50'],
      correlation_id: ['1', '10.00', '3.50'],
      timestamp: ['0', '0.00', '0.00'],
      environment: ['0', '0.00', '0.00'],
      gateway_key: ['0', '0.00', '0.00'],
    });
  });

  test('completeness per team, service, gateway key and environment', () => {
    const group = (dimension: string, value: string) => report.completeness.find((c) => c.dimension === dimension && c.value === value);
    const support = group('team', 'support')!;
    assert.equal(support.records, '7');
    assert.equal(support.cost, '21.70'); // 5 × 3.50 + 4.20 (A5 under v2) + 0 (A9 unpriced)
    assert.deepEqual(support.missing.map((m) => [m.field, m.missing_records, m.missing_pct, m.at_stake]), [
      ['workflow', '1', '14.29', '3.50'],
      ['retry_linkage', '1', '14.29', '4.20'],
      ['card_version', '1', '14.29', '3.50'],
      ['correlation_id', '1', '14.29', '3.50'],
    ]);
    assert.deepEqual(group('team', '(untagged)')!.missing.map((m) => [m.field, m.missing_pct, m.at_stake]), [
      ['team', '100.00', '3.50'],
      ['service', '100.00', '3.50'],
      ['cost_center', '100.00', '3.50'],
      ['workflow', '100.00', '3.50'],
    ]);
    const orphan = group('gateway_key', 'key-orphan')!;
    assert.equal(orphan.records, '2');
    assert.deepEqual(orphan.missing.map((m) => [m.field, m.missing_records, m.missing_pct]), [
      ['team', '1', '50.00'],
      ['service', '1', '50.00'],
      ['cost_center', '2', '100.00'],
      ['workflow', '1', '50.00'],
    ]);
    assert.deepEqual(group('environment', 'staging')!.missing, []);
    assert.equal(group('service', 'triage')!.records, '7');
  });

  test('findings with evidence, in a stable order', () => {
    assert.deepEqual(
      report.findings.map((f) => [f.finding, f.subject, f.records, f.at_stake, f.sample_request_ids]),
      [
        ['card_version_mismatch', 'openai gpt-4o-2024-08-06: v1 vs v2', '1', '4.20', ['A5']],
        ['card_version_mismatch', 'openai mystery-model: v1 vs no card in effect', '1', '0.00', ['A9']],
        ['conversation_only', 'key-orphan', '1', '3.50', ['A4']],
        ['fallback', 'openai: gpt-4o-mini-2024-07-18 → gpt-4o-2024-08-06', '1', '3.50', ['A6']],
        ['key_without_owner', 'key-orphan', '2', '7.00', ['A12', 'A4']],
        ['nonprod_on_production_key', 'key-support: staging', '1', '3.50', ['A8']],
        ['owner_mismatch', 'key-support: sales ≠ support', '1', '3.50', ['A3']],
        ['shared_key', 'key-support', '8', '25.20', ['A1', 'A2', 'A3', 'A5', 'A6', 'A7', 'A8', 'A9'].slice(0, 5)],
        ['unlinked_retry', 'support', '1', '4.20', ['A5']],
      ],
    );
    const orphan = report.findings.find((f) => f.finding === 'key_without_owner')!;
    assert.deepEqual(orphan.detail, { teams_on_records: ['research'], untagged_records: '1', untagged_at_stake: '3.50' });
    const shared = report.findings.find((f) => f.finding === 'shared_key')!;
    assert.deepEqual(shared.detail, { teams: ['sales', 'support'], services: ['proposals', 'triage'] });
    assert.ok(report.findings.every((f) => f.explanation.length > 20));
  });

  test('readiness per team with the reason when it fails', () => {
    const byTeam = Object.fromEntries(report.readiness.map((r) => [r.team, r]));
    assert.deepEqual(Object.keys(byTeam), ['research', 'sales', 'support']);
    assert.equal(byTeam.support!.verdict, 'pending');
    assert.equal(byTeam.support!.attributable_share, '1.0000');
    assert.deepEqual(byTeam.support!.reasons, ['variance not measured yet: no reconciled run of the period with this team']);
    assert.equal(byTeam.sales!.verdict, 'not_ready');
    assert.equal(byTeam.sales!.attributable_share, '0.0000');
    assert.equal(byTeam.research!.verdict, 'not_ready');
    assert.equal(byTeam.research!.attributable_share, '0.5000'); // 3.50 tagged of 3.50 + 3.50 untagged on its unowned key
    assert.deepEqual(byTeam.research!.keys_without_owner, ['key-orphan']);
    assert.match(byTeam.research!.reasons.join('; '), /owner evidenced for 50.00% \(below 95.00%\).*key-orphan/);
  });

  test('an owners key map passed in replaces the imported one for this audit only', async () => {
    const withMap = await auditPeriod(store().db, {
      period: parsePeriod('2026-05'),
      keyOwners: [
        { gateway_key_id: 'key-support', team: 'support', service: 'triage', environment: 'production' },
        { gateway_key_id: 'key-orphan', team: 'research', service: 'evals', environment: 'production' },
      ],
    });
    assert.equal(withMap.findings.filter((f) => f.finding === 'key_without_owner').length, 0);
    const research = withMap.readiness.find((r) => r.team === 'research')!;
    assert.equal(research.attributable_share, '1.0000'); // A4 now belongs to research through the key
    assert.deepEqual(research.keys_without_owner, []);
  });

  test('the Evidence sheet of a run lists checklist, findings, readiness and completeness', async () => {
    const run = await store().db.insertInto('run').values({ period: '2026-05', status: 'succeeded' }).returning('id').executeTakeFirstOrThrow();
    const sheet = await evidenceSheet(store().db, run.id);
    const rows = sheet.rows as SheetRow[];
    assert.equal(sheet.name, 'Evidence');
    assert.deepEqual(rows.find((r) => r.item === 'Retry linkage' && r.section === 'Checklist'), {
      section: 'Checklist', item: 'Retry linkage', subject: 'all records', records: '1', share: '0.1', at_stake: '4.20', evidence: '',
    });
    assert.equal(rows.filter((r) => r.section === 'Finding').length, 9);
    const research = rows.find((r) => r.section === 'Readiness' && r.subject === 'research')!;
    assert.equal(research.item, 'not_ready');
    assert.ok(sheet.highlight?.(research));
    assert.ok(rows.some((r) => r.section === 'Completeness by gateway key' && r.subject === 'key-orphan'));
  });
});
