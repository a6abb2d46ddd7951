import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// Every table has one owning module (docs/architecture.md, "Who owns which table"). Code outside
// the owner reads a table through the owner's named query functions or SQL fragments, never by
// naming it in SQL, so a rule about a table (which files count, which card line prices a record)
// is written once. This test reads every .ts file under src/ and jobs/ and fails when a file names
// a table it does not own in SQL, unless the pair is in READS_OUTSIDE_OWNER below, each with why.
// That list is the known debt: it may only shrink (a pair that no longer occurs fails the test too,
// so fixed debt is removed from the list).

const OWNERS: Record<string, string> = {
  ingested_file: 'src/ingest',
  rejected_row: 'src/ingest',
  ledger_record: 'src/ingest',
  invoice_line: 'src/ingest',
  provider_usage: 'src/ingest',
  ledger_file_rollup: 'src/ingest',
  ledger_rolled_up_file: 'src/ingest',
  rate_card_version: 'src/pricing',
  rate_card_line: 'src/pricing',
  model_alias: 'src/pricing',
  run_price_card: 'src/pricing',
  run_gateway_estimate: 'src/pricing',
  run_cost_cube: 'src/pricing',
  run_variance_cell: 'src/reconcile',
  run_variance_cause: 'src/explain',
  run_variance_cell_cause: 'src/explain',
  team_owner: 'src/allocate',
  gateway_key_owner: 'src/allocate',
  run_allocation: 'src/allocate',
  run_team_summary: 'src/allocate',
  dispute: 'src/allocate',
  run_team_showback: 'src/budget',
  workbook_issue: 'src/workbooks',
  focus_export: 'src/export',
  focus_export_row: 'src/export',
  fx_rate: 'src/fx',
  commitment: 'src/commitments',
  run_commitment_hour: 'src/commitments',
  period: 'src/run',
  run: 'src/run',
  job_run: 'jobs',
  schema_migration: 'src/db',
};

/**
 * Files that name tables they do not own, which tables, and why that is still so. The list is the
 * known debt: a new pair fails, and a pair that no longer occurs fails too, so the list only shrinks.
 */
