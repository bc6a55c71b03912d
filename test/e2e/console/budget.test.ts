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
  const entry = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map(
    (m) => m[1],
  );
  assert.ok(entry.length > 0, 'index.html loads scripts');
  // Everything the entry points import statically loads before the app starts; `import(…)` is lazy.
  const seen = new Set<string>();
  const queue = [...entry];
  let total = 0;
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(path.join(DIST, file));
    total += gzipSync(code, { level: 9 }).length;
    for (const m of code.toString('utf8').matchAll(/(?:\bfrom\s*|\bimport\s*)["']\.\/([^"']+\.js)["']/g))
      queue.push(m[1]);
  }
  const initial = [...seen];
  console.log(`console initial JS: ${(total / 1024).toFixed(1)} KB gzip in ${initial.length} files`);
  assert.ok(total <= BUDGET, `initial JS is ${(total / 1024).toFixed(1)} KB gzip, over the ${BUDGET / 1024} KB budget`);
});
