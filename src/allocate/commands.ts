import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { UserError, printResult, type CommandContext, type RegisterCommands } from '../command-context.ts';
import { isPeriod, type Period } from '../period.ts';
import { importDisputeWorkbook } from '../workbooks/dispute-import.ts';
import { decideDispute, disputeView, openDispute } from './dispute-actions.ts';
import { utcDay } from '../period.ts';
import { keysWithUnknownTeam, parseOwnersFiles } from './owners.ts';
import { defaultPolicy, loadPolicy } from './policy.ts';
import {
  replaceOwners,
  selectDisputes,
  selectGatewayKeyOwners,
  selectTeamOwners,
} from './queries.ts';

function periodOption(text: string | undefined, required: true): Period;
function periodOption(text: string | undefined, required: false): Period | undefined;
function periodOption(text: string | undefined, required: boolean): Period | undefined {
  if (text === undefined) {
    if (required) throw new UserError('--period is required', 'pass the month as --period YYYY-MM, e.g. --period 2026-05');
    return undefined;
  }
  if (!isPeriod(text)) throw new UserError(`period must be YYYY-MM (got "${text}")`, 'pass the month as --period YYYY-MM, e.g. --period 2026-05');
  return text;
}

function amountOption(text: string | undefined): string | null {
  if (text === undefined) return null;
  const cleaned = text.trim().replace(/^\$/, '');
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned) || /^0+(\.0+)?$/.test(cleaned)) {
    throw new UserError(`--amount must be a positive USD amount with at most two decimals (got "${text}")`, 'e.g. --amount 120.50');
  }
  return cleaned;
}

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new UserError(`cannot read ${what} ${file}: ${(error as Error).message}`, 'check the path');
  }
}

const disputeLine = (d: ReturnType<typeof disputeView>) =>
  [`#${d.id}`.padEnd(6), d.period, d.team.padEnd(16), d.state.padEnd(15), (d.amount ?? '-').padStart(12), `due ${d.due_date ?? '-'}`, d.applied_in_run ? `applied in run ${d.applied_in_run}` : '', d.reason].filter(Boolean).join('  ');

export const registerAllocateCommands: RegisterCommands = (program, context) => {
  registerPolicyCommands(program, context);
  registerOwnersCommands(program, context);
  registerDisputeCommands(program, context);
};

function registerPolicyCommands(program: Parameters<RegisterCommands>[0], context: CommandContext) {
  const policy = program.command('policy').description('the allocation policy: how the invoice is charged to owners');
  policy
    .command('check')
    .description('validate a policy file (JSON or YAML) and print the effective policy; without FILE prints the default policy')
    .argument('[file]', 'policy file; default RECON_POLICY_FILE, else the built-in default')
    .option('--json', 'print the effective policy as JSON')
    .action((file: string | undefined, options: { json?: boolean }) => {
      const source = file ?? context.config.policyFile;
      const effective = source ? loadPolicy(source) : defaultPolicy;
      printResult(Boolean(options.json), effective, () => `# effective allocation policy (${source ? `from ${source}` : 'built-in default'}): valid\n${YAML.stringify(effective).trimEnd()}`);
    });
}

