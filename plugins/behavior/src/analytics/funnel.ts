import type { ScannedEvent } from './scan';

export interface FunnelAccumulator {
  /** users[k]: users who completed steps 0..k in order within the window. */
  users: number[];
  /** Time from step k-1 to step k for the users who reached k (ms). */
  gaps: number[][];
}

export function newFunnel(steps: number): FunnelAccumulator {
  return { users: new Array<number>(steps).fill(0), gaps: Array.from({ length: steps }, () => []) };
}

/**
 * One user's path through the funnel: the deepest ordered sequence step0 ≤ step1 ≤ … with every step
 * within `windowMs` of the step-0 event, where step 0 lies in [from, to). Each step-0 occurrence is
 * tried as a start and steps are matched greedily (earliest next step), which finds the deepest path.
 */
export function addUser(
  acc: FunnelAccumulator,
  events: ScannedEvent[],
  steps: string[],
  windowMs: number,
  from: number,
  to: number,
): void {
  let best = -1;
  let bestTimes: number[] = [];
  for (let s = 0; s < events.length && best < steps.length - 1; s++) {
    const start = events[s];
    if (start.event !== steps[0] || start.ts < from || start.ts >= to) continue;
    const times = [start.ts];
    let k = 1;
    for (let i = s + 1; i < events.length && k < steps.length; i++) {
      const e = events[i];
      if (e.ts - start.ts > windowMs) break;
      if (e.event === steps[k]) {
        times.push(e.ts);
        k++;
      }
    }
    if (k - 1 > best) {
      best = k - 1;
      bestTimes = times;
    }
  }
  for (let k = 0; k <= best; k++) {
    acc.users[k]++;
    if (k > 0) acc.gaps[k].push(bestTimes[k] - bestTimes[k - 1]);
  }
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
}

export function funnelResult(acc: FunnelAccumulator, steps: string[]) {
  const start = acc.users[0] ?? 0;
  return steps.map((event, k) => ({
    step: k + 1,
    event,
    users: acc.users[k],
    conversion_from_previous: k === 0 ? (start ? 1 : 0) : acc.users[k - 1] ? round(acc.users[k] / acc.users[k - 1]) : 0,
    conversion_from_start: start ? round(acc.users[k] / start) : 0,
    drop_off: k === 0 ? 0 : acc.users[k - 1] - acc.users[k],
    median_time_from_previous_ms: k === 0 ? null : median(acc.gaps[k]),
    avg_time_from_previous_ms:
      k === 0 || !acc.gaps[k].length ? null : Math.round(acc.gaps[k].reduce((a, b) => a + b, 0) / acc.gaps[k].length),
  }));
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;
