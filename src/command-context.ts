import type { Command } from 'commander';
import { loadConfig, type Config } from './config.ts';
import type { Store } from './db/connection.ts';
import { createLogger, type Logger } from './log.ts';

/** What a command needs from the shell: settings, a migrated store, a logger. */
export interface CommandContext {
  config: Config;
  log: Logger;
  /** Opens the store once per process and applies pending migrations. */
  store(): Promise<Store>;
  close(): Promise<void>;
  /**
   * Runs another recon command in this process with this context (the demo runs the real commands
   * this way). Set by the program (src/cli.ts), so no domain imports the program back.
   */
  runCommand?: (args: string[]) => Promise<void>;
}

/**
 * An expected problem the user can fix: printed as one line with what to do, exit code 2 (a
 * mistake in the command), or 1 where the input itself is damaged (a truncated file).
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string, readonly exitCode: 1 | 2 = 2) {
    super(message);
    this.name = 'UserError';
  }
}

export function createCommandContext(config: Config = loadConfig()): CommandContext {
  const log = createLogger(config);
  let opened: Promise<Store> | undefined;
  return {
    config,
    log,
    store() {
      opened ??= (async () => {
        // loaded on first use, so commands that never touch the database (help) start without the drivers
        const { openStore } = await import('./db/connection.ts');
        const { migrate } = await import('./db/migrate.ts');
        const store = await openStore(config);
        const applied = await migrate(store);
        if (applied.length > 0) log.debug('migrations applied', { applied });
        return store;
      })();
      return opened;
    },
    async close() {
      if (opened) await (await opened).close();
    },
  };
}

/** Every domain adds its subcommands through one of these. */
export type RegisterCommands = (program: Command, context: CommandContext) => void;

/** Prints a result as JSON on stdout (for automation) or as text lines. */
export function printResult(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}