function registerOwnersCommands(program: Parameters<RegisterCommands>[0], context: CommandContext) {
  const owners = program.command('owners').description('team owners (team → cost center, owner, budget) and the gateway key → team map');
  owners
    .command('import')
    .description('replace the owners from a CSV (team,cost_center,owner,monthly_budget) and/or the key map (gateway_key_id,team,service,environment)')
    .argument('<file>', 'owners CSV; may also hold the key map as a second section with its own header row')
    .option('--keys <file>', 'gateway key map CSV: gateway_key_id,team,service,environment')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { keys?: string; json?: boolean }) => {
      const files = [{ name: file, bytes: readFile(file, 'owners file') }];
      if (options.keys) files.push({ name: options.keys, bytes: readFile(options.keys, 'key map file') });
      const content = parseOwnersFiles(files.map((f) => ({ name: f.name, text: f.bytes.toString('utf8') })));
      if (content.problems.length > 0) {
        throw new UserError(`owners not imported, ${content.problems.length} problem(s):\n  ${content.problems.slice(0, 20).join('\n  ')}`, 'fix the file(s) and import again; nothing was changed');
      }
      const store = await context.store();
      const knownTeams = new Set(content.teams ? content.teams.map((t) => t.team) : (await selectTeamOwners(store.db)).map((t) => t.team));
      const orphans = content.keys ? keysWithUnknownTeam(content.keys, knownTeams) : [];
      if (orphans.length > 0) {
        throw new UserError(
          `gateway key(s) map to teams missing from the owners: ${orphans.slice(0, 10).map((k) => `${k.gateway_key_id} → ${k.team}`).join(', ')}`,
          'add the teams to the team section (team,cost_center,owner,monthly_budget) or fix the key map; nothing was changed',
        );
      }
      const hash = crypto.createHash('sha256');
      for (const f of files) hash.update(f.bytes);
      const recorded = await store.db.transaction().execute((trx) =>
        replaceOwners(trx, {
          path: files.map((f) => path.resolve(f.name)).join(' + '),
          sha256: hash.digest('hex'),
          bytes: files.reduce((n, f) => n + f.bytes.length, 0),
          teams: content.teams,
          keys: content.keys,
        }),
      );
      const result = {
        file_id: recorded.fileId,
        reimported: recorded.reimported,
        teams: content.teams?.length ?? null,
        gateway_keys: content.keys?.length ?? null,
      };
      context.log.event('owners imported', result);
      printResult(Boolean(options.json), result, () =>
        [
          `owners file #${result.file_id}${result.reimported ? ' (same content as an earlier import)' : ''}:`,
          result.teams === null ? '  teams unchanged (no team section)' : `  ${result.teams} team(s) replaced`,
          result.gateway_keys === null ? '  gateway key map unchanged (no key section)' : `  ${result.gateway_keys} gateway key(s) replaced`,
        ].join('\n'),
      );
    });

  owners
    .command('list')
    .description('list the teams and the gateway key map in effect')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }) => {
      const store = await context.store();
      const teams = await selectTeamOwners(store.db);
      const keys = await selectGatewayKeyOwners(store.db);
      printResult(Boolean(options.json), { teams, gateway_keys: keys }, () =>
        teams.length === 0 && keys.length === 0
          ? 'no owners yet; import them with recon owners import owners.csv --keys gateway-keys.csv'
          : [
              'team                 cost center   owner                          monthly budget',
              ...teams.map((t) => `${t.team.padEnd(20)} ${(t.cost_center ?? '-').padEnd(13)} ${(t.owner ?? '-').padEnd(30)} ${(t.monthly_budget ?? '-').padStart(14)}`),
              '',
              'gateway key          team                 service              environment',
              ...keys.map((k) => `${k.gateway_key_id.padEnd(20)} ${k.team.padEnd(20)} ${(k.service ?? '-').padEnd(20)} ${k.environment ?? '-'}`),
            ].join('\n'),
      );
    });
}

