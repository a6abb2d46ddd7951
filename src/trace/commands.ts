import { printResult, UserError, type RegisterCommands } from '../command-context.ts';
import { isPeriod, type Period } from '../period.ts';
import { traceRequest, traceTeamDay, type RunChoice, type TeamDayTrace } from './request-trace.ts';
import { DEFAULT_TOP, isDay, MAX_TOP, type Trace } from './trace.ts';

export function parseTop(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TOP;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_TOP) throw new UserError(`--top must be a whole number from 1 to ${MAX_TOP} (got "${text}")`, 'e.g. --top 5');
  return Number(text);
}

export const registerTraceCommands: RegisterCommands = (program, context) => {
  program
    .command('trace')
    .description("a request's trace: attempts, tokens, card lines, exact cost, owner and how it was resolved, allocation share, cell variance; or a team's most expensive requests of a day")
    .argument('[request_id]', 'the request id (its retries and fallbacks, which name it as their original, are traced with it)')
    .option('--period <YYYY-MM>', "the period whose current run to read (default: the period of the request's first attempt)")
    .option('--run <id>', 'read this run instead of the current one')
    .option('--team <team>', "with --day: the team's most expensive requests (owner by tag, else gateway key map)")
    .option('--day <YYYY-MM-DD>', 'with --team: the UTC day')
    .option('--top <n>', `with --team/--day: how many requests (default ${DEFAULT_TOP})`)
    .option('--json', 'print the result as JSON')
    .action(async (requestId: string | undefined, flags: { period?: string; run?: string; team?: string; day?: string; top?: string; json?: boolean }) => {
      const json = Boolean(flags.json);
      if (flags.team !== undefined || flags.day !== undefined) {
        if (requestId !== undefined) throw new UserError('give a request id, or --team and --day, not both', 'recon trace REQUEST_ID, or recon trace --team T --day YYYY-MM-DD');
        if (!flags.team || !flags.day) throw new UserError('--team and --day go together', 'e.g. recon trace --team support --day 2026-05-15');
        if (!isDay(flags.day)) throw new UserError(`--day must be a date YYYY-MM-DD (got "${flags.day}")`, 'e.g. --day 2026-05-15');
        const top = parseTop(flags.top);
        const store = await context.store();
        const result = await traceTeamDay(store.db, flags.team, flags.day, top);
        printResult(json, result, () => describeTeamDay(result));
        return;
      }
      if (!requestId) throw new UserError('a request id, or --team and --day, is required', 'recon trace REQUEST_ID, or recon trace --team T --day YYYY-MM-DD');
      if (flags.period !== undefined && !isPeriod(flags.period)) throw new UserError(`--period must be YYYY-MM (got "${flags.period}")`, 'e.g. --period 2026-05');
      if (flags.run !== undefined && !/^\d{1,18}$/.test(flags.run)) throw new UserError(`--run must be a run id (got "${flags.run}")`, 'see recon runs');
      const choice: RunChoice = flags.run ? { runId: flags.run } : { period: flags.period as Period | undefined };
      const store = await context.store();
      const trace = await traceRequest(store.db, requestId, choice);
      if (!trace) throw new UserError(`no ledger record for request "${requestId}"`, 'check the id (recon ingest ledger loads records); ids are case-sensitive');
      if (flags.run && !trace.run) throw new UserError(`no run ${flags.run}`, 'see recon runs --period P');
      printResult(json, trace, () => describeTrace(trace));
    });
};

function describeTrace(t: Trace): string {
  const out: string[] = [];
  out.push(`request ${t.request_id}: ${t.attempts.length} attempt(s), cost ${t.cost} (exact, unrounded)`);
  out.push(t.run ? `run ${t.run.id} of ${t.period} (${t.run.status}${t.run.finished_at ? `, ${t.run.finished_at}` : ''}), policy ${t.run.policy_version}` : `period ${t.period}: no succeeded run yet`);
  for (const a of t.attempts) {
    const o = a.owner_resolution;
    out.push('');
    out.push(`${a.request_id} attempt ${a.attempt ?? 1}${a.original_request_id ? ` (retries ${a.original_request_id})` : ''} at ${a.ts}: ${a.provider} ${a.response_model}${a.canonical_model !== a.response_model ? ` (= ${a.canonical_model})` : ''} ${a.service_tier}, region ${a.region ?? '-'} (priced as ${a.pricing_region || 'global'}), ${a.status}${a.retry ? ', retry' : ''}`);
    out.push(`  owner: team ${o.team ?? '(untagged)'}, service ${o.service ?? '-'}, cost center ${o.cost_center ?? '-'}, gateway key ${o.gateway_key_id ?? '-'}`);
    out.push(`  resolved by ${o.resolved_by}: ${o.resolution}`);
    out.push(`  charged to ${a.charged_to.team ?? '(spread)'}: ${a.charged_to.rule}`);
    for (const c of a.categories) {
      if (c.unpriced_reason) {
        out.push(`  ${c.category.padEnd(15)} ${c.quantity.padStart(12)}  unpriced: ${c.unpriced_reason}`);
        continue;
      }
      const unit = c.category === 'request' ? 'per request' : 'per 1M';
      const price = c.unit_price === null ? 'no per-request fee' : `${c.unit_price} ${unit}`;
      const range = c.line_id ? ` (card ${c.card_version} line ${c.line_id}, ${c.line_effective_from} .. ${c.line_effective_to ?? 'open'})` : '';
      out.push(`  ${c.category.padEnd(15)} ${c.quantity.padStart(12)}  x ${price} = ${c.cost}${range}`);
    }
    out.push(`  cost ${a.cost}`);
    for (const c of a.cells) {
      const v = c.variance;
      const status = v?.status ? `${v.status}, variance ${v.variance} (explained ${v.explained}, unexplained ${v.unexplained})` : 'no variance cell';
      const share = c.allocation ? (c.allocation.share !== null ? `share ${c.allocation.share}` : `share not derivable, cell ratio ${c.allocation.ratio ?? '-'}`) : '';
      out.push(`  cell ${c.cell.model} ${c.cell.token_category} ${c.cell.service_tier} ${c.cell.day}: ${status}; ${share}`);
      if (c.allocation && !c.allocation.exact) out.push(`    ${c.allocation.note}`);
    }
  }
  out.push('');
  out.push(t.allocated_share !== null ? `allocated share ${t.allocated_share}` : 'allocated share: not derivable exactly (see the cells)');
  out.push(`  ${t.allocation_note}`);
  return out.join('\n');
}

function describeTeamDay(r: TeamDayTrace): string {
  if (r.requests.length === 0) return `no requests of team ${r.team} on ${r.day}`;
  const lines = r.requests.map((q) =>
    `${String(q.rank).padStart(3)}. ${q.request_id}  ${q.cost}  ${q.provider} ${q.canonical_model} ${q.service_tier} region ${q.region ?? '-'}  ` +
    `in ${q.tokens.input} out ${q.tokens.output}  service ${q.service ?? '-'} key ${q.gateway_key_id ?? '-'} (${q.resolved_by})  ` +
    `card ${q.card_versions.join(',') || '-'} from ${q.pricing_effective_from.join(',') || '-'}${q.attempts > 1 ? `  ${q.attempts} attempts` : ''}`,
  );
  return [`team ${r.team} on ${r.day}: ${r.total_requests} request(s), ${r.total_cost} (exact); the ${r.requests.length} most expensive:`, ...lines, '(recon trace REQUEST_ID for one of them)'].join('\n');
}
