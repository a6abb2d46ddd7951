import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import ts from 'typescript';
import * as words from '../../src/vocabulary.ts';
import { openTestStore, type TestStore } from '../support/db.ts';

// Two ties between the code and the migrations, read from a freshly migrated database:
// 1. every table and column the migrations make is in the `Database` interface (src/db/schema.ts),
//    and nothing else is, so no query on a recon table has to fall back to an untyped sql<…>;
// 2. every closed word list of src/vocabulary.ts equals the CHECK constraint on the column that
//    stores it. The schema is the same on both engines, so PGlite alone answers both.

/** Table → column names of the `Database` interface, read by the TypeScript compiler itself. */
function interfaceColumns(): Map<string, string[]> {
  const file = path.resolve('src/db/schema.ts');
  const program = ts.createProgram([file], { strict: true, allowImportingTsExtensions: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const database = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'Database');
  assert.ok(database, 'src/db/schema.ts declares interface Database');
  const tables = new Map<string, string[]>();
  for (const table of checker.getPropertiesOfType(checker.getTypeAtLocation(database))) {
    const rowType = checker.getTypeOfSymbolAtLocation(table, database);
    tables.set(table.name, checker.getPropertiesOfType(rowType).map((c) => c.name).sort());
  }
  return tables;
}

/** Each word list and the column whose CHECK constraint lists the same words. */
const WORD_COLUMNS: Array<[string, string, readonly string[]]> = [
  ['ingested_file', 'kind', words.FILE_KINDS],
  ['invoice_line', 'line_type', words.LINE_TYPES],
  ['rate_card_line', 'service_tier', words.SERVICE_TIERS],
  ['rate_card_line', 'token_category', words.CARD_CATEGORIES],
  ['period', 'status', words.PERIOD_STATUSES],
  ['run', 'status', words.RUN_STATUSES],
  ['run_variance_cell', 'status', words.CELL_STATUSES],
  ['run_team_summary', 'mode', words.CHARGE_MODES],
  ['dispute', 'status', words.DISPUTE_STATUSES],
  ['workbook_issue', 'kind', words.WORKBOOK_KINDS],
  ['job_run', 'status', words.JOB_STATUSES],
  ['run_variance_cell_cause', 'effect', words.VARIANCE_EFFECTS],
];

describe('schema and vocabulary against the migrations [pglite]', () => {
  let store: TestStore;
  before(async () => {
    store = await openTestStore('pglite');
  });
  after(async () => {
    await store?.close();
  });

  test('the Database interface has exactly the tables and columns the migrations create', async () => {
    const { rows } = await sql<{ table_name: string; columns: string[] }>`
      select c.table_name, array_agg(c.column_name::text order by c.column_name::text) as columns
      from information_schema.columns c
      join pg_class k on k.relname = c.table_name and k.relnamespace = 'public'::regnamespace
      where c.table_schema = 'public' and k.relkind in ('r', 'p') and not k.relispartition
      group by c.table_name`.execute(store.db);
    const inSchema = new Map(rows.map((r) => [r.table_name, [...r.columns].sort()]));
    const inInterface = interfaceColumns();
    assert.deepEqual([...inInterface.keys()].sort(), [...inSchema.keys()].sort(), 'tables: interface vs migrations');
    for (const [table, columns] of inSchema) {
      assert.deepEqual(inInterface.get(table), columns, `columns of ${table}: interface vs migrations`);
    }
  });

  test('every word list of src/vocabulary.ts is the CHECK constraint of its column', async () => {
    for (const [table, column, list] of WORD_COLUMNS) {
      const { rows } = await sql<{ definition: string }>`
        select pg_get_constraintdef(c.oid) as definition
        from pg_constraint c join pg_class t on t.oid = c.conrelid
        where t.relname = ${table} and c.contype = 'c' and pg_get_constraintdef(c.oid) ~ ${`\\m${column}\\M`}`.execute(store.db);
      assert.equal(rows.length, 1, `one CHECK constraint on ${table}.${column}`);
      const allowed = [...rows[0]!.definition.matchAll(/'([^']+)'::text/g)].map((m) => m[1]!).sort();
      assert.deepEqual([...list].sort(), allowed, `${table}.${column}: vocabulary vs CHECK (${rows[0]!.definition})`);
    }
  });

  test('sqlWords quotes only vocabulary words', () => {
    assert.equal(words.sqlWords(words.SERVICE_TIERS), `('standard', 'batch', 'flex', 'priority')`);
    assert.throws(() => words.sqlWords(["x'); drop table run; --"]), /not a vocabulary word/);
  });
});
