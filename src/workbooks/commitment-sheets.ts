import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { money } from '../money.ts';
import { selectCommitmentHourBands, selectCommitments, type CommitmentBandRow, type CommitmentRow } from '../commitments/queries.ts';
import type { SheetSpec } from './sheet-spec.ts';
import { runNotes } from './allocation-sheets.ts';
import type { WorkbookRun } from './queries.ts';

/**
 * The allocation workbook's Commitments sheet (issue #20.2): per commitment and UTC hour band
 * (hour of day over the month), what was billed, the used and idle parts and the utilisation.
 * Pure apart from `commitmentSheets`, the shell that loads the rows; no sheet when the run
 * amortised no commitment.
 */
export function commitmentsSheet(run: WorkbookRun, bands: readonly CommitmentBandRow[], commitments: readonly CommitmentRow[]): SheetSpec {
  const terms = new Map(commitments.map((c) => [c.id, c]));
  const hh = (h: number) => String(h).padStart(2, '0');
  return {
    name: 'Commitments',
    notes: [
      ...runNotes(run),
      'Each commitment\'s flat invoice lines, spread evenly over its hours in the month, by UTC hour of day. Used = each hour\'s amount × utilisation (tokens ÷ capacity per hour, capped at 1; without a capacity, 1 for an hour any record ran on it); idle = the rest.',
      'The used part is charged to the owners by their share of the hour\'s tokens; the idle part follows the policy\'s commitments.idle (docs/commitments.md).',
    ],
    columns: [
      { header: 'Commitment', key: 'commitment_id', format: 'text', width: 18 },
      { header: 'Kind', key: 'kind', format: 'text', width: 12 },
      { header: 'Deployment or model', key: 'deployment', format: 'text', width: 20 },
      { header: 'Region', key: 'region', format: 'text', width: 10 },
      { header: 'Hour band (UTC)', key: 'band', format: 'text', width: 14 },
      { header: 'Hours', key: 'hours', format: 'integer', total: true },
      { header: 'Billed', key: 'amount', format: 'usd_precise', total: true },
      { header: 'Used', key: 'used', format: 'usd_precise', total: true },
      { header: 'Idle', key: 'idle', format: 'usd_precise', total: true },
      { header: 'Utilisation', key: 'utilisation', format: 'percent' },
      { header: 'Tokens', key: 'tokens', format: 'integer', total: true },
      { header: 'Records', key: 'records', format: 'integer', total: true },
    ],
    rows: bands.map((b) => {
      const c = terms.get(b.commitment_id);
      const amount = money(b.amount);
      return {
        commitment_id: b.commitment_id,
        kind: c?.kind ?? null,
        deployment: c ? (c.deployment ?? c.model) : null,
        region: c?.region ?? null,
        band: `${hh(b.band)}:00-${hh(b.band + 1)}:00`,
        hours: b.hours,
        amount: b.amount,
        used: b.used,
        idle: b.idle,
        utilisation: amount.isZero() ? null : money(b.used).dividedBy(amount).toDecimalPlaces(6).toFixed(),
        tokens: b.tokens,
        records: b.records,
      };
    }),
  };
}

/** The Commitments sheet of a run, or none when it amortised no commitment. */
export async function commitmentSheets(db: Kysely<Database>, run: WorkbookRun): Promise<SheetSpec[]> {
  const bands = await selectCommitmentHourBands(db, run.id);
  if (bands.length === 0) return [];
  const commitments = await selectCommitments(db, [...new Set(bands.map((b) => b.commitment_id))]);
  return [commitmentsSheet(run, bands, commitments)];
}
