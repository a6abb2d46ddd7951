import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.ts';
import { createCommandContext } from '../../src/command-context.ts';

// The reference (docs/reference/*.md) documents each command with its usage lines in code blocks:
// `recon ingest ledger FILE... [--format NAME] ...`. This test reads those lines and the real
// program's options, so the reference cannot drift from `--help`: every flag a usage line names
// exists on that command, and every flag of a command appears on one of its usage lines.

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCS = [path.join(ROOT, 'README.md'), ...fs.readdirSync(path.join(ROOT, 'docs/reference')).map((f) => path.join(ROOT, 'docs/reference', f))];

/** Every command of the program by its path (`ingest ledger`), with its long flags. */
function commandFlags(program: Command): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const walk = (command: Command, prefix: string[]) => {
    for (const sub of command.commands) {
      const name = [...prefix, sub.name()];
      if (sub.name() === 'help') continue;
      result.set(name.join(' '), new Set(sub.options.map((o) => o.long).filter((l): l is string => Boolean(l) && l !== '--help')));
      walk(sub, name);
    }
  };
  walk(program, []);
  return result;
}

/** Usage lines of code blocks: `recon <words>` followed by arguments and [--flags]. */
function usageLines(): Array<{ file: string; line: string }> {
  const lines: Array<{ file: string; line: string }> = [];
  for (const file of DOCS) {
    const text = fs.readFileSync(file, 'utf8');
    for (const block of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
      for (const line of block[1]!.split('\n')) if (/^recon [a-z]/.test(line.trim())) lines.push({ file: path.relative(ROOT, file), line: line.trim() });
    }
  }
  return lines;
}

test('every flag named on a usage line of the reference exists on that command, and every flag of a command is on one of its usage lines', async () => {
  const flags = commandFlags(await buildProgram(createCommandContext()));
  const documented = new Map<string, Set<string>>();
  const unknown: string[] = [];
  for (const { file, line } of usageLines()) {
    const words = line.replace(/#.*$/, '').split(/\s+/).slice(1);
    // the longest command path the line starts with (`ingest ledger` before `ingest`)
    let commandPath: string | undefined;
    for (let n = Math.min(3, words.length); n > 0; n--) {
      const candidate = words.slice(0, n).join(' ');
      if (flags.has(candidate)) {
        commandPath = candidate;
        break;
      }
    }
    if (!commandPath) continue;
    for (const flag of line.replace(/#.*$/, '').match(/--[a-z][a-z0-9-]*/g) ?? []) {
      if (!flags.get(commandPath)!.has(flag)) unknown.push(`${file}: recon ${commandPath} has no ${flag} (${line})`);
      if (!documented.has(commandPath)) documented.set(commandPath, new Set());
      documented.get(commandPath)!.add(flag);
    }
    if (!documented.has(commandPath)) documented.set(commandPath, new Set());
  }
  assert.deepEqual(unknown, [], 'usage lines name flags the commands do not have');
  const missing: string[] = [];
  for (const [commandPath, own] of flags) {
    if (!documented.has(commandPath)) {
      if (own.size > 0 || ![...flags.keys()].some((k) => k.startsWith(commandPath + ' '))) missing.push(`recon ${commandPath}: no usage line`);
      continue;
    }
    for (const flag of own) if (!documented.get(commandPath)!.has(flag)) missing.push(`recon ${commandPath} ${flag}`);
  }
  assert.deepEqual(missing, [], 'commands and flags with no usage line in README.md or docs/reference/');
});
