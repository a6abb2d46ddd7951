import type { Config } from './config.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /**
   * The outcome of a command that prints its own summary line: an info line in JSON logs (cron,
   * containers), nothing on a terminal, where the summary already says it (one line per event).
   */
  event(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` (e.g. run_id, job_id) to every line. */
  child(fields: Fields): Logger;
}

/**
 * Logs go to stderr so that stdout stays clean for `--json` output. JSON lines when not on a
 * terminal (cron, containers), short readable lines on a terminal.
 */
export function createLogger(config: Pick<Config, 'logFormat' | 'logLevel'>, base: Fields = {}, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (level: Level, msg: string, fields: Fields = {}) => {
    if (ORDER[level] < ORDER[config.logLevel]) return;
    const all = { ...base, ...fields };
    if (config.logFormat === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }));
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(`${level === 'info' ? '' : level.toUpperCase() + ' '}${msg}${extra ? '  ' + extra : ''}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    event: (m, f) => {
      if (config.logFormat === 'json') emit('info', m, f);
    },
    child: (fields) => createLogger(config, { ...base, ...fields }, write),
  };
}
