import path from 'node:path';
function parseLogLevel(value) {
    const level = value ?? 'info';
    if (level === 'debug' || level === 'info' || level === 'warn' || level === 'error')
        return level;
    throw new Error(`RECON_LOG_LEVEL must be one of debug, info, warn, error (got "${level}")`);
}
function parsePort(value) {
    const port = Number(value ?? '8080');
    if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new Error(`RECON_HTTP_PORT must be a port number (got "${value}")`);
    }
    return port;
}
export function loadConfig(env = process.env) {
    const dataDir = path.resolve(env.RECON_DATA_DIR ?? '.recon');
    const databaseUrl = env.DATABASE_URL && env.DATABASE_URL.trim() !== '' ? env.DATABASE_URL.trim() : undefined;
    return Object.freeze({
        databaseUrl,
        dataDir,
        outDir: path.resolve(env.RECON_OUT_DIR ?? path.join(dataDir, 'out')),
        inboxDir: path.resolve(env.RECON_INBOX_DIR ?? path.join(dataDir, 'inbox')),
        policyFile: env.RECON_POLICY_FILE || undefined,
        ownersFile: env.RECON_OWNERS_FILE || undefined,
        configFile: env.RECON_CONFIG_FILE || undefined,
        logFormat: env.RECON_LOG_FORMAT === 'json' || (!process.stderr.isTTY && env.RECON_LOG_FORMAT !== 'pretty') ? 'json' : 'pretty',
        logLevel: parseLogLevel(env.RECON_LOG_LEVEL),
        httpPort: parsePort(env.RECON_HTTP_PORT),
        apiTokens: env.RECON_API_TOKENS || undefined,
    });
}
