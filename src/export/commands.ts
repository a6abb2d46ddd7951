import path from 'node:path';
import { printResult, UserError, type RegisterCommands } from '../command-context.ts';
import { exportFocus, writeFocusCsv, writeFocusParquet } from './export-focus.ts';

interface ExportFocusOptions {
  period: string;
  run?: string;
  out?: string;
  format?: string;
  json?: boolean;
}

export const registerExportCommands: RegisterCommands = (program, context) => {
  const exportCommand = program.command('export').description('hand the allocation to other tools');
  exportCommand
    .command('focus')
    .description('write the run\'s allocation as a FOCUS 1.3 Cost and Usage dataset: one allocated charge per invoice line and owner')
    .requiredOption('--period <YYYY-MM>', 'the period, e.g. 2026-05')
    .option('--run <id>', 'a run of the period (default: its latest succeeded run)')
    .option('--out <file>', 'file to write (default: RECON_OUT_DIR/focus-YYYY-MM.csv)')
    .option('--format <csv|parquet>', 'csv (money as exact text) or parquet (money as DECIMAL)', 'csv')
    .option('--json', 'print { run_id, period, path, sha256, rows, added, corrections, origin_charges } as JSON')
    .action(async (options: ExportFocusOptions) => {
      if (options.format !== 'csv' && options.format !== 'parquet') throw new UserError(`--format must be csv or parquet (got "${options.format}")`, 'use --format csv or --format parquet');
      const store = await context.store();
      const result = await exportFocus(store, { period: options.period, runId: options.run });
      const file = options.out ?? path.join(context.config.outDir, `focus-${result.period}.${options.format}`);
      const written = options.format === 'parquet' ? writeFocusParquet(result, file) : writeFocusCsv(result, file);
      context.log.event('focus export written', { period: result.period, run_id: result.run_id, rows: result.rows.length });
      const summary = { run_id: result.run_id, period: result.period, path: written.path, sha256: written.sha256, rows: result.rows.length, added: result.added, corrections: result.corrections, origin_charges: result.origin_charges };
      printResult(options.json === true, summary, () => `run ${result.run_id} of ${result.period}: ${result.rows.length} allocated charges from ${result.origin_charges} invoice lines -> ${written.path}`);
    });
};
