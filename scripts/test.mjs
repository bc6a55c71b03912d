#!/usr/bin/env node
// Runs every *.test.ts in the repo with Node's test runner on the TypeScript sources (tsx, and the
// `aihub-source` export condition so packages resolve to src/ without a build).
// Usage: node scripts/test.mjs [path-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const roots = ['core', 'plugins', 'observability', 'bench', 'test'];
const skip = new Set(['node_modules', 'dist', 'data', '.nx', 'results']);
const files = [];
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (name.endsWith('.test.ts')) files.push(full);
  }
}
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = files.filter((f) => !filters.length || filters.some((x) => f.includes(x))).sort();
if (!selected.length) {
  console.error('no test files matched');
  process.exit(1);
}
const args = [
  '--conditions=aihub-source',
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${process.env.AIHUB_TEST_CONCURRENCY ?? 2}`,
  `--test-timeout=${process.env.AIHUB_TEST_TIMEOUT ?? 180000}`,
  '--test-reporter=spec',
  ...selected,
];
const child = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
