#!/usr/bin/env node
// Compiles src/ and jobs/ to dist/ (run by `npm ci` / `npm install` through `prepare`, or `npm run build`).
// bin/recon.js runs dist/ when it is newer than every source file, else the sources through tsx, so
// commands start without compiling TypeScript (README: "Fast commands"). A type error does not stop
// the install: tsc still writes the JavaScript, and `npm run typecheck` is where type errors are
// reported; the stamp is written only when tsc wrote its output.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  console.error('build: typescript is not installed (npm ci installs it); recon will run from the sources through tsx');
  process.exit(0);
}
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (fs.existsSync(path.join(root, 'dist', 'src', 'cli.js'))) {
  // the top-level help, from the real registration, so `recon --help` need not load every command (src/cli.ts)
  const help = spawnSync(process.execPath, [path.join(root, 'dist', 'src', 'cli.js'), '--help'], { cwd: root, env: { ...process.env, RECON_NO_HELP_CACHE: '1' }, encoding: 'utf8' });
  if (help.status === 0 && help.stdout.includes('Commands:')) fs.writeFileSync(path.join(root, 'dist', 'help.txt'), help.stdout);
  fs.writeFileSync(path.join(root, 'dist', '.built'), new Date().toISOString() + '\n');
  if (result.status !== 0) console.error('build: tsc reported type errors (above); the JavaScript was written anyway. Run `npm run typecheck`.');
} else {
  console.error('build: tsc wrote no output; recon will run from the sources through tsx');
}
process.exit(0);
