import { Command, CommanderError } from 'commander';
import { createCommandContext, UserError } from './command-context.ts';
import { isConnectionLost, openStore } from './db/connection.ts';
import { migrate, pendingMigrations } from './db/migrate.ts';
import { registerIngestCommands } from './ingest/commands.ts';
import { registerPricingCommands } from './pricing/commands.ts';
import { registerRunCommands } from './run/commands.ts';
import { registerExplainCommands } from './explain/commands.ts';
import { registerAllocateCommands } from './allocate/commands.ts';
import { registerWorkbooksCommands } from './workbooks/commands.ts';
import { registerAuditCommands } from './audit/commands.ts';
import { registerServeCommands } from './serve/commands.ts';
import { registerDemoCommands } from './demo/commands.ts';
import { registerExportCommands } from './export/commands.ts';
import { registerCommitmentCommands } from './commitments/commands.ts';

export function buildProgram(context = createCommandContext()): Command {
  const program = new Command('recon')
    .description('Month-end reconciliation of AI API spend: ingest, price, explain variance, allocate, workbooks.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('migrate')
    .description('apply pending database migrations (every command also does this on start)')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }) => {
      const store = await openStore(context.config);
      const pending = await pendingMigrations(store);
      const applied = await migrate(store);
      const result = { database: store.kind, location: store.location, applied, pending_before: pending };
      process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : `${store.kind} at ${store.location}: ${applied.length} migration(s) applied\n`);
      await store.close();
    });

  for (const register of [
    registerIngestCommands,
    registerPricingCommands,
    registerRunCommands,
    registerExplainCommands,
    registerAllocateCommands,
    registerWorkbooksCommands,
    registerAuditCommands,
    registerServeCommands,
    registerDemoCommands,
    registerExportCommands,
    registerCommitmentCommands,
  ]) {
    register(program, context);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let context;
  try {
    context = createCommandContext();
  } catch (error) {
    process.stderr.write(`recon: ${(error as Error).message}\n`);
    return 2;
  }
  const program = buildProgram(context);
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
    if (isConnectionLost(error)) {
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

const isEntry = process.argv[1] && /(?:cli\.ts|recon(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