const READS_OUTSIDE_OWNER: Record<string, { tables: string[]; why: string }> = {
  'src/allocate/month-over-month.ts': {
    tables: ['run', 'run_cost_cube'],
    why: 'month over month reads the previous period\'s current run and its cube',
  },
  'src/allocate/queries.ts': {
    tables: ['ingested_file', 'run', 'run_cost_cube', 'run_variance_cause', 'run_variance_cell', 'run_variance_cell_cause', 'workbook_issue'],
    why: 'the allocation reads the invoice, the cube and the variance cells and causes it allocates by; to move behind their owners\' fragments (#19 debt)',
  },
  'src/audit/queries.ts': {
    tables: ['gateway_key_owner', 'model_alias', 'rate_card_version', 'run_cost_cube', 'run_team_summary', 'team_owner'],
    why: 'the evidence audit checks the owners, aliases and card versions behind a run; to move behind their owners\' fragments (#19 debt)',
  },
  'src/audit/sheets.ts': {
    tables: ['run'],
    why: 'the audit sheet names the run it audited',
  },
  'src/budget/queries.ts': {
    tables: ['run', 'run_allocation', 'run_cost_cube', 'run_team_summary', 'team_owner'],
    why: 'showback reads the period\'s runs, their cube and allocation, and the teams\' budgets',
  },
  'src/commitments/queries.ts': {
    tables: ['gateway_key_owner', 'ingested_file', 'invoice_line', 'ledger_record', 'team_owner'],
    why: 'which invoice lines a commitment bills under (commitmentLinesSql, the one rule allocate, explain and export use) and which ledger records ran on it, with their owners as pricing resolves them; to move behind ingest\'s and allocate\'s fragments like the other stages (#19 debt)',
  },
  'src/explain/queries.ts': {
    tables: ['ingested_file', 'ledger_record', 'run_cost_cube', 'run_variance_cell'],
    why: 'cause finding reads the invoice, the ledger evidence, the cube and the cells it explains; to move behind their owners\' fragments (#19 debt)',
  },
  'src/explain/variance-summary.ts': {
    tables: ['run', 'run_variance_cell'],
    why: 'the summary of a run\'s variance reads the cells it explains (reconcile\'s table)',
  },
  'src/export/queries.ts': {
    tables: ['run'],
    why: 'the FOCUS export reads the invoice lines (its origin charges) and the run it exports',
  },
  'src/fx/queries.ts': {
    tables: ['ingested_file', 'invoice_line', 'rejected_row', 'run'],
    why: 'the reporting amount of an invoice line (invoiceLinesOfRun) is the invoice line converted at the rate the run records; fx also keeps its own rejected rows and files as every import does',
  },
  'src/ingest/files-that-count.ts': {
    tables: ['run'],
    why: 'which files a stored run read is in its recorded inputs (run.inputs)',
  },
  'src/pricing/price-request.ts': {
    tables: ['ledger_record'],
    why: 'prices one request\'s ledger records',
  },
  'src/pricing/queries.ts': {
    tables: ['ingested_file', 'ledger_record'],
    why: 'pricing scans the month\'s ledger records (ingest\'s); owners come from allocate\'s record-owner fragments',
  },
  'src/reconcile/queries.ts': {
    tables: ['ingested_file', 'run_cost_cube'],
    why: 'variance cells read the invoice lines that count and the cube; to move behind ingest\'s and pricing\'s fragments (#19 debt)',
  },
  'src/run/queries.ts': {
    tables: ['dispute', 'gateway_key_owner', 'ingested_file', 'invoice_line', 'ledger_record', 'model_alias', 'provider_usage', 'rate_card_line', 'rate_card_version', 'rejected_row', 'run_allocation', 'run_cost_cube', 'run_team_summary', 'run_variance_cell', 'team_owner'],
    why: 'a run hashes every input and result table (inputs_hash, results_hash) and diffs two runs\' results: it reads them whole, as a snapshot, and decides no rule about any of them',
  },
  'src/serve/workbook-files.ts': {
    tables: ['run_allocation', 'workbook_issue'],
    why: 'the HTTP workbook path reads the run\'s teams and issued workbooks; to become src/workbooks\' one workbook path (#19 debt)',
  },
  'src/workbooks/queries.ts': {
    tables: ['dispute', 'gateway_key_owner', 'ingested_file', 'ledger_record', 'model_alias', 'period', 'rate_card_version', 'run', 'run_allocation', 'run_cost_cube', 'run_price_card', 'run_team_summary', 'run_variance_cause', 'run_variance_cell', 'run_variance_cell_cause'],
    why: 'the sheets read every stage\'s results directly; to move behind each stage\'s query functions (#19 debt)',
  },
};

const SQL_NAMING = (table: string) =>
  new RegExp(String.raw`(?:\b(?:from|join|into|update|table)\s+(?:only\s+)?${table}\b(?!\.)|(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|fullJoin)\(\s*'${table}\b)`, 'i');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The file's text without comments, so a comment that mentions a table is not a use of it. */
function codeOf(file: string): string {
  return fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

test('every table is named in SQL only by its owning module (or a listed, reasoned exception)', () => {
  const outside = new Map<string, Set<string>>();
  for (const file of [...sourceFiles('src'), ...sourceFiles('jobs')].sort()) {
    const code = codeOf(file);
    for (const [table, owner] of Object.entries(OWNERS)) {
      if (file.startsWith(owner + '/') || file === owner + '.ts') continue;
      if (SQL_NAMING(table).test(code)) {
        if (!outside.has(file)) outside.set(file, new Set());
        outside.get(file)!.add(table);
      }
    }
  }
  const found = Object.fromEntries([...outside.entries()].map(([file, tables]) => [file, [...tables].sort()]));
  const listed = Object.fromEntries(Object.entries(READS_OUTSIDE_OWNER).map(([file, entry]) => [file, [...entry.tables].sort()]));
  // a new pair: read the table through its owner's query functions or fragments instead;
  // a pair gone: remove it from READS_OUTSIDE_OWNER (the debt is paid)
  assert.deepEqual(found, listed, 'files naming another module\'s tables in SQL vs READS_OUTSIDE_OWNER');
});

test('the owners map covers every table the migrations create', () => {
  const created = new Set<string>();
  for (const file of fs.readdirSync('sql/migrations')) {
    for (const match of fs.readFileSync(path.join('sql/migrations', file), 'utf8').matchAll(/create table (?:if not exists )?([a-z_]+)/g)) created.add(match[1]!);
  }
  created.add('schema_migration');
  assert.deepEqual([...created].filter((t) => !(t in OWNERS)).sort(), [], 'tables without an owner in test/ownership.test.ts');
});
