import { UserError } from "../command-context.js";
import { loadSettings } from "../settings.js";
import { loadPolicy } from "../allocate/policy.js";
import { parseTokens } from "./auth.js";
import { startServer } from "./server.js";
export const registerServeCommands = (program, context) => {
    program
        .command('serve')
        .description('HTTP service: period summaries, runs, workbook downloads, reruns on demand (bearer-token auth)')
        .option('--port <n>', 'port to listen on (default RECON_HTTP_PORT or 8080; 0 = any free port)')
        .option('--host <address>', 'address to listen on', '0.0.0.0')
        .action(async (options) => {
        const port = options.port === undefined ? context.config.httpPort : Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
            throw new UserError(`--port must be a port number (got "${options.port}")`, 'e.g. --port 8080');
        const settings = loadSettings(context.config.configFile);
        let tokens;
        try {
            tokens = parseTokens(settings.http.tokens, context.config.apiTokens);
        }
        catch (error) {
            throw new UserError(error.message, 'set RECON_API_TOKENS="<long random token>,<another>:rerun"');
        }
        if (tokens.length === 0) {
            throw new UserError('no API tokens are configured, so nobody could use the service', 'set RECON_API_TOKENS="<long random token>,<another>:rerun" (":rerun" allows POST reruns), or http.tokens in the settings file');
        }
        const store = await context.store();
        const server = await startServer({ store, outDir: context.config.outDir, settings, policy: loadPolicy(context.config.policyFile), tokens, log: context.log }, port, options.host);
        context.log.info('serving', { url: server.url, port: server.port, database: store.kind });
        process.stdout.write(`recon serving on ${server.url}\n`);
        await new Promise((resolve) => {
            const stop = (signal) => {
                context.log.info('server stopping', { signal });
                void server.close().then(resolve, resolve);
            };
            process.once('SIGTERM', () => stop('SIGTERM'));
            process.once('SIGINT', () => stop('SIGINT'));
        });
    });
};