function registerDisputeCommands(program: Parameters<RegisterCommands>[0], context: CommandContext) {
  const dispute = program.command('dispute').description('disputes of a team against its charge; an accepted one moves its amount on the next run');
  dispute
    .command('open')
    .description('open a dispute; due five business days after the team’s workbook was issued (or today, if none was)')
    .option('--period <YYYY-MM>', 'the month charged')
    .option('--team <team>', 'the disputing team')
    .option('--reason <text>', 'why the charge is wrong')
    .option('--ref <id>', 'a request id or invoice line id the dispute is about')
    .option('--amount <usd>', 'the amount disputed, e.g. 120.50 (can also be set when accepting)')
    .option('--json', 'print the dispute as JSON')
    .action(async (options: { period?: string; team?: string; reason?: string; ref?: string; amount?: string; json?: boolean }) => {
      const period = periodOption(options.period, true);
      const team = options.team?.trim();
      if (!team) throw new UserError('--team is required', 'name the disputing team, e.g. --team sales (see recon owners list)');
      const reason = options.reason?.trim();
      if (!reason) throw new UserError('--reason is required', 'say why the charge is wrong, e.g. --reason "staging calls on our key"');
      const amount = amountOption(options.amount);
      const store = await context.store();
      const now = new Date();
      const { dispute: row, issuedAt } = await openDispute(store.db, { period, team, reason, ref: options.ref?.trim() || null, amount, now });
      const view = { ...disputeView(row, utcDay(now)), due_from: issuedAt ? `workbook issued ${issuedAt.toISOString()}` : 'opened (no workbook issued yet)' };
      printResult(Boolean(options.json), view, () => `dispute #${view.id} opened for ${team} in ${period}; due ${view.due_date} (5 business days after the ${issuedAt ? 'workbook was issued' : 'dispute was opened'})`);
    });

  dispute
    .command('import')
    .description('open the disputes a team filled in on its dispute workbook (sheet Dispute); the run, period and team come from the workbook; a line already imported is not opened again')
    .argument('<file>', 'the filled-in dispute-YYYY-MM-TEAM.xlsx')
    .option('--json', 'print { file, period, run_id, team, opened, already_imported, errors: [{ sheet, row, line, column, reason, fix }] } as JSON')
    .action(async (file: string, options: { json?: boolean }) => {
      const store = await context.store();
      const result = await importDisputeWorkbook(store.db, path.resolve(file), new Date());
      context.log.event('disputes imported', { run_id: result.run_id, team: result.team, opened: result.opened.length, already_imported: result.already_imported.length, refused: result.errors.length });
      // some lines refused: the good ones went in, but the exit status says the file needs another look
      if (result.errors.length > 0) process.exitCode = 1;
      printResult(Boolean(options.json), result, () =>
        [
          `${result.team}, ${result.period} (run ${result.run_id}): ${result.opened.length} dispute(s) opened, ${result.already_imported.length} already imported, ${result.errors.length} line(s) refused`,
          ...result.opened.map((d) => `  opened #${d.id} from ${d.line} (row ${d.row}): ${d.amount ?? '-'}, due ${d.due_date ?? '-'}`),
          ...result.already_imported.map((d) => `  ${d.line} (row ${d.row}) was imported before as #${d.id}: nothing new`),
          ...result.errors.map((e) => `  refused: sheet ${e.sheet}, row ${e.row} (${e.line}), column ${e.column}: ${e.reason}; ${e.fix}`),
          ...(result.errors.length > 0 ? ['fix the refused lines in the file and import it again: lines already imported are not opened twice'] : []),
        ].join('\n'),
      );
    });

  dispute
    .command('list')
    .description('list disputes, open and resolved')
    .option('--period <YYYY-MM>', 'only this month')
    .option('--team <team>', 'only this team')
    .option('--json', 'print as JSON')
    .action(async (options: { period?: string; team?: string; json?: boolean }) => {
      const period = periodOption(options.period, false);
      const store = await context.store();
      const today = utcDay(new Date());
      const rows = (await selectDisputes(store.db, { period, team: options.team?.trim() || undefined })).map((d) => disputeView(d, today));
      printResult(Boolean(options.json), rows, () => (rows.length === 0 ? 'no disputes' + (period ? ` for ${period}` : '') : rows.map(disputeLine).join('\n')));
    });

  dispute
    .command('resolve')
    .description('accept or reject an open dispute; an accepted one moves its amount under the policy on the next run')
    .argument('<id>', 'the dispute id (see recon dispute list)')
    .option('--accept', 'accept the dispute')
    .option('--reject', 'reject the dispute')
    .option('--note <text>', 'the resolution, kept with the dispute')
    .option('--amount <usd>', 'the amount accepted (required when the dispute was opened without one)')
    .option('--to <team>', 'with --accept: the team that takes the amount (default: the policy\'s platform bucket; required for the bucket\'s own disputes)')
    .option('--policy <file>', 'allocation policy file, to know the platform bucket; default RECON_POLICY_FILE or the built-in policy')
    .option('--json', 'print the dispute as JSON')
    .action(async (id: string, options: { accept?: boolean; reject?: boolean; note?: string; amount?: string; to?: string; policy?: string; json?: boolean }) => {
      if (!/^\d{1,18}$/.test(id)) throw new UserError(`dispute id must be a number (got "${id}")`, 'find it with recon dispute list');
      if (Boolean(options.accept) === Boolean(options.reject)) throw new UserError('give exactly one of --accept or --reject', `e.g. recon dispute resolve ${id} --accept --note "confirmed mis-tagged"`);
      const note = options.note?.trim();
      if (!note) throw new UserError('--note is required', 'say what was decided and why, e.g. --note "confirmed: staging calls on the sales key"');
      const amount = amountOption(options.amount);
      if (options.reject && amount !== null) throw new UserError('--amount is only used with --accept', 'drop --amount');
      const to = options.to?.trim() || null;
      if (options.reject && to !== null) throw new UserError('--to is only used with --accept', 'drop --to');
      const bucket = loadPolicy(options.policy ?? context.config.policyFile).platform_bucket;
      const store = await context.store();
      const now = new Date();
      const row = await decideDispute(store.db, { id, decision: options.accept ? 'accepted' : 'rejected', note, amount, now, receivingTeam: options.accept ? to : null, bucket });
      const view = disputeView(row, utcDay(now));
      printResult(Boolean(options.json), view, () =>
        row.status === 'accepted'
          ? `dispute #${id} accepted: ${row.amount} moves from ${row.team} to ${row.receiving_team ?? bucket} on the next run (recon run --period ${row.period}; add --reopen --reason if the period is closed)`
          : `dispute #${id} rejected`,
      );
    });
}
