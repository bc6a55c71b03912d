import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ensureConsoleBuilt } from './harness';

const DIST = path.resolve(__dirname, '..', '..', '..', 'admin-ui', 'dist', 'browser');
/** Issue 15: initial JavaScript ≤ 350 KB compressed. */
const BUDGET = 350 * 1024;

test('initial JavaScript of the console is within 350 KB gzip', () => {
  ensureConsoleBuilt();
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
  assert.ok(initial.length > 0, 'index.html loads scripts');
  let total = 0;
  for (const file of new Set(initial)) total += gzipSync(readFileSync(path.join(DIST, file)), { level: 9 }).length;
  console.log(`console initial JS: ${(total / 1024).toFixed(1)} KB gzip in ${new Set(initial).size} files`);
  assert.ok(total <= BUDGET, `initial JS is ${(total / 1024).toFixed(1)} KB gzip, over the ${BUDGET / 1024} KB budget`);
});
