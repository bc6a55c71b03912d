/** Time source; tests substitute a controllable clock instead of faking timers. */
export interface Clock {
  now(): number;
  /** Monotonic high-resolution milliseconds for durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
