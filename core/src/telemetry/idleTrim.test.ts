import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { startTestGateway } from '../testing/startTestGateway';
import { fullGc, startIdleTrim, youngGenerationBytes } from './idleTrim';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Allocation that survives a few scavenges: V8 grows the young generation, as a gateway's boot does. */
function growYoungGeneration(): void {
  let keep: object[] = [];
  for (let i = 0; i < 1e6; i++) {
    keep.push({ a: i, b: `x${i}` });
    if (keep.length > 1e5) keep = [];
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('idle trim', () => {
  it('obtains V8 full GC without --expose-gc on the command line and leaves the global alone', () => {
    const gc = fullGc();
    assert.equal(typeof gc, 'function');
    gc();
    // The test runner does not pass --expose-gc: the flag was only on while the context was made.
    if (!process.execArgv.includes('--expose-gc')) assert.equal((globalThis as { gc?: unknown }).gc, undefined);
  });

  it('gives the grown young generation back once the loop is idle, and re-arms after a busy spell', async () => {
    growYoungGeneration();
    assert.ok(youngGenerationBytes() > 8 * 1024 * 1024, `young generation grew (${youngGenerationBytes()} bytes)`);
    const real = fullGc();
    let calls = 0;
    // V8 shrinks only after ≥ 5 s of low allocation between GCs: an interval just above that.
    const trim = startIdleTrim({ intervalMs: 5200, gc: (options) => (calls++, real(options)) });
    try {
      assert.equal(calls, 1, 'one GC at start (the boot garbage)');
      await until('the trim', () => trim.trims === 1);
      assert.ok(youngGenerationBytes() <= 4 * 1024 * 1024, `trimmed to ${youngGenerationBytes()} bytes`);
      const after = trim.collections;
      // Idle and trimmed: no more GCs.
      await sleep(5600);
      assert.equal(trim.collections, after, 'no GC while idle once trimmed');
      // A busy interval that grows the young generation again (the loop held for 2 s of the 5.2)
      // re-arms it; the next idle one collects again.
      const end = Date.now() + 2000;
      while (Date.now() < end) growYoungGeneration();
      await until('a GC after the busy spell', () => trim.collections > after);
      assert.equal(calls, trim.collections);
    } finally {
      trim.stop();
    }
  });

  it('collects a window after the loop went quiet, not at the next multiple of the interval', async () => {
    growYoungGeneration();
    const calls: number[] = [];
    const t0 = performance.now();
    // A 6 s window read every second; the loop is held for the first 0.9 s (a boot's busy tail).
    const trim = startIdleTrim({ intervalMs: 6000, gc: () => void calls.push(performance.now() - t0) });
    try {
      const end = Date.now() + 900;
      while (Date.now() < end);
      await until('an idle GC', () => calls.length > 1, 20_000);
      // Quiet from ~1 s: the window [1 s, 7 s] is idle. Fixed 6 s intervals would wait for [6 s, 12 s].
      assert.ok(calls[1] >= 6000 && calls[1] < 10_000, `idle GC at ${Math.round(calls[1])} ms`);
    } finally {
      trim.stop();
    }
  });

  it('runs no idle GC while the used heap is over maxHeapBytes (a long pause would hit the next request)', async () => {
    growYoungGeneration();
    let calls = 0;
    const trim = startIdleTrim({ intervalMs: 100, maxHeapBytes: 1, gc: () => void calls++ });
    try {
      await sleep(600);
      assert.equal(calls, 1, 'only the GC at start');
    } finally {
      trim.stop();
    }
    const trimming = startIdleTrim({ intervalMs: 100, gc: () => void calls++ });
    try {
      // Node 20: ≥ 5.2 s after the last GC (V8's allocation-rate window).
      await until('an idle GC under the default limit', () => calls > 2, 10_000);
    } finally {
      trimming.stop();
    }
  });

  it('runs in a started gateway (server.idleTrimIntervalMs) and the gateway still serves', async () => {
    growYoungGeneration();
    assert.ok(youngGenerationBytes() > 8 * 1024 * 1024, `young generation grew (${youngGenerationBytes()} bytes)`);
    const gw = await startTestGateway({ config: { server: { idleTrimIntervalMs: 5200 } } });
    try {
      await until('the gateway to give the young generation back', () => youngGenerationBytes() <= 4 * 1024 * 1024);
      // Still answering after the GCs (no route here: the gateway's own 404).
      const res = await gw.fetch('/v1/no-such-route');
      assert.equal(res.status, 404);
    } finally {
      await gw.stop();
    }
  });
});
