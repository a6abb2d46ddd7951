#!/usr/bin/env node
// Runs the compiled JavaScript in dist/ (built by `npm ci` through `prepare`, or `npm run build`)
// when it is at least as new as every TypeScript source; otherwise the sources through tsx, so an
// edited source is never run stale and a checkout without a build still works.
// RECON_FROM_SOURCE=1 always runs the sources.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function builtIsFresh() {
  if (process.env.RECON_FROM_SOURCE) return false;
  try {
    const built = fs.statSync(path.join(root, 'dist', '.built')).mtimeMs;
    return newestSource(path.join(root, 'src')) <= built && newestSource(path.join(root, 'jobs')) <= built;
  } catch {
    return false;
  }
}

if (builtIsFresh()) {
  await import(pathToFileURL(path.join(root, 'dist', 'src', 'cli.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
