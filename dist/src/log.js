const ORDER = { debug: 10, info: 20, warn: 30, error: 40 };
/**
 * Logs go to stderr so that stdout stays clean for `--json` output. JSON lines when not on a
 * terminal (cron, containers), short readable lines on a terminal.
 */
export function createLogger(config, base = {}, write = (l) => process.stderr.write(l + '\n')) {
    const emit = (level, msg, fields = {}) => {
        if (ORDER[level] < ORDER[config.logLevel])
            return;
        const all = { ...base, ...fields };
        if (config.logFormat === 'json') {
            write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }));
        }
        else {
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
        child: (fields) => createLogger(config, { ...base, ...fields }, write),
    };
}
