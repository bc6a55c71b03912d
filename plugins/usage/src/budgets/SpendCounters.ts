import type { Store as KeyValueStore } from '../types';
import type { UsageRow } from '../records';
import { PERIODS, periodOf, type Period } from '../time';
import type { BudgetLevel } from './types';

/** Counters outlive their period by a day, so a record that arrives late still finds its counter. */
const GRACE_MS = 86_400_000;

export interface SpendKey {
  level: BudgetLevel;
  tenantId: string;
  targetId: string;
  period: Period;
  periodKey: string;
}

/**
 * Spend per budget and period in the key/value store (Redis or memory): what the request path reads
 * to enforce hard limits in one MGET. The database is the truth; these are incremented as usage is
 * written and reset from the database by the reconciler.
 */
export class SpendCounters {
  constructor(private readonly store: KeyValueStore) {}

  static key(k: SpendKey): string {
    return `spend:${k.level}:${k.tenantId}:${k.targetId}:${k.period === 'daily' ? 'd' : 'm'}:${k.periodKey}`;
  }

  static ttlMs(period: Period, periodKeyMs: number, now: number): number {
    return Math.max(60_000, periodOf(period, periodKeyMs).end - now + GRACE_MS);
  }

  /** The spend keys a row counts towards: tenant, team and key × daily and monthly. */
  static keysOf(row: UsageRow): SpendKey[] {
    if (!row.tenantId) return [];
    const out: SpendKey[] = [];
    for (const period of PERIODS) {
      const periodKey = periodOf(period, row.createdMs).key;
      out.push({ level: 'tenant', tenantId: row.tenantId, targetId: row.tenantId, period, periodKey });
      if (row.teamId) out.push({ level: 'team', tenantId: row.tenantId, targetId: row.teamId, period, periodKey });
      if (row.keyId) out.push({ level: 'key', tenantId: row.tenantId, targetId: row.keyId, period, periodKey });
    }
    return out;
  }

  /**
   * Adds cost deltas and returns each counter's new value. Increments go out together (one pipeline
   * on Redis), and only for non-zero deltas.
   */
  async add(
    deltas: Map<string, { key: SpendKey; micros: number; atMs: number }>,
    now: number,
  ): Promise<{ key: SpendKey; value: number; delta: number }[]> {
    const work = [...deltas.values()].filter((d) => d.micros !== 0);
    return Promise.all(
      work.map(async (d) => ({
        key: d.key,
        delta: d.micros,
        value: await this.store.incr(
          SpendCounters.key(d.key),
          d.micros,
          SpendCounters.ttlMs(d.key.period, d.atMs, now),
        ),
      })),
    );
  }

  async read(keys: string[]): Promise<number[]> {
    if (!keys.length) return [];
    const values = await this.store.mget(keys);
    return values.map((v) => (v === null ? 0 : Number(v) || 0));
  }

  async set(key: SpendKey, micros: number, atMs: number, now: number): Promise<void> {
    await this.store.set(SpendCounters.key(key), String(micros), { ttlMs: SpendCounters.ttlMs(key.period, atMs, now) });
  }
}

/** Sums the cost of rows per spend key (negative for removed rows). */
export function spendDeltas(
  entries: { row: UsageRow; sign: 1 | -1 }[],
): Map<string, { key: SpendKey; micros: number; atMs: number }> {
  const out = new Map<string, { key: SpendKey; micros: number; atMs: number }>();
  for (const { row, sign } of entries) {
    const cost = row.costMicros ?? 0;
    if (!cost) continue;
    for (const key of SpendCounters.keysOf(row)) {
      const id = SpendCounters.key(key);
      const cur = out.get(id);
      if (cur) cur.micros += sign * cost;
      else out.set(id, { key, micros: sign * cost, atMs: row.createdMs });
    }
  }
  return out;
}
