import type { UsageRow } from '../records';
import { utcDay } from '../time';
import { saturatingAdd } from './saturate';

/** The dimensions of a usage_daily row; '' stands for "none" so the unique key can match. */
export interface CubeKey {
  day: string;
  tenantId: string;
  teamId: string;
  keyId: string;
  model: string;
  provider: string;
}

/** Additive measures of a usage_daily row, in column order. */
export const MEASURES = [
  'requests',
  'success_requests',
  'error_requests',
  'cancelled_requests',
  'cache_hits',
  'stream_requests',
  'estimated_requests',
  'unpriced_requests',
  'breakdown_requests',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'total_tokens',
  'cost_micros',
  'input_cost_micros',
  'cached_cost_micros',
  'output_cost_micros',
  'latency_ms_sum',
] as const;
export type Measure = (typeof MEASURES)[number];

export const DIMENSIONS = ['day', 'tenant_id', 'team_id', 'key_id', 'model', 'provider'] as const;

export interface CubeDelta {
  key: CubeKey;
  values: number[];
}

function keyOf(row: UsageRow): CubeKey {
  return {
    day: utcDay(row.createdMs),
    tenantId: row.tenantId ?? '',
    teamId: row.teamId ?? '',
    keyId: row.keyId ?? '',
    model: row.model,
    provider: row.provider ?? '',
  };
}

/** What one row adds to its rollup, in MEASURES order. */
export function measuresOf(row: UsageRow): number[] {
  const hasBreakdown = row.inputCostMicros !== null || row.outputCostMicros !== null || row.cachedCostMicros !== null;
  return [
    1,
    row.status === 'success' ? 1 : 0,
    row.status === 'error' ? 1 : 0,
    row.status === 'cancelled' ? 1 : 0,
    row.cacheHit ? 1 : 0,
    row.stream ? 1 : 0,
    row.estimated ? 1 : 0,
    row.priced ? 0 : 1,
    hasBreakdown ? 1 : 0,
    row.promptTokens,
    row.completionTokens,
    row.cachedTokens,
    row.totalTokens,
    row.costMicros ?? 0,
    row.inputCostMicros ?? 0,
    row.cachedCostMicros ?? 0,
    row.outputCostMicros ?? 0,
    row.latencyMs,
  ];
}

/**
 * Sums rows into rollup deltas (sign -1 removes a row, for replaced interrupted rows). The result is
 * sorted by key so concurrent consumers on PostgreSQL lock rollup rows in the same order (no deadlock).
 */
export class CubeAccumulator {
  private readonly map = new Map<string, CubeDelta>();

  add(row: UsageRow, sign: 1 | -1 = 1): void {
    const key = keyOf(row);
    const id = `${key.day}\u0000${key.tenantId}\u0000${key.teamId}\u0000${key.keyId}\u0000${key.model}\u0000${key.provider}`;
    let delta = this.map.get(id);
    if (!delta) {
      delta = { key, values: new Array<number>(MEASURES.length).fill(0) };
      this.map.set(id, delta);
    }
    const m = measuresOf(row);
    // Saturating: a batch of capped records must not leave a delta past what the rollup holds.
    for (let i = 0; i < m.length; i++) delta.values[i] = saturatingAdd(delta.values[i], sign * m[i]);
  }

  get size(): number {
    return this.map.size;
  }

  sorted(): CubeDelta[] {
    return [...this.map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, d]) => d);
  }
}
