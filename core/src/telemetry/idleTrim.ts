import { PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives memory back when the process goes idle (issue 20: RSS ≤ 120 MB idle).
 *
 * Why: V8 grows the young generation (up to 2 × `--max-semi-space-size`, 64 MB with the production
 * flag) while allocation survives — during boot, and under load — and only shrinks it in a full GC
 * that sees a low allocation rate (< 1 MB/s over the last 5 s). An idle gateway runs no full GC,
 * so the grown and empty young generation stayed resident (~40 MB of the ~167 MB idle RSS); on
 * Node 24 even a shrunk one's pages stay pooled, resident, until a memory-reducing GC.
 *
 * How: one full GC at start (the boot's garbage), then an unref'd timer reads the event-loop
 * utilisation about once a second; once the loop has been idle (below `idleUtilization`) over the
 * last `intervalMs` — a window that slides with the ticks, so a boot's busy tail delays the trim by
 * its own length, not by a whole interval — it runs one full GC, until the young generation is back
 * at its floor (a few tries at most, each after a fresh idle window: Node 20's V8 shrinks only when
 * the 5 s before the GC allocated little); it re-arms once the loop has been busy. No work on the
 * request path; the GC (tens of ms at this heap size) only runs when the loop was idle for a whole
 * window, and stops once trimmed.
 */
export interface IdleTrimOptions {
  /**
   * How long (ms) the loop must have been idle before a GC: the utilisation is read every
   * `intervalMs / ceil(intervalMs / 1000)` ms (about once a second) and summed over this window.
   * Keep it ≥ 5,000 for Node 20, whose V8 shrinks only after 5 s of low allocation.
   */
  intervalMs: number;
  /** Event-loop utilisation (0–1) below which an interval counts as idle. Default 0.05. */
  idleUtilization?: number;
  /**
   * Used heap (bytes) above which no idle GC runs: a full GC's pause grows with the live heap, and a
   * request arriving during it waits. Default 192 MB (a pause of tens of ms below it, measured ~20–50 ms at 60–80 MB).
   */
  maxHeapBytes?: number;
  /** The full-GC function (tests); default: V8's, obtained without `--expose-gc` on the command line. */
  gc?: GcFunction;
}

export interface IdleTrim {
  /** Full GCs run so far (for tests and the log). */
  readonly collections: number;
  /** Times the young generation was found back at its floor after a GC. */
  readonly trims: number;
  stop(): void;
}

/** Young-generation committed size (bytes) at or below which there is nothing left to trim. */
const YOUNG_FLOOR = 4 * 1024 * 1024;
const LAST_RESORT = { type: 'major', execution: 'sync', flavor: 'last-resort' } as const;
/** Idle GCs tried after a busy spell before giving up until the next one. */
const MAX_ATTEMPTS = 3;
/**
 * Whether V8 honours the `last-resort` flavor (V8 12+, Node 22+). Before, a full GC shrinks the young
 * generation only if allocation over the last {@link RATE_WINDOW_MS} — measured back from the
 * previous GC, V8's own included — was low, so the trim waits that long after any GC.
 */
const LAST_RESORT_HONOURED = Number(process.versions.v8.split('.')[0]) >= 12;
/** V8's allocation-rate window (GCTracer's kThroughputTimeFrameMs, 5 s), plus a margin. */
const RATE_WINDOW_MS = 5_200;

/** Committed bytes of V8's young generation. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/** V8's `gc()` (the `--expose-gc` extension); the options are read by V8 12+ (Node 22+), ignored before. */
export type GcFunction = (options?: {
  type?: 'major' | 'minor';
  execution?: 'sync' | 'async';
  flavor?: 'regular' | 'last-resort';
}) => void;

/**
 * V8's full-GC function. `--expose-gc` given on the command line puts it on globalThis; otherwise
 * the flag is set for a moment so a fresh vm context is created with it, then unset again (it only
 * affects contexts created while it is on; the main context never sees `gc`).
 */
export function fullGc(): GcFunction {
  const existing = (globalThis as { gc?: GcFunction }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as GcFunction;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Starts the idle trim (see the module comment). */
export function startIdleTrim(options: IdleTrimOptions): IdleTrim {
  const threshold = options.idleUtilization ?? 0.05;
  const maxHeap = options.maxHeapBytes ?? 192 * 1024 * 1024;
  const gc = options.gc ?? fullGc();
  // The window is `ticks` readings of the loop's utilisation: one a second (at most), so the trim
  // lands a window after the loop went quiet, not at the next multiple of the interval.
  const ticks = Math.max(1, Math.ceil(options.intervalMs / 1000));
  const active: number[] = [];
  const elapsed: number[] = [];
  let last = performance.eventLoopUtilization();
  // When V8's last GC ended (ours or its own), where the flavor is not honoured (see RATE_WINDOW_MS).
  let lastGcEnd = performance.now();
  let observer: PerformanceObserver | undefined;
  if (!LAST_RESORT_HONOURED) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) lastGcEnd = Math.max(lastGcEnd, e.startTime + e.duration);
    });
    observer.observe({ entryTypes: ['gc'] });
  }
  // Attempts left: the young generation may be grown (after boot, and after every busy window).
  // V8 shrinks it only in a GC that follows ≥ 5 s of low allocation, so the first idle GC after a
  // busy spell may not; a floor raised by flags (--min-semi-space-size) never gets there: bounded.
  let attempts = MAX_ATTEMPTS;
  let collections = 0;
  let trims = 0;
  const collect = () => {
    // Last resort (V8 12+, Node 24): shrinks the young generation whatever the allocation rate and
    // releases the pooled pages to the OS; without it Node 24's RSS stays put after the shrink.
    // Node 20's V8 ignores the flavor: a full GC, which shrinks once the rate was low for 5 s.
    gc(LAST_RESORT);
    collections++;
    attempts--;
    if (youngGenerationBytes() <= YOUNG_FLOOR) {
      attempts = 0;
      trims++;
    }
    // A fresh window after each GC: our own pause is not the loop being busy, and V8 needs 5 s of
    // low allocation after a GC before the next one can shrink (Node 20).
    active.length = 0;
    elapsed.length = 0;
    last = performance.eventLoopUtilization();
    lastGcEnd = performance.now();
  };
  // Boot's garbage now: this GC starts V8's allocation-rate window, so the first idle window's
  // GC can already shrink (V8 measures the rate between GCs).
  collect();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    active.push(delta.active);
    elapsed.push(delta.active + delta.idle);
    if (active.length > ticks) {
      active.shift();
      elapsed.shift();
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    if (sum(active) / sum(elapsed) >= threshold) {
      attempts = MAX_ATTEMPTS;
      return;
    }
    // Idle, but not yet for a whole window (or, before V8 12, not yet 5 s after V8's last GC).
    if (active.length < ticks || (!LAST_RESORT_HONOURED && performance.now() - lastGcEnd < RATE_WINDOW_MS)) return;
    // Nothing to give back unless the young generation grew again (light traffic rarely grows it).
    if (attempts > 0 && youngGenerationBytes() > YOUNG_FLOOR && process.memoryUsage().heapUsed <= maxHeap) collect();
  }, options.intervalMs / ticks);
  timer.unref();
  return {
    get collections() {
      return collections;
    },
    get trims() {
      return trims;
    },
    stop: () => {
      clearInterval(timer);
      observer?.disconnect();
    },
  };
}
