import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { createCommandContext, UserError } from './command-context.ts';
import type { RegisterCommands } from './command-context.ts';

/**
 * Which module registers each top-level command. `recon <command>` loads only that module (and
 * what it imports), so a command does not pay for every other command's libraries (exceljs,
 * vega, the database drivers) at start. A command missing here still works: the whole program
 * is loaded. test/cli/startup.test.ts checks this map against the full program.
 */
export const COMMAND_MODULES: ReadonlyArray<{ commands: readonly string[]; load: () => Promise<RegisterCommands> }> = [
  { commands: ['ingest', 'rejects'], load: async () => (await import('./ingest/commands.ts')).registerIngestCommands },
  { commands: ['ratecard', 'alias', 'price'], load: async () => (await import('./pricing/commands.ts')).registerPricingCommands },
  { commands: ['run', 'runs', 'diff', 'close', 'worker', 'jobs', 'job'], load: async () => (await import('./run/commands.ts')).registerRunCommands },
  { commands: ['explain'], load: async () => (await import('./explain/commands.ts')).registerExplainCommands },
  { commands: ['policy', 'owners', 'dispute'], load: async () => (await import('./allocate/commands.ts')).registerAllocateCommands },
  { commands: ['workbook'], load: async () => (await import('./workbooks/commands.ts')).registerWorkbooksCommands },
  { commands: ['audit'], load: async () => (await import('./audit/commands.ts')).registerAuditCommands },
  { commands: ['serve'], load: async () => (await import('./serve/commands.ts')).registerServeCommands },
  { commands: ['demo'], load: async () => (await import('./demo/commands.ts')).registerDemoCommands },
  { commands: ['export'], load: async () => (await import('./export/commands.ts')).registerExportCommands },
  { commands: ['trace'], load: async () => (await import('./trace/commands.ts')).registerTraceCommands },
  { commands: ['fx'], load: async () => (await import('./fx/commands.ts')).registerFxCommands },
  { commands: ['commitment'], load: async () => (await import('./commitments/commands.ts')).registerCommitmentCommands },
];

function newProgram(context: ReturnType<typeof createCommandContext>): Command {
  context.runCommand ??= async (args) => {
    await (await programFor(args, context)).parseAsync(args, { from: 'user' });
  };
  const program = new Command('recon')
    .description('Month-end reconciliation of AI API spend: ingest, price, explain variance, allocate, workbooks.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('migrate')
    .description('apply pending database migrations (every command also does this on start)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const { openStore } = await import('./db/connection.ts');
      const { migrate, pendingMigrations } = await import('./db/migrate.ts');
      const store = await openStore(context.config);
      const pending = await pendingMigrations(store);
      const applied = await migrate(store);
      const result = { database: store.kind, location: store.location, applied, pending_before: pending };
      process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : `${store.kind} at ${store.location}: ${applied.length} migration(s) applied\n`);
      await store.close();
    });

  return program;
}

/** The whole program: every command registered (the demo, tests, and top-level help). */
export async function buildProgram(context = createCommandContext()): Promise<Command> {
  const program = newProgram(context);
  for (const module of COMMAND_MODULES) (await module.load())(program, context);
  return program;
}

/** The program for one invocation: only the module of the command named first, else everything. */
export async function programFor(argv: readonly string[], context = createCommandContext()): Promise<Command> {
  const first = argv.find((arg) => !arg.startsWith('-'));
  const named = first === 'help' ? argv.filter((arg) => !arg.startsWith('-'))[1] : first;
  const module = named === undefined || named === 'migrate' ? undefined : COMMAND_MODULES.find((m) => m.commands.includes(named));
  if (named === 'migrate') return newProgram(context);
  if (!module) return buildProgram(context);
  const program = newProgram(context);
  (await module.load())(program, context);
  return program;
}

/**
 * `recon --help` lists every command, which means loading every command module. The build
 * (scripts/build.mjs) writes that text next to the compiled program from the real registration;
 * the compiled program prints it instead of loading everything. From the sources (tsx) there is no
 * such file and the help is built as usual.
 */
function cachedTopLevelHelp(argv: readonly string[]): string | undefined {
  if (argv.length !== 1 || !['--help', '-h', 'help'].includes(argv[0]!) || process.env.RECON_NO_HELP_CACHE) return undefined;
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.js')) return undefined;
  try {
    return fs.readFileSync(path.resolve(path.dirname(here), '../help.txt'), 'utf8');
  } catch {
    return undefined;
  }
}

export async function main(argv: string[]): Promise<number> {
  const help = cachedTopLevelHelp(argv);
  if (help !== undefined) {
    process.stdout.write(help);
    return 0;
  }
  let context;
  try {
    context = createCommandContext();
  } catch (error) {
    process.stderr.write(`recon: ${(error as Error).message}\n`);
    return 2;
  }
  const program = await programFor(argv, context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode && process.exitCode !== 0 ? Number(process.exitCode) : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UserError) {
      process.stderr.write(`recon: ${error.message}\n${error.hint ? `  next: ${error.hint}\n` : ''}`);
      return error.exitCode;
    }
    const message = (error as Error).message?.split('\n', 1)[0] ?? String(error);
    if ((await import('./db/connection.ts')).isConnectionLost(error)) {
      context.log.debug('failed', { error: message, cause: String((error as Error).cause ?? '') });
      process.stderr.write(`recon: lost the database connection: ${message}\n  next: check that the database at ${context.config.databaseUrl ? 'DATABASE_URL' : context.config.dataDir} is up, then run the command again (a run it interrupted is marked failed)\n`);
      return 1;
    }
    context.log.error('failed', { error: message, cause: String((error as Error).cause ?? '') });
    process.stderr.write(`recon: ${message}\n  next: see the log line above; run again with RECON_LOG_LEVEL=debug for more\n`);
    return 1;
  } finally {
    await context.close().catch(() => undefined);
  }
}

const isEntry = process.argv[1] && /(?:cli\.[tj]s|recon(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
