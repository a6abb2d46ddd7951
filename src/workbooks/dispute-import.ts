import fs from 'node:fs';
import ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import { parseDisputeAmount, openDispute } from '../allocate/dispute-actions.ts';
import { DISPUTE_REASON_CODES, isDisputeReasonCode } from '../vocabulary.ts';
import { UserError } from '../command-context.ts';
import type { Database } from '../db/schema.ts';
import { money } from '../money.ts';
import { parsePeriod } from '../period.ts';
import {
  chargeLineCode,
  CHARGES_SHEET,
  DISPUTE_COLUMNS,
  DISPUTE_META_SHEET,
  DISPUTE_SHEET,
  DISPUTE_WORKBOOK_KIND,
  DISPUTE_WORKBOOK_VERSION,
} from './dispute-sheets.ts';
import { selectRunById, selectRunTeams, selectTeamCharges, type TeamChargeRow } from './queries.ts';

// `recon dispute import FILE`: a team's filled-in dispute workbook read back. The workbook says
// which run, period and team it is for (its hidden sheet); each filled "new N" line of sheet
// Dispute opens one dispute through the same logic as `recon dispute open`, once per run, team and
// line. A bad line is refused with where it is and what to do; the good ones go in.

type Db = Kysely<Database>;

/** What a filled-in line says, as text (a cell holding a formula gives its formula text, never its result). */
export interface FormLine {
  /** the sheet row number */
  row: number;
  /** N of "new N" */
  line: number;
  charge_line: string;
  ref: string;
  reason_code: string;
  /** the amount cell as text ('' when empty); numbers as the cell stores them */
  amount: string;
  /** why the amount cell could not be read, if it could not */
  amount_problem: string | null;
  explanation: string;
  evidence: string;
  contact: string;
}

export interface DisputeWorkbookContent {
  period: string;
  run_id: string;
  team: string;
  lines: FormLine[];
}

export interface LineError {
  sheet: string;
  row: number;
  line: string;
  column: string;
  reason: string;
  fix: string;
}

export interface GoodLine {
  row: number;
  line: number;
  amount: string;
  ref: string | null;
  reason: string;
}

/** The text of a cell as typed: formulas as their formula text (nothing a workbook computes is trusted), rich text joined. */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    if ('formula' in value && typeof value.formula === 'string') return `=${value.formula}`;
    if ('sharedFormula' in value) return `=${String((value as { sharedFormula: unknown }).sharedFormula)}`;
    if ('richText' in value) return value.richText.map((t) => t.text).join('').trim();
    if ('text' in value) return String((value as { text: unknown }).text).trim();
    if ('error' in value) return String((value as { error: unknown }).error);
  }
  return String(value).trim();
}

/**
 * The amount cell as decimal text. A spreadsheet stores a typed number as a double: its shortest
 * decimal text (String) is what was typed for any amount with up to 15 digits, so it is read
 * once, here, and never used as a number. A formula's cached result is the amount it shows.
 */
function amountText(value: ExcelJS.CellValue): { text: string; problem: string | null } {
  if (value === null || value === undefined) return { text: '', problem: null };
  if (typeof value === 'number') return { text: String(value), problem: null };
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && ('formula' in value || 'sharedFormula' in value)) {
    const result = (value as { result?: unknown }).result;
    if (typeof result === 'number') return { text: String(result), problem: null };
    return { text: cellText(value), problem: 'is a formula with no computed amount' };
  }
  return { text: cellText(value), problem: null };
}

