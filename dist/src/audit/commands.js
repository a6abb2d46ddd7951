import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UserError, printResult } from "../command-context.js";
import { isPeriod, parsePeriod } from "../period.js";
import { loadPolicy } from "../allocate/policy.js";
import { auditPeriod, DEFAULT_SAMPLES } from "./audit-period.js";
import { readinessThresholds } from "./readiness.js";
import { formatAuditText } from "./text.js";
export const registerAuditCommands = (program, context) => {
    program
        .command('audit')
        .description('check the ledger of a period against the trace-to-invoice checklist: field completeness, findings with evidence, ' +
        'chargeback readiness per team (needs no invoice and no run)')
        .requiredOption('--period <YYYY-MM>', 'the month to audit')
        .option('--owners <file>', 'gateway key map CSV (gateway_key_id,team[,service][,environment]) to audit against instead of the imported one; nothing is stored')
        .option('--policy <file>', 'allocation policy file whose chargeback gates the readiness verdict uses (default: RECON_POLICY_FILE, else the default policy)')
        .option('--samples <n>', 'sample request ids per finding', String(DEFAULT_SAMPLES))
        .option('--json', 'print the audit as JSON on stdout')
        .action(async (options) => {
        if (!isPeriod(options.period))
            throw new UserError(`--period must be YYYY-MM (got "${options.period}")`, 'e.g. recon audit --period 2026-05');
        const samples = Number(options.samples);
        if (!Number.isInteger(samples) || samples < 0 || samples > 100) {
            throw new UserError(`--samples must be a whole number from 0 to 100 (got "${options.samples}")`, 'e.g. --samples 10');
        }
        const keyOwners = options.owners ? readKeyOwnersFile(options.owners) : undefined;
        const policy = loadPolicy(options.policy ?? context.config.policyFile);
        const store = await context.store();
        const report = await auditPeriod(store.db, { period: parsePeriod(options.period), keyOwners, samples, thresholds: readinessThresholds(policy) });
        if (report.records === '0') {
            context.log.warn('no ledger records in the period', { period: options.period, next: 'ingest the gateway ledger first: recon ingest ledger FILE' });
        }
        printResult(Boolean(options.json), report, () => formatAuditText(report));
    });
};
/** Reads a gateway key map CSV (the file `recon owners import --keys` takes). */
export function readKeyOwnersFile(file) {
    let text;
    try {
        text = fs.readFileSync(file, 'utf8');
    }
    catch (error) {
        throw new UserError(`cannot read owners file ${file}: ${error.message}`, 'check the path passed to --owners');
    }
    let rows;
    try {
        rows = parse(text, { columns: (header) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true });
    }
    catch (error) {
        throw new UserError(`owners file ${file} is not valid CSV: ${error.message}`, 'save it as CSV with a header row');
    }
    const first = rows[0];
    if (!first || !('gateway_key_id' in first) || !('team' in first)) {
        throw new UserError(`owners file ${file} has no gateway_key_id and team columns`, 'pass the gateway key map (gateway_key_id,team,service,environment), not the team budgets file');
    }
    const seen = new Set();
    return rows.map((row, i) => {
        const key = row.gateway_key_id ?? '';
        const team = row.team ?? '';
        if (key === '' || team === '')
            throw new UserError(`owners file ${file} line ${i + 2}: gateway_key_id and team are required`, 'fill in or remove the line');
        if (seen.has(key))
            throw new UserError(`owners file ${file} line ${i + 2}: gateway key ${key} appears twice`, 'keep one owner per key');
        seen.add(key);
        return { gateway_key_id: key, team, service: row.service || null, environment: row.environment || null };
    });
}
