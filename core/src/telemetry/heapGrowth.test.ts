import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { applyHeapGrowth } from './heapGrowth';

/**
 * A child process keeps ~90 MB live and churns objects that live long enough to be promoted (a
 * sliding window), as a loaded gateway does, and reports the largest old space V8 committed. With
 * the growth bounded at start, old space must stay near live × 1.5 once the first full GC has set
 * the limit; V8's own factor lets the same program grow further.
 */
const CHURN = `
const v8 = require('node:v8');
const percent = Number(process.argv[1]); // NaN: V8's own factor
if (percent >= 0) v8.setFlagsFromString('--heap-growing-percent=' + percent);
const live = [];
for (let i = 0; i < 400000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
let window = [];
let maxOld = 0;
let round = 0;
let lastUsed = 0;
let collected = false;
// One batch per event-loop turn, as a server allocates: V8 finishes its concurrent marking in tasks
// run between turns (a synchronous loop would measure something no server does).
(function turn() {
  for (let i = 0; i < 20000; i++) window.push({ a: i, b: 'y' + i, c: [i, i] });
  if (window.length > 200000) window = window.slice(100000);
  const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  // Only after the first full GC (used space dropped): before it, V8's initial limit applies.
  if (old.space_used_size < lastUsed) collected = true;
  lastUsed = old.space_used_size;
  if (collected) maxOld = Math.max(maxOld, old.space_size);
  if (++round < 300) setImmediate(turn);
  else process.stdout.write(String(Math.round(maxOld / 1e6)) + ' ' + live.length);
})();
`;

function maxOldSpaceMb(percent: number): number {
  const out = execFileSync(process.execPath, ['--max-semi-space-size=16', '-e', CHURN, String(percent)], {
    encoding: 'utf8',
  });
  return Number(out.split(' ')[0]);
}

describe('applyHeapGrowth', () => {
  it('sets the flag unless the operator gave it on the command line or in NODE_OPTIONS', () => {
    assert.equal(applyHeapGrowth(50, ['--max-semi-space-size=32'], ''), 50);
    assert.equal(applyHeapGrowth(50, ['--heap-growing-percent=20'], ''), 'command-line');
    assert.equal(applyHeapGrowth(50, ['--heap_growing_percent=20'], ''), 'command-line');
    assert.equal(applyHeapGrowth(50, [], '--max-semi-space-size=32 --heap-growing-percent=20'), 'command-line');
    assert.equal(applyHeapGrowth(0, [], ''), 0, '0 restores V8 own factor');
    assert.equal(applyHeapGrowth(37.9, [], ''), 37);
  });

  it('set at run time, bounds the old generation of a process that promotes short-lived objects', () => {
    const bounded = maxOldSpaceMb(50);
    // Live ~85–95 MB after a full GC (the base, the window, their arrays) × 1.5 is ~140 MB; a busy
    // machine starves concurrent marking and lets it overshoot a little (150 MB seen at load 9).
    assert.ok(bounded > 0 && bounded < 200, `old space reached ${bounded} MB with 50 %`);
    const dynamic = maxOldSpaceMb(Number.NaN);
    assert.ok(
      dynamic > bounded,
      `V8's own factor (${dynamic} MB) should let it grow further than 50 % (${bounded} MB)`,
    );
  });
});
