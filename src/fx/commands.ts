import fs from 'node:fs';
import { printResult, UserError, type RegisterCommands } from '../command-context.ts';
import { loadSettings } from '../settings.ts';
import { importFxRates } from './import-rates.ts';
import { selectRates } from './queries.ts';

export const registerFxCommands: RegisterCommands = (program, context) => {
  const fx = program.command('fx').description('exchange rates: invoice lines billed in another currency are converted to the reporting currency');

  fx
    .command('import')
    .description('import exchange rates (date|month, currency, rate to the reporting currency, source); the same file twice changes nothing')
    .argument('<file>', 'rates CSV (docs/currencies.md)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (file: string, flags: { json?: boolean }) => {
      if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) throw new UserError(`file not found: ${file}`, 'pass one rates CSV file');
      const reportingCurrency = loadSettings(context.config.configFile).fx.reportingCurrency;
      const store = await context.store();
      const result = await importFxRates(store.db, { path: file, text: fs.readFileSync(file, 'utf8'), reportingCurrency });
      context.log.event('fx import', { file, stored: result.rows_stored, unchanged: result.rows_unchanged, rejected: result.rows_rejected });
      printResult(Boolean(flags.json), result, () =>
        [
          `${file}: read ${result.rows_read}, stored ${result.rows_stored}, unchanged ${result.rows_unchanged}, rejected ${result.rows_rejected}`,
          ...result.rejects.map((r) => `  line ${r.line} ${r.field}: ${r.reason}${r.value ? ` (got "${r.value}")` : ''}`),
          ...(result.rows_rejected > 0 ? [`  the rejected rows are kept: recon rejects --file ${file}`] : []),
        ].join('\n'),
      );
    });

  fx
    .command('list')
    .description('stored exchange rates, by currency and date')
    .option('--currency <code>', 'only this billed currency')
    .option('--json', 'print JSON on stdout')
    .action(async (flags: { currency?: string; json?: boolean }) => {
      const store = await context.store();
      const rates = await selectRates(store.db, { currency: flags.currency?.toUpperCase() });
      printResult(Boolean(flags.json), rates, () =>
        rates.length === 0
          ? 'no exchange rates yet: recon fx import rates.csv'
          : rates
              .map((r) => `${r.basis === 'month' ? r.effective_date.slice(0, 7) : r.effective_date}\t${r.currency}->${r.reporting_currency}\t${r.rate}\t${r.source}\t(${r.file_path} line ${r.source_line ?? '?'}, id ${r.id})`)
              .join('\n'),
      );
    });
};
