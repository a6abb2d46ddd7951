import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NOT_RESULT_TABLES, RESULT_TABLES } from '../../src/run/queries.ts';

// `no_change` rests on RESULT_TABLES: a run_* table missing from it would let a rerun that changed
// those rows claim nothing changed. Every run_* table the migrations create is either a result or
// is named in NOT_RESULT_TABLES with the reason it is not.

test('every run_* table is in RESULT_TABLES or in NOT_RESULT_TABLES with a reason, never both', () => {
  const dir = path.resolve(import.meta.dirname, '../../sql/migrations');
  const runTables = new Set<string>();
  for (const file of fs.readdirSync(dir)) {
    for (const m of fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/create table (?:if not exists )?(run_[a-z_]+)/g)) runTables.add(m[1]!);
  }
  const results = new Set<string>(RESULT_TABLES);
  const excluded = new Set(Object.keys(NOT_RESULT_TABLES));
  assert.deepEqual([...runTables].filter((t) => !results.has(t) && !excluded.has(t)).sort(), [], 'run_* tables in neither list');
  assert.deepEqual([...results].filter((t) => excluded.has(t)), [], 'in both lists');
  assert.deepEqual([...results, ...excluded].filter((t) => !runTables.has(t)).sort(), [], 'listed tables the migrations do not create');
  for (const [table, why] of Object.entries(NOT_RESULT_TABLES)) assert.ok(why.length > 20, `${table}: say why`);
});
