import { money, toCents } from "../money.js";
import { COUNTING_STATUS } from "../ingest/files-that-count.js";
const change = (from, to) => {
    const a = money(from ?? '0');
    const b = money(to ?? '0');
    return { from: toCents(a), to: toCents(b), change: toCents(b.minus(a)) };
};
/** Pairs two keyed lists of amounts; keys in either, sorted; unchanged pairs left out. */
function keyedChanges(key, from, to) {
    const a = new Map((from ?? []).map((x) => [x[key], x.amount]));
    const b = new Map((to ?? []).map((x) => [x[key], x.amount]));
    const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
    return keys
        .map((k) => ({ [key]: k, ...change(a.get(k), b.get(k)) }))
        .filter((c) => c.change !== '0.00' || c.from !== c.to);
}
const fileView = (f) => ({ id: f.id, kind: f.kind, path: f.path, sha256: f.sha256 });
const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
/** Pure: what changed between two stored runs, from their stored summaries and inputs. */
export function diffRuns(from, to) {
    const s1 = from.summary ?? {};
    const s2 = to.summary ?? {};
    const i1 = from.inputs ?? {};
    const i2 = to.inputs ?? {};
    const files1 = new Map((i1.files ?? []).map((f) => [f.id, f]));
    const files2 = new Map((i2.files ?? []).map((f) => [f.id, f]));
    const cards1 = new Map((i1.card_versions ?? []).map((c) => [c.card_version, c]));
    const cards2 = new Map((i2.card_versions ?? []).map((c) => [c.card_version, c]));
    const counts = {};
    for (const key of ['records', 'unpriced', 'untagged', 'rejected']) {
        counts[key] = { from: s1.counts?.[key] ?? '0', to: s2.counts?.[key] ?? '0' };
    }
    counts.cells_over_tolerance = { from: s1.cells_over_tolerance?.total ?? '0', to: s2.cells_over_tolerance?.total ?? '0' };
    return {
        from_run_id: from.id,
        to_run_id: to.id,
        no_change: s1.results_hash !== undefined && s1.results_hash === s2.results_hash,
        totals: {
            invoice_total: change(s1.invoice_total, s2.invoice_total),
            ledger_total: change(s1.ledger_total, s2.ledger_total),
            variance: change(s1.variance, s2.variance),
            allocated_total: change(s1.allocated_total, s2.allocated_total),
            unallocated: change(s1.unallocated, s2.unallocated),
        },
        teams: keyedChanges('team', s1.allocations, s2.allocations),
        causes: keyedChanges('cause', s1.causes, s2.causes),
        counts,
        inputs: {
            files_added: [...files2.values()].filter((f) => !files1.has(f.id) && f.status === COUNTING_STATUS).map(fileView),
            files_removed: [...files1.values()].filter((f) => !files2.has(f.id)).map(fileView),
            files_replaced: [...files2.values()].filter((f) => f.status === 'replaced' && files1.get(f.id)?.status !== 'replaced').map(fileView),
            card_versions_added: [...cards2.keys()].filter((k) => !cards1.has(k)),
            card_versions_removed: [...cards1.keys()].filter((k) => !cards2.has(k)),
            card_versions_changed: [...cards2.keys()].filter((k) => cards1.has(k) && cards1.get(k).lines_hash !== cards2.get(k).lines_hash),
            policy_changed: !same(i1.policy?.hash, i2.policy?.hash),
            aliases_changed: !same(i1.aliases_hash, i2.aliases_hash),
            owners_changed: !same(i1.owners_hash, i2.owners_hash),
            disputes_changed: !same(i1.disputes_hash, i2.disputes_hash),
            settings_changed: !same(i1.settings, i2.settings),
        },
    };
}
/** Lines for the terminal. */
export function formatDiff(diff) {
    const lines = [`run ${diff.from_run_id} -> run ${diff.to_run_id}: ${diff.no_change ? 'no change in results' : 'results changed'}`];
    for (const [name, c] of Object.entries(diff.totals)) {
        if (c.change !== '0.00')
            lines.push(`  ${name.padEnd(16)} ${c.from.padStart(14)} -> ${c.to.padStart(14)}  (${c.change.startsWith('-') ? '' : '+'}${c.change})`);
    }
    for (const t of diff.teams)
        lines.push(`  team ${t.team.padEnd(20)} ${t.from.padStart(14)} -> ${t.to.padStart(14)}  (${t.change.startsWith('-') ? '' : '+'}${t.change})`);
    for (const c of diff.causes)
        lines.push(`  cause ${c.cause.padEnd(19)} ${c.from.padStart(14)} -> ${c.to.padStart(14)}  (${c.change.startsWith('-') ? '' : '+'}${c.change})`);
    for (const [name, c] of Object.entries(diff.counts))
        if (c.from !== c.to)
            lines.push(`  ${name.padEnd(16)} ${c.from} -> ${c.to}`);
    const i = diff.inputs;
    for (const f of i.files_added)
        lines.push(`  + ${f.kind} file ${f.path} (#${f.id})`);
    for (const f of i.files_removed)
        lines.push(`  - ${f.kind} file ${f.path} (#${f.id})`);
    for (const f of i.files_replaced)
        lines.push(`  ~ ${f.kind} file ${f.path} (#${f.id}) was replaced`);
    for (const c of i.card_versions_added)
        lines.push(`  + rate card version ${c}`);
    for (const c of i.card_versions_removed)
        lines.push(`  - rate card version ${c}`);
    for (const c of i.card_versions_changed)
        lines.push(`  ~ rate card version ${c} lines changed`);
    for (const [flag, label] of [
        [i.policy_changed, 'allocation policy changed'],
        [i.aliases_changed, 'model aliases changed'],
        [i.owners_changed, 'owners changed'],
        [i.disputes_changed, 'disputes changed'],
        [i.settings_changed, 'tolerance settings changed'],
    ]) {
        if (flag)
            lines.push(`  ~ ${label}`);
    }
    if (lines.length === 1)
        lines.push('  no input changed');
    return lines.join('\n');
}
