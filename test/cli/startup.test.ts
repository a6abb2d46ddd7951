import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildProgram, COMMAND_MODULES, programFor } from '../../src/cli.ts';
import { createCommandContext } from '../../src/command-context.ts';

// `recon <command>` loads only the module that registers <command> (src/cli.ts COMMAND_MODULES),
// and the compiled `recon --help` prints the help the build wrote from the real registration.
// These tests tie both shortcuts to the whole program, so neither can drift from it.

const ROOT = path.resolve(import.meta.dirname, '../..');
const context = () => createCommandContext();

test('every top-level command is in COMMAND_MODULES, under the module that registers it', async () => {
  const all = (await buildProgram(context())).commands.map((c) => c.name()).filter((name) => name !== 'migrate').sort();
  const mapped = COMMAND_MODULES.flatMap((m) => m.commands).sort();
  assert.deepEqual(mapped, all);
  for (const module of COMMAND_MODULES) {
    const program = await programFor([module.commands[0]!, '--help'], context());
    const names = program.commands.map((c) => c.name()).filter((name) => name !== 'migrate').sort();
    assert.deepEqual(names, [...module.commands].sort(), `the module of ${module.commands[0]} registers exactly its commands`);
  }
});

test('a command\'s own help comes from its module alone, with the same text as in the whole program', async () => {
  const lone = (await programFor(['runs', '--help'], context())).commands.find((c) => c.name() === 'runs')!;
  const whole = (await buildProgram(context())).commands.find((c) => c.name() === 'runs')!;
  assert.equal(lone.helpInformation(), whole.helpInformation());
});

test('the compiled top-level help, when built, is the whole program\'s help', { skip: !fs.existsSync(path.join(ROOT, 'dist', 'help.txt')) && 'no build (npm run build)' }, () => {
  const cached = fs.readFileSync(path.join(ROOT, 'dist', 'help.txt'), 'utf8');
  const fresh = spawnSync(process.execPath, [path.join(ROOT, 'bin/recon.js'), '--help'], { env: { ...process.env, RECON_FROM_SOURCE: '1', RECON_NO_HELP_CACHE: '1' }, encoding: 'utf8' });
  assert.equal(fresh.status, 0, fresh.stderr);
  // a stale build is never run (bin/recon.js), so only a fresh one's text must match the sources
  const built = fs.statSync(path.join(ROOT, 'dist', '.built')).mtimeMs;
  const newest = Math.max(...['src', 'jobs'].flatMap((dir) => fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs)));
  if (newest <= built) assert.equal(cached, fresh.stdout);
});
