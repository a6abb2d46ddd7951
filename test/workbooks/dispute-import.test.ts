import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFormLines, type FormLine } from '../../src/workbooks/dispute-import.ts';
import type { TeamChargeRow } from '../../src/workbooks/queries.ts';

const charge = (component: string, amount: string, extra: Partial<TeamChargeRow> = {}): TeamChargeRow => ({
  provider: 'openai', invoice_id: 'INV-1', service: null, workflow: null, model: 'gpt-4.1', component, basis: '0', amount, rule: 'r', ...extra,
});
const charges = new Map([
  ['C1', charge('untagged', '4.70')],
  ['C2', charge('discount', '-0.19')],
  ['C3', charge('usage', '10.00', { service: 'triage', workflow: 'summarise' })],
]);
let row = 12;
const line = (n: number, values: Partial<FormLine>): FormLine => ({
  row: ++row, line: n, charge_line: '', ref: '', reason_code: '', amount: '', amount_problem: null, explanation: '', evidence: '', contact: '', ...values,
});

test('a filled line becomes a dispute to the cent; an empty one is skipped', () => {
  const { good, errors } = checkFormLines([
    line(1, { charge_line: 'c3', reason_code: 'not_ours', amount: '$2.5', ref: 'r-9', explanation: 'our staging key', evidence: 'ticket 12', contact: 'ana' }),
    line(2, {}),
    line(3, { charge_line: 'C1', reason_code: 'other', amount: '4.7' }),
  ], charges);
  assert.deepEqual(errors, []);
  assert.deepEqual(good.map((g) => [g.line, g.amount, g.ref]), [[1, '2.50', 'r-9'], [3, '4.70', null]]);
  assert.equal(good[0]!.reason, '[not_ours] our staging key (charge line C3: openai invoice INV-1, triage / summarise, gpt-4.1, usage, 10.00) evidence: ticket 12 contact: ana');
  assert.match(good[1]!.reason, /^\[other\] anything else/);
});

test('each bad line gets one error naming its row, column, reason and fix', () => {
  const lines = [
    line(1, { reason_code: 'other', amount: '1' }),
    line(2, { charge_line: 'C9', reason_code: 'other', amount: '1' }),
    line(3, { charge_line: 'C1', reason_code: 'because', amount: '1' }),
    line(4, { charge_line: 'C1', reason_code: 'other', amount: '4.71' }),
    line(5, { charge_line: 'C1', reason_code: 'other', amount: '1.005' }),
    line(6, { charge_line: 'C1', reason_code: 'other', amount: '-1' }),
    line(7, { charge_line: 'C2', reason_code: 'other', amount: '0.10' }),
    line(8, { charge_line: 'C1', reason_code: 'other', amount: '=A1*2', amount_problem: 'is a formula with no computed amount' }),
    line(9, { charge_line: 'C1', reason_code: 'other' }),
  ];
  const { good, errors } = checkFormLines(lines, charges);
  assert.deepEqual(good, []);
  assert.deepEqual(errors.map((e) => [e.row, e.line, e.column]), [
    [lines[0]!.row, 'new 1', 'Charge line'],
    [lines[1]!.row, 'new 2', 'Charge line'],
    [lines[2]!.row, 'new 3', 'Reason code'],
    [lines[3]!.row, 'new 4', 'Amount disputed'],
    [lines[4]!.row, 'new 5', 'Amount disputed'],
    [lines[5]!.row, 'new 6', 'Amount disputed'],
    [lines[6]!.row, 'new 7', 'Amount disputed'],
    [lines[7]!.row, 'new 8', 'Amount disputed'],
    [lines[8]!.row, 'new 9', 'Amount disputed'],
  ]);
  assert.ok(errors.every((e) => e.sheet === 'Dispute' && e.reason.length > 0 && e.fix.length > 0));
  assert.match(errors[1]!.fix, /C1–C3/);
  assert.equal(errors[3]!.reason, '4.71 is more than the 4.70 charged on C1');
  assert.match(errors[6]!.reason, /C2 charges -0\.19: only a charge above 0 can be disputed/);
});

test('text that looks like a formula is kept as text', () => {
  const { good } = checkFormLines([line(1, { charge_line: 'C1', reason_code: 'other', amount: '1', explanation: '=HYPERLINK("http://x","y")', ref: "+cmd|' /C calc'!A0" })], charges);
  assert.equal(good[0]!.ref, "+cmd|' /C calc'!A0");
  assert.match(good[0]!.reason, /^\[other\] =HYPERLINK\("http:\/\/x","y"\) \(charge line C1/);
});
