import path from 'node:path';
import { Option } from 'commander';
import { printResult, UserError, type CommandContext, type RegisterCommands } from '../command-context.ts';
import cliProgress from 'cli-progress';
import { EXCEL_MAX_ROWS } from './cell-values.ts';
import { teamsOfRun, writeAllocationWorkbook, writeDisputeWorkbooks, type WorkbookFile } from './write-workbooks.ts';

interface WorkbookCommandOptions {
  period?: string;
  out?: string;
  run?: string;
  team?: string[];
  allTeams?: boolean;
  maxRows?: string;
  json?: boolean;
}

export const registerWorkbooksCommands: RegisterCommands = (program, context) => {
  program
    .command('workbook')
    .description('write the XLSX workbooks of a period\'s run: allocation-YYYY-MM.xlsx for finance, dispute-YYYY-MM-TEAM.xlsx per team')
    .requiredOption('--period <YYYY-MM>', 'the period, e.g. 2026-05')
    .option('--out <dir>', 'folder to write into (default: RECON_OUT_DIR or .recon/out)')
    .option('--run <id>', 'a run of the period (default: its latest succeeded run)')
    .addOption(new Option('--team <team...>', 'also write the dispute workbook of these teams').conflicts('allTeams'))
    .option('--all-teams', 'also write a dispute workbook for every team the run charges')
    .option('--max-rows <n>', `rows per sheet before a sheet continues on the next one (default ${EXCEL_MAX_ROWS.toLocaleString('en-US')}, Excel's limit, less headers)`)
    .option('--json', 'print { run_id, period, files: [{ kind, team, path, sha256 }] } as JSON')
    .action(async (options: WorkbookCommandOptions) => {
      const maxRows = options.maxRows === undefined ? undefined : Number(options.maxRows);
      if (maxRows !== undefined && (!Number.isInteger(maxRows) || maxRows < 1)) {
        throw new UserError(`--max-rows must be a whole number of rows, at least 1 (got "${options.maxRows}")`, 'leave it out to fill sheets up to Excel\'s limit');
      }
      const outDir = path.resolve(options.out ?? context.config.outDir);
      const store = await context.store();
      const base = { period: options.period!, runId: options.run, outDir, maxRowsPerSheet: maxRows };
      const allocation = await writeAllocationWorkbook(store, base);
      const files: WorkbookFile[] = [{ kind: 'allocation', team: null, path: allocation.path, sha256: allocation.sha256 }];
      const teams = options.allTeams ? (await teamsOfRun(store, allocation.period, allocation.run_id)).teams : (options.team ?? []);
      const deadlines: Record<string, string> = {};
      const progress = workbookProgress(context, teams.length);
      const disputes = await writeDisputeWorkbooks(store, { ...base, period: allocation.period, runId: allocation.run_id, teams, onProgress: progress.update }).finally(progress.stop);
      for (const dispute of disputes) {
        files.push({ kind: 'dispute', team: dispute.team, path: dispute.path, sha256: dispute.sha256 });
        deadlines[dispute.team!] = dispute.deadline;
      }
      context.log.event('workbooks written', { period: allocation.period, run_id: allocation.run_id, files: files.length });
      printResult(options.json === true, { run_id: allocation.run_id, period: allocation.period, files }, () =>
        [
          `run ${allocation.run_id} of ${allocation.period}:`,
          ...files.map((f) => `  ${f.kind === 'allocation' ? 'allocation' : `dispute (${f.team}, due ${deadlines[f.team!]})`}  ${f.path}`),
        ].join('\n'),
      );
    });
};

/** Dispute workbooks written so far: a bar on a terminal, a log line per step otherwise (cron, CI). */
function workbookProgress(context: CommandContext, total: number) {
  if (total === 0) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'dispute workbooks [{bar}] {value}/{total} | {step}', hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { step: 'starting' });
    return { update: (p: { written: number; step: string }) => bar.update(p.written, { step: p.step }), stop: () => bar.stop() };
  }
  return { update: (p: { written: number; total: number; step: string }) => context.log.info('dispute workbooks', { written: p.written, total: p.total, step: p.step }), stop: () => undefined };
}
