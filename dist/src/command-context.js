import { loadConfig } from "./config.js";
import { openStore } from "./db/connection.js";
import { migrate } from "./db/migrate.js";
import { createLogger } from "./log.js";
/**
 * An expected problem the user can fix: printed as one line with what to do, exit code 2 (a
 * mistake in the command), or 1 where the input itself is damaged (a truncated file).
 */
export class UserError extends Error {
    hint;
    exitCode;
    constructor(message, hint, exitCode = 2) {
        super(message);
        this.hint = hint;
        this.exitCode = exitCode;
        this.name = 'UserError';
    }
}
export function createCommandContext(config = loadConfig()) {
    const log = createLogger(config);
    let opened;
    return {
        config,
        log,
        store() {
            opened ??= (async () => {
                const store = await openStore(config);
                const applied = await migrate(store);
                if (applied.length > 0)
                    log.debug('migrations applied', { applied });
                return store;
            })();
            return opened;
        },
        async close() {
            if (opened)
                await (await opened).close();
        },
    };
}
/** Prints a result as JSON on stdout (for automation) or as text lines. */
export function printResult(json, value, text) {
    process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}
