import path from 'node:path';
import type { CommandContext, RegisterCommands } from '../command-context.ts';
import { DEMO_PERIOD, writeSampleMonth } from './sample-month.ts';

/**
 * `recon demo` drives the real commands, in process, over a generated sample month: the same
 * path a user takes, so the demo proves the product rather than a shortcut through it.
 */
export const registerDemoCommands: RegisterCommands = (program, context) => {
  program
    .command('demo')
    .description('generate a realistic sample month, ingest it, reconcile it and write the workbooks')
    .option('--dir <dir>', 'where to write the sample input files (default: <data dir>/demo)')
    .option('--out <dir>', 'where to write the workbooks (default: <data dir>/out)')
    .option('--seed <n>', 'random seed of the sample month', '20260501')
    .action(async (options: { dir?: string; out?: string; seed: string }) => {
      await runDemo(context, options);
    });
};

async function runDemo(context: CommandContext, options: { dir?: string; out?: string; seed: string }) {
  const seed = Number(options.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number (got "${options.seed}")`);
  const dir = path.resolve(options.dir ?? path.join(context.config.dataDir, 'demo'));
  const out = path.resolve(options.out ?? context.config.outDir);
  const store = await context.store();
  process.stderr.write(`recon demo: ${store.kind} store at ${store.location}\n`);
  const files = writeSampleMonth(dir, seed);
  process.stderr.write(`sample month ${DEMO_PERIOD}: ${files.records} ledger records, ${files.invoices.length} provider invoices in ${dir}\n`);

  const step = async (title: string, args: string[]) => {
    process.stderr.write(`\n== ${title}: recon ${args.join(' ')}\n`);
    if (!context.runCommand) throw new Error('recon demo needs the program to run its steps (context.runCommand)');
    await context.runCommand(args);
  };
  await step('rate card', ['ratecard', 'import', files.rateCard]);
  await step('owners', ['owners', 'import', files.owners, '--keys', files.gatewayKeys]);
  await step('ledger', ['ingest', 'ledger', files.ledger]);
  await step('invoices', ['ingest', 'invoice', ...files.invoices]);
  await step('reconcile', ['run', '--period', DEMO_PERIOD]);
  await step('explain', ['explain', '--period', DEMO_PERIOD]);
  await step('workbooks', ['workbook', '--period', DEMO_PERIOD, '--out', out, '--all-teams']);
  process.stderr.write(`\nDone. Workbooks are in ${out}\n`);
}
