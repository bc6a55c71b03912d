import type { StoredEntry } from './entry';

/**
 * One in-process call that concurrent identical misses wait for. The leader settles it with the
 * stored entry (or undefined when the answer was not cacheable); followers wait at most a deadline.
 */
export class Flight {
  private settled = false;
  private entry: StoredEntry | undefined;
  private waiters: ((e: StoredEntry | undefined) => void)[] = [];

  settle(entry: StoredEntry | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.entry = entry;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(entry);
  }

  wait(ms: number): Promise<StoredEntry | undefined> {
    if (this.settled) return Promise.resolve(this.entry);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      this.waiters.push((e) => {
        clearTimeout(timer);
        resolve(e);
      });
    });
  }
}

/** The flights of this process by cache key. */
export class Flights {
  private readonly flights = new Map<string, Flight>();

  get(key: string): Flight | undefined {
    return this.flights.get(key);
  }

  lead(key: string): Flight {
    const f = new Flight();
    this.flights.set(key, f);
    return f;
  }

  /** Settles the flight and forgets it (only if it is still the current one for the key). */
  finish(key: string, flight: Flight, entry: StoredEntry | undefined): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
    flight.settle(entry);
  }

  get size(): number {
    return this.flights.size;
  }
}
