import path from 'node:path';

/** Validated, frozen settings. The only module that reads process.env. */
export interface Config {
  /** postgres:// URL of a real server; undefined means the embedded PGlite store. */
  databaseUrl: string | undefined;
  /** Folder of the embedded store and default outputs. */
  dataDir: string;
  /** Where workbooks are written when a command is not given --out. */
  outDir: string;
  /** Folder of the inbox the nightly job reads (ledger/, invoices/, usage/, ratecards/, fx/ below it). */
  inboxDir: string;
  /** Optional path of the allocation policy file (JSON or YAML). */
  policyFile: string | undefined;
  /** Optional path of the owners file (team, cost center, owner, budget). */
  ownersFile: string | undefined;
  /** Optional JSON config file with schedules, tolerances and tokens. */
  configFile: string | undefined;
  /** Log format: 'json' for structured lines, 'pretty' on a terminal. */
  logFormat: 'json' | 'pretty';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  httpPort: number;
  /** HTTP bearer tokens: comma-separated `token` or `token:rerun` (rerun grants POST). */
  apiTokens: string | undefined;
}

function parseLogLevel(value: string | undefined): Config['logLevel'] {
  const level = value ?? 'info';
  if (level === 'debug' || level === 'info' || level === 'warn' || level === 'error') return level;
  throw new Error(`RECON_LOG_LEVEL must be one of debug, info, warn, error (got "${level}")`);
}

function parsePort(value: string | undefined): number {
  const port = Number(value ?? '8080');
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`RECON_HTTP_PORT must be a port number (got "${value}")`);
  }
  return port;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
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