/** Reads a dispute workbook recon wrote, or a UserError saying why the file is not one. */
export async function readDisputeWorkbook(file: string): Promise<DisputeWorkbookContent> {
  if (!fs.existsSync(file)) throw new UserError(`cannot read ${file}: no such file`, 'check the path');
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.readFile(file);
  } catch (error) {
    throw new UserError(`${file} is not an XLSX workbook: ${(error as Error).message}`, 'import the dispute workbook recon wrote (dispute-YYYY-MM-TEAM.xlsx), saved as .xlsx');
  }
  const notOurs = (why: string) =>
    new UserError(`${file} is not a recon dispute workbook: ${why}`, 'import a dispute-YYYY-MM-TEAM.xlsx written by `recon workbook --team TEAM` (or downloaded from recon serve), filled in and saved as .xlsx');
  const meta = workbook.getWorksheet(DISPUTE_META_SHEET);
  if (!meta) throw notOurs(`it has no sheet '${DISPUTE_META_SHEET}' (the hidden sheet that names its run and team)`);
  const values = new Map<string, string>();
  meta.eachRow((row) => {
    const key = cellText(row.getCell(1).value);
    if (key) values.set(key, cellText(row.getCell(2).value));
  });
  if (values.get('kind') !== DISPUTE_WORKBOOK_KIND) throw notOurs(`its sheet '${DISPUTE_META_SHEET}' does not say kind = ${DISPUTE_WORKBOOK_KIND}`);
  if (values.get('version') !== DISPUTE_WORKBOOK_VERSION) {
    throw new UserError(`${file} is a dispute workbook of layout version ${values.get('version') ?? '(none)'}; this recon reads version ${DISPUTE_WORKBOOK_VERSION}`, 'write the team’s workbook again with this recon and fill that in');
  }
  const period = values.get('period') ?? '';
  const runId = values.get('run_id') ?? '';
  const team = values.get('team') ?? '';
  if (!/^\d{4}-\d{2}$/.test(period) || !/^\d{1,18}$/.test(runId) || team === '') {
    throw notOurs(`its sheet '${DISPUTE_META_SHEET}' has no valid period, run_id and team (was it edited?)`);
  }

  const form = workbook.getWorksheet(DISPUTE_SHEET);
  if (!form) throw notOurs(`it has no sheet '${DISPUTE_SHEET}'`);
  let headerRow = 0;
  const columns = new Map<string, number>();
  form.eachRow((row, n) => {
    if (headerRow !== 0 || cellText(row.getCell(1).value) !== DISPUTE_COLUMNS.line) return;
    headerRow = n;
    row.eachCell((cell, col) => columns.set(cellText(cell.value), col));
  });
  if (headerRow === 0) throw notOurs(`its sheet '${DISPUTE_SHEET}' has no header row starting '${DISPUTE_COLUMNS.line}'`);
  const at = (header: string) => {
    const col = columns.get(header);
    if (col === undefined) throw notOurs(`its sheet '${DISPUTE_SHEET}' has no column '${header}' (columns must keep their headers)`);
    return col;
  };
  const col = {
    line: at(DISPUTE_COLUMNS.line),
    charge_line: at(DISPUTE_COLUMNS.charge_line),
    ref: at(DISPUTE_COLUMNS.ref),
    reason_code: at(DISPUTE_COLUMNS.reason_code),
    amount: at(DISPUTE_COLUMNS.amount),
    explanation: at(DISPUTE_COLUMNS.explanation),
    evidence: at(DISPUTE_COLUMNS.evidence),
    contact: at(DISPUTE_COLUMNS.contact),
  };
  const lines: FormLine[] = [];
  for (let n = headerRow + 1; n <= form.rowCount; n++) {
    const row = form.getRow(n);
    const match = /^new (\d{1,6})$/.exec(cellText(row.getCell(col.line).value));
    if (!match) continue;
    const amount = amountText(row.getCell(col.amount).value);
    lines.push({
      row: n,
      line: Number(match[1]),
      charge_line: cellText(row.getCell(col.charge_line).value),
      ref: cellText(row.getCell(col.ref).value),
      reason_code: cellText(row.getCell(col.reason_code).value),
      amount: amount.text,
      amount_problem: amount.problem,
      explanation: cellText(row.getCell(col.explanation).value),
      evidence: cellText(row.getCell(col.evidence).value),
      contact: cellText(row.getCell(col.contact).value),
    });
  }
  return { period, run_id: runId, team, lines };
}

/** A charge line as the dispute's reason names it. */
function describeCharge(code: string, c: TeamChargeRow): string {
  const where = [c.service, c.workflow].filter((p) => p !== null && p !== '').join(' / ');
  return `charge line ${code}: ${c.provider} invoice ${c.invoice_id}${where ? `, ${where}` : ''}${c.model ? `, ${c.model}` : ''}, ${c.component}, ${money(c.amount).toFixed(2)}`;
}

const MAX_TEXT = 2000; // a reason longer than this is an essay pasted by mistake; cut, not refused

/**
 * Checks the filled-in lines against the team's charge lines (code → row, the Charges sheet's
 * order). Pure. A line with nothing filled in is skipped; every other line is good or has one
 * error: the first problem, in the order the form asks for its cells.
 */
