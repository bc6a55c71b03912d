import { setFlagsFromString } from 'node:v8';

/**
 * Bounds how far V8 lets the old generation grow past its live data before a full GC
 * (`server.heapGrowthPercent`, issue 20: RSS ≤ 200 MB steady at 50 connections).
 *
 * Why: under load a gateway promotes a few KB per request of objects that die soon after (usage
 * batches in flight, trace batches, sockets' buffers): old space fills with garbage that only a
 * full GC frees. V8 sets the next full GC's limit at live × a factor it derives from how fast GC is
 * against the mutator; a fast GC on a lightly-live heap gets a large factor, so on Node 24 the old
 * space of a saturated gateway (~50–70 MB live) climbed to ~190–210 MB before its first full GC,
 * and steady RSS to ~435 MB. A fixed factor of 1 + percent / 100 keeps it near live × that factor.
 *
 * How: V8's `--heap-growing-percent`, set with `v8.setFlagsFromString` at start. V8 reads the flag
 * each time it computes a limit, so setting it after the heap exists takes effect from the next full
 * GC (checked on Node 20 and 24: `heapGrowth.test.ts`). A value given on the command line or in
 * NODE_OPTIONS wins: the operator's explicit choice is kept.
 *
 * 0 restores V8's own dynamic factor.
 *
 * @returns the percent applied, or `command-line` when the operator's flag was left in place.
 */
export function applyHeapGrowth(
  percent: number,
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): number | 'command-line' {
  const flag = /(^|\s)--heap[-_]growing[-_]percent\b/;
  if (execArgv.some((a) => flag.test(a)) || flag.test(nodeOptions)) return 'command-line';
  const applied = Math.max(0, Math.trunc(percent));
  setFlagsFromString(`--heap-growing-percent=${applied}`);
  return applied;
}
