import { parse } from 'csv-parse/sync';
const TEAM_COLUMNS = ['team', 'cost_center', 'owner', 'monthly_budget'];
const KEY_COLUMNS = ['gateway_key_id', 'team', 'service', 'environment'];
const normalize = (header) => header.trim().toLowerCase().replace(/[\s-]+/g, '_');
const blankToNull = (value) => (value === undefined || value.trim() === '' ? null : value.trim());
/** "2,500.00", "$2500" and "2500" all mean 2500.00; anything else is a problem. */
function parseBudget(value) {
    if (value === null)
        return null;
    const cleaned = value.replace(/^\$/, '').replace(/,/g, '');
    if (!/^\d+(\.\d+)?$/.test(cleaned))
        return new Error(`monthly_budget "${value}" is not a non-negative amount`);
    return cleaned;
}
export function parseOwnersFiles(files) {
    const problems = [];
    let teams = null;
    let keys = null;
    for (const file of files) {
        let records;
        try {
            records = parse(file.text.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, info: true });
        }
        catch (error) {
            problems.push(`${file.name}: not readable as CSV: ${error.message}`);
            continue;
        }
        let section;
        for (const { record, info } of records) {
            const where = `${file.name} line ${info.lines}`;
            const cells = record.map(normalize);
            if (cells.every((c) => c === ''))
                continue;
            if (cells.includes('gateway_key_id')) {
                section = { kind: 'keys', index: new Map(cells.map((c, i) => [c, i])) };
                const missing = ['gateway_key_id', 'team'].filter((c) => !section.index.has(c));
                if (missing.length > 0)
                    problems.push(`${where}: key header lacks ${missing.join(', ')} (expected ${KEY_COLUMNS.join(',')})`);
                if (keys !== null)
                    problems.push(`${where}: a second gateway key section; give each section once`);
                keys = [];
                continue;
            }
            if (cells.includes('team') && (cells.includes('cost_center') || cells.includes('owner') || cells.includes('monthly_budget'))) {
                section = { kind: 'teams', index: new Map(cells.map((c, i) => [c, i])) };
                if (teams !== null)
                    problems.push(`${where}: a second team section; give each section once`);
                teams = [];
                continue;
            }
            if (!section) {
                problems.push(`${where}: expected a header row (${TEAM_COLUMNS.join(',')} or ${KEY_COLUMNS.join(',')})`);
                break;
            }
            const cell = (name) => {
                const i = section.index.get(name);
                return i === undefined ? null : blankToNull(record[i]);
            };
            if (section.kind === 'teams') {
                const team = cell('team');
                if (!team) {
                    problems.push(`${where}: team is empty`);
                    continue;
                }
                if (teams.some((t) => t.team === team))
                    problems.push(`${where}: team "${team}" is listed twice`);
                const budget = parseBudget(cell('monthly_budget'));
                if (budget instanceof Error)
                    problems.push(`${where}: ${budget.message}`);
                teams.push({ team, cost_center: cell('cost_center'), owner: cell('owner'), monthly_budget: budget instanceof Error ? null : budget });
            }
            else {
                const key = cell('gateway_key_id');
                const team = cell('team');
                if (!key || !team) {
                    problems.push(`${where}: gateway_key_id and team are both required`);
                    continue;
                }
                if (keys.some((k) => k.gateway_key_id === key))
                    problems.push(`${where}: gateway key "${key}" is listed twice`);
                keys.push({ gateway_key_id: key, team, service: cell('service'), environment: cell('environment') });
            }
        }
    }
    if (teams === null && keys === null && problems.length === 0)
        problems.push('no team section and no gateway key section found');
    return { teams, keys, problems };
}
/** Keys that name a team the owners table will not know. */
export function keysWithUnknownTeam(keys, knownTeams) {
    return keys.filter((k) => !knownTeams.has(k.team));
}