export function checkFormLines(lines: readonly FormLine[], charges: ReadonlyMap<string, TeamChargeRow>): { good: GoodLine[]; errors: LineError[] } {
  const good: GoodLine[] = [];
  const errors: LineError[] = [];
  const codes = [...charges.keys()];
  const range = codes.length === 0 ? '(none)' : codes.length === 1 ? codes[0]! : `${codes[0]}–${codes[codes.length - 1]}`;
  const seen = new Set<number>();
  for (const l of lines) {
    const filled = [l.charge_line, l.ref, l.reason_code, l.amount, l.explanation, l.evidence, l.contact].some((v) => v !== '');
    if (!filled) continue;
    const fail = (column: string, reason: string, fix: string) => errors.push({ sheet: DISPUTE_SHEET, row: l.row, line: `new ${l.line}`, column, reason, fix });
    if (seen.has(l.line)) {
      fail(DISPUTE_COLUMNS.line, `line "new ${l.line}" appears twice`, 'leave the Line column as written; fill each dispute on its own line');
      continue;
    }
    seen.add(l.line);
    const charge = charges.get(l.charge_line.toUpperCase());
    if (l.charge_line === '') {
      fail(DISPUTE_COLUMNS.charge_line, 'no charge line is picked', `pick the Line of sheet ${CHARGES_SHEET} you dispute (${range})`);
      continue;
    }
    if (!charge) {
      fail(DISPUTE_COLUMNS.charge_line, `"${l.charge_line}" is not a line of sheet ${CHARGES_SHEET}`, `pick one of ${range} (column Line of sheet ${CHARGES_SHEET})`);
      continue;
    }
    if (!isDisputeReasonCode(l.reason_code)) {
      fail(
        DISPUTE_COLUMNS.reason_code,
        l.reason_code === '' ? 'no reason code is picked' : `"${l.reason_code}" is not a reason code`,
        `pick one of ${Object.keys(DISPUTE_REASON_CODES).join(', ')}`,
      );
      continue;
    }
    if (l.amount_problem !== null || l.amount === '') {
      fail(DISPUTE_COLUMNS.amount, l.amount === '' ? 'no amount is given' : `the amount ${l.amount_problem}`, `type the amount disputed in USD, e.g. 12.50 (at most ${money(charge.amount).toFixed(2)}, the charge of ${l.charge_line})`);
      continue;
    }
    let amount: string;
    try {
      // to the cent as every USD amount is stored (a typed 2.8 is 2.80)
      amount = money(parseDisputeAmount(l.amount)!).toFixed(2);
    } catch {
      fail(DISPUTE_COLUMNS.amount, `"${l.amount}" is not a positive USD amount with at most two decimals`, `type the amount disputed in USD, e.g. 12.50`);
      continue;
    }
    const charged = money(charge.amount);
    if (money(amount).greaterThan(charged)) {
      const code = l.charge_line.toUpperCase();
      fail(
        DISPUTE_COLUMNS.amount,
        charged.greaterThan(0) ? `${amount} is more than the ${charged.toFixed(2)} charged on ${code}` : `${code} charges ${charged.toFixed(2)}: only a charge above 0 can be disputed`,
        charged.greaterThan(0) ? `dispute at most ${charged.toFixed(2)} on ${code}, or split the dispute over the charge lines it concerns` : 'pick the charge line the amount was charged on',
      );
      continue;
    }
    const code = l.charge_line.toUpperCase();
    const parts = [
      `[${l.reason_code}] ${l.explanation || DISPUTE_REASON_CODES[l.reason_code]}`,
      `(${describeCharge(code, charge)})`,
      l.evidence ? `evidence: ${l.evidence}` : '',
      l.contact ? `contact: ${l.contact}` : '',
    ].filter(Boolean);
    const reason = parts.join(' ');
    good.push({ row: l.row, line: l.line, amount, ref: l.ref === '' ? null : l.ref.slice(0, MAX_TEXT), reason: reason.length > MAX_TEXT ? `${reason.slice(0, MAX_TEXT - 1)}…` : reason });
  }
  return { good, errors };
}

export interface ImportedDispute {
  id: string;
  line: string;
  row: number;
  amount: string | null;
  ref: string | null;
  due_date: string | null;
}

export interface DisputeImportResult {
  file: string;
  period: string;
  run_id: string;
  team: string;
  opened: ImportedDispute[];
  /** lines imported before (same workbook run, team and line): nothing new opened */
  already_imported: ImportedDispute[];
  errors: LineError[];
}

/** Imports a filled-in dispute workbook: one dispute per good line, once; an error per bad line. */
export async function importDisputeWorkbook(db: Db, file: string, now: Date): Promise<DisputeImportResult> {
  const content = await readDisputeWorkbook(file);
  const run = await selectRunById(db, content.run_id);
  if (!run) throw new UserError(`${file} is for run ${content.run_id}, which this store does not have`, 'import it into the store that wrote the workbook (check DATABASE_URL / RECON_DATA_DIR)');
  if (run.period !== content.period) throw new UserError(`${file} says period ${content.period}, but run ${run.id} is a run of ${run.period} (was the hidden sheet edited?)`, 'import the workbook as recon wrote it');
  const teams = await selectRunTeams(db, run.id);
  if (!teams.includes(content.team)) throw new UserError(`${file} is for team "${content.team}", which run ${run.id} of ${run.period} charges nothing`, 'import the workbook as recon wrote it');
  const charges = new Map((await selectTeamCharges(db, run.id, content.team)).map((c, i) => [chargeLineCode(i), c]));
  const { good, errors } = checkFormLines(content.lines, charges);
  const result: DisputeImportResult = { file, period: run.period, run_id: run.id, team: content.team, opened: [], already_imported: [], errors };
  for (const g of good) {
    const { dispute, created } = await openDispute(db, {
      period: parsePeriod(run.period),
      team: content.team,
      reason: g.reason,
      ref: g.ref,
      amount: g.amount,
      now,
      imported: { runId: run.id, line: g.line },
    });
    const view = { id: dispute.id, line: `new ${g.line}`, row: g.row, amount: dispute.amount, ref: dispute.ref, due_date: dispute.due_date };
    (created ? result.opened : result.already_imported).push(view);
  }
  return result;
}
