import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

// One owner per table, one place per rule: src/fx alone names fx_rate, and the stages that read
// invoice amounts for a run (variance, causes, allocation, workbooks, FOCUS export, run summary)
// read invoice lines through src/fx's invoiceLinesOfRun, so each amount is in the reporting
// currency. A new `from invoice_line` in one of them would read billed amounts as if they were.

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

describe('the reporting amount has one owner', () => {
  it('only src/fx reads or writes the fx_rate table', () => {
    const naming = files(SRC).filter((f) => /\b(from|join|into|update) fx_rate\b/.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    assert.deepEqual(naming.filter((f) => !f.startsWith('fx/')), []);
  });

  it('reconcile, explain, allocate, workbooks, export and run read invoice lines only through invoiceLinesOfRun (an existence check aside)', () => {
    const offenders: string[] = [];
    for (const dir of ['reconcile', 'explain', 'allocate', 'workbooks', 'export', 'run']) {
      for (const f of files(path.join(SRC, dir))) {
        const text = fs.readFileSync(f, 'utf8');
        for (const m of text.matchAll(/(select 1 )?from invoice_line\b/g)) if (!m[1]) offenders.push(path.relative(SRC, f));
      }
    }
    assert.deepEqual(offenders, []);
  });
});
