import fs from 'node:fs';
import { printResult, UserError, type RegisterCommands } from '../command-context.ts';
import { parseCommitmentFile } from './commitment-file.ts';
import { selectCommitments, upsertCommitments } from './queries.ts';

export const registerCommitmentCommands: RegisterCommands = (program, context) => {
  const commitment = program.command('commitment').description('provisioned capacity and commitments (PTU, provisioned throughput, committed spend, prepaid credit)');
  commitment
    .command('import <file>')
    .description('import commitments from a YAML (or .json) file; the same file again changes nothing; a bad entry stops the import and is named')
    .option('--json', 'print { file, added, updated, unchanged, commitments: [{ id, outcome }] } as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (error) {
        throw new UserError(`cannot read commitments file ${file}: ${(error as Error).message}`, 'check the path');
      }
      const parsed = parseCommitmentFile(text, file);
      if ('syntax' in parsed) throw new UserError(parsed.syntax, 'fix the file; docs/commitments.md shows an example');
      if (parsed.errors.length > 0) {
        const lines = parsed.errors.map((e) => `  entry ${e.entry}${e.id ? ` (${e.id})` : ''}: ${e.problems.join('; ')}`);
        throw new UserError(`${file}: ${parsed.errors.length} bad entr${parsed.errors.length === 1 ? 'y' : 'ies'}, nothing imported:\n${lines.join('\n')}`, 'fix the entries named above and import the file again; docs/commitments.md lists every field');
      }
      const store = await context.store();
      const outcomes = await store.db.transaction().execute((tx) => upsertCommitments(tx, parsed.commitments));
      const count = (o: string) => outcomes.filter((x) => x.outcome === o).length;
      const result = { file, added: count('added'), updated: count('updated'), unchanged: count('unchanged'), commitments: outcomes };
      printResult(options.json === true, result, () => `${file}: ${result.added} added, ${result.updated} updated, ${result.unchanged} unchanged`);
    });
  commitment
    .command('list')
    .description('list the imported commitments')
    .option('--json', 'print the commitments as a JSON list')
    .action(async (options: { json?: boolean }) => {
      const store = await context.store();
      const rows = await selectCommitments(store.db);
      printResult(options.json === true, rows, () =>
        rows.length === 0
          ? 'no commitments imported (recon commitment import FILE)'
          : rows
              .map((c) => `${c.id}  ${c.provider} ${c.kind} ${c.deployment ?? c.model}${c.region ? ` @${c.region}` : ''}  ${c.quantity} ${c.unit} × ${c.price}/${c.price_per}  ${c.effective_from} → ${c.effective_to}  bills under ${c.bills_under.join(', ')}`)
              .join('\n'),
      );
    });
};
