import type { Dialect } from '@aihub/core/plugin-api';
import { isRefusal, type UsageRow } from '../records';
import { utcDay } from '../time';
import { daySql } from './histogram';
import { saturatingAdd, saturatingSum } from './saturate';

/**
 * The invoice rollup (usage_answered): per tenant, UTC day, requested model, model that answered and
 * provider, the measures an invoice shows. Invoices are by the answering model (that is what is
 * priced; an A/B alias over two models would otherwise show a blended price neither has), which the
 * daily cube (rollups.ts) does not carry. Kept by the writer in the same transaction as the records,
 * so a month's invoice sums at most ~31 × models rows instead of grouping a month of records.
 * Records without a tenant are never invoiced and are not kept here. '' stands for "no provider".
 */
export const ANSWERED_DIMENSIONS = ['tenant_id', 'day', 'model', 'answered_by', 'provider'] as const;

/** Additive measures, in column order. */
export const ANSWERED_MEASURES = [
  'requests',
  'cache_hits',
  'unpriced_requests',
  'breakdown_requests',
  'prompt_tokens',
  'cached_tokens',
  'completion_tokens',
  'total_tokens',
  'cost_micros',
  'input_cost_micros',
  'cached_cost_micros',
  'output_cost_micros',
] as const;

export interface AnsweredKey {
  tenantId: string;
  day: string;
  model: string;
  answeredBy: string;
  provider: string;
}

export interface AnsweredDelta {
  key: AnsweredKey;
  values: number[];
}

function measures(row: UsageRow): number[] {
  const breakdown = row.inputCostMicros !== null || row.cachedCostMicros !== null || row.outputCostMicros !== null;
  return [
    1,
    row.cacheHit ? 1 : 0,
    row.priced ? 0 : 1,
    breakdown ? 1 : 0,
    row.promptTokens,
    row.cachedTokens,
    row.completionTokens,
    row.totalTokens,
    row.costMicros ?? 0,
    row.inputCostMicros ?? 0,
    row.cachedCostMicros ?? 0,
    row.outputCostMicros ?? 0,
  ];
}

/** Sums rows into usage_answered deltas (sign -1 removes a replaced row). */
export class AnsweredAccumulator {
  private readonly map = new Map<string, AnsweredDelta>();

  add(row: UsageRow, sign: 1 | -1 = 1): void {
    // A request refused before routing is counted (explorer, error rates) but never invoiced.
    if (row.tenantId === null || isRefusal(row)) return;
    const key: AnsweredKey = {
      tenantId: row.tenantId,
      day: utcDay(row.createdMs),
      model: row.model,
      answeredBy: row.resolvedModel ?? row.model,
      provider: row.provider ?? '',
    };
    const id = `${key.tenantId}\u0000${key.day}\u0000${key.model}\u0000${key.answeredBy}\u0000${key.provider}`;
    let delta = this.map.get(id);
    if (!delta) {
      delta = { key, values: new Array<number>(ANSWERED_MEASURES.length).fill(0) };
      this.map.set(id, delta);
    }
    const m = measures(row);
    // Saturating: a batch of capped records must not leave a delta past what the rollup holds.
    for (let i = 0; i < m.length; i++) delta.values[i] = saturatingAdd(delta.values[i], sign * m[i]);
  }

  get size(): number {
    return this.map.size;
  }

  /** Sorted by key so concurrent writers on PostgreSQL lock rows in the same order (no deadlock). */
  sorted(): AnsweredDelta[] {
    return [...this.map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, d]) => d);
  }
}

/**
 * SQL for each measure over usage_records rows, in ANSWERED_MEASURES order (the same sums as
 * `measures`), saturating at ROLLUP_MAX as the writer does (saturatingSum): PostgreSQL's NUMERIC sum
 * is bounded before it goes into the BIGINT column; SQLite's SUM would raise "integer overflow".
 */
function measureSql(dialect: Dialect): string[] {
  const flag = (cond: string) => `SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
  const sum = (col: string) => saturatingSum(dialect, col);
  return [
    'COUNT(*)',
    flag('cache_hit'),
    flag('NOT priced'),
    flag('input_cost_micros IS NOT NULL OR cached_cost_micros IS NOT NULL OR output_cost_micros IS NOT NULL'),
    sum('prompt_tokens'),
    sum('cached_tokens'),
    sum('completion_tokens'),
    sum('total_tokens'),
    sum('cost_micros'),
    sum('input_cost_micros'),
    sum('cached_cost_micros'),
    sum('output_cost_micros'),
  ];
}

/**
 * Fills usage_answered from usage_records (the migration's backfill, and tools that load records in
 * bulk), for one tenant or all; the caller empties what it rebuilds. `run` executes a statement with
 * `$n` bind parameters.
 */
export async function rebuildAnswered(
  dialect: Dialect,
  run: (statement: string, bind: unknown[]) => Promise<unknown>,
  tables: { records: string; answered: string },
  tenantId?: string,
): Promise<void> {
  const day = daySql(dialect);
  const dims = ['tenant_id', day, 'model', 'COALESCE(resolved_model, model)', "COALESCE(provider, '')"];
  await run(
    `INSERT INTO ${tables.answered} (${[...ANSWERED_DIMENSIONS, ...ANSWERED_MEASURES].join(', ')})
     SELECT ${[...dims, ...measureSql(dialect)].join(', ')} FROM ${tables.records}
     WHERE tenant_id IS NOT NULL${tenantId === undefined ? '' : ' AND tenant_id = $1'}
     GROUP BY ${dims.join(', ')}`,
    tenantId === undefined ? [] : [tenantId],
  );
}
