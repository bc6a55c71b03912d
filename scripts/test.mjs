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
// The admin console's unit tests run on Vitest (Angular's `ng test`), after the node tests: on a
// full run, or when a filter names admin-ui.
const consoleUnit = !filters.length || filters.some((x) => x.startsWith('admin-ui'));
// The example plugin's suite also runs under Jest (the testing kit works under both runners; issue
// 19): on a full run, or when a filter names plugins/example.
const jestSuites = ['plugins/example'].filter((dir) => !filters.length || filters.some((x) => x.startsWith(dir)));
if (!selected.length && !consoleUnit && !jestSuites.length) {
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
function run(cmd, cmdArgs, options) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { stdio: 'inherit', ...options });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
let code = selected.length ? await run(process.execPath, args, { env: { ...process.env, NODE_ENV: 'test' } }) : 0;
for (const dir of jestSuites) {
  console.log(`\n== ${dir} under Jest`);
  code =
    (await run(process.execPath, [path.resolve('node_modules/jest/bin/jest.js'), '-c', 'jest.config.js', '--ci'], {
      cwd: dir,
      env: { ...process.env, NODE_ENV: 'test' },
    })) || code;
}
if (consoleUnit) {
  const ng = path.join('admin-ui', 'node_modules', '.bin', 'ng');
  const bin = statSync(ng, { throwIfNoEntry: false }) ? ng : path.join('node_modules', '.bin', 'ng');
  console.log('\n== admin-ui unit tests (Vitest via ng test)');
  code =
    (await run(path.resolve(bin), ['test', '--watch=false'], {
      cwd: 'admin-ui',
      env: { ...process.env, NODE_ENV: 'test', NG_CLI_ANALYTICS: 'false' },
    })) || code;
}
process.exit(code);
