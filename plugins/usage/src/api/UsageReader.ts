import { microsToUsd } from '../money';
import { num, type Dialect, type Sql } from '@aihub/core/plugin-api';
import { MEASURES } from '../writer/rollups';
import { saturatingSum } from '../writer/saturate';
import type { GroupDimension } from './schemas';

/** Rollup column per API dimension. */
const DIM_COLUMN: Record<GroupDimension, string> = {
  day: 'day',
  model: 'model',
  provider: 'provider',
  key: 'key_id',
  team: 'team_id',
};

export interface UsageFilter {
  tenantId: string;
  from: string;
  to: string;
  model?: string;
  provider?: string;
  keyId?: string;
  teamId?: string;
}

export interface UsageMetricsRow {
  requests: number;
  success_requests: number;
  error_requests: number;
  cancelled_requests: number;
  cache_hits: number;
  stream_requests: number;
  estimated_requests: number;
  unpriced_requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  total_tokens: number;
  cost_micros: number;
  cost_usd: string;
  avg_latency_ms: number | null;
}

/**
 * The select list of every measure's sum, each saturating at ROLLUP_MAX like the rollup rows
 * themselves (saturatingSum): a month of rows at the maximum reads as the maximum, where SQLite's SUM
 * raised "integer overflow" (a 500) and PostgreSQL's came back rounded past 2^53. The measures are
 * the daily rollup's own list (rollups.ts), so a new column is summed where it is written.
 */
const sums = (dialect: Dialect) => MEASURES.map((m) => `${saturatingSum(dialect, m)} AS ${m}`).join(', ');

export function metricsOf(r: Record<string, unknown>): UsageMetricsRow {
  const requests = num(r.requests);
  const cost = num(r.cost_micros);
  return {
    requests,
    success_requests: num(r.success_requests),
    error_requests: num(r.error_requests),
    cancelled_requests: num(r.cancelled_requests),
    cache_hits: num(r.cache_hits),
    stream_requests: num(r.stream_requests),
    estimated_requests: num(r.estimated_requests),
    unpriced_requests: num(r.unpriced_requests),
    prompt_tokens: num(r.prompt_tokens),
    completion_tokens: num(r.completion_tokens),
    cached_tokens: num(r.cached_tokens),
    total_tokens: num(r.total_tokens),
    cost_micros: cost,
    cost_usd: microsToUsd(cost),
    avg_latency_ms: requests ? Math.round(num(r.latency_ms_sum) / requests) : null,
  };
}

/** Reads the daily rollups (usage_daily): every total the API shows is a GROUP BY of it. */
export class UsageReader {
  constructor(
    private readonly sql: Sql,
    private readonly tables: { daily: string; records: string },
  ) {}

  private where(f: UsageFilter): { clause: string; bind: unknown[] } {
    const bind: unknown[] = [f.tenantId, f.from, f.to];
    const parts = ['tenant_id = $1', 'day >= $2', 'day <= $3'];
    const eq = (col: string, v: string | undefined) => {
      if (v === undefined) return;
      bind.push(v);
      parts.push(`${col} = $${bind.length}`);
    };
    eq('model', f.model);
    eq('provider', f.provider);
    eq('key_id', f.keyId);
    eq('team_id', f.teamId);
    return { clause: parts.join(' AND '), bind };
  }

  async totals(f: UsageFilter): Promise<Record<string, unknown>> {
    const w = this.where(f);
    const rows = await this.sql.rows(
      `SELECT ${sums(this.sql.dialect)} FROM ${this.tables.daily} WHERE ${w.clause}`,
      w.bind,
    );
    return rows[0] ?? {};
  }

  async grouped(f: UsageFilter, groupBy: GroupDimension[]): Promise<Record<string, unknown>[]> {
    const w = this.where(f);
    const cols = groupBy.map((d) => DIM_COLUMN[d]);
    return this.sql.rows(
      `SELECT ${cols.join(', ')}, ${sums(this.sql.dialect)} FROM ${this.tables.daily} WHERE ${w.clause} GROUP BY ${cols.join(', ')} ORDER BY ${cols.join(', ')}`,
      w.bind,
    );
  }

  /** Spend of one budget level over days [from, to], saturating at ROLLUP_MAX. */
  async spend(
    tenantId: string,
    level: 'tenant' | 'team' | 'key',
    targetId: string,
    from: string,
    to: string,
  ): Promise<number> {
    const bind: unknown[] = [tenantId, from, to];
    let extra = '';
    if (level !== 'tenant') {
      bind.push(targetId);
      extra = ` AND ${level === 'team' ? 'team_id' : 'key_id'} = $4`;
    }
    const rows = await this.sql.rows<{ c: unknown }>(
      `SELECT ${saturatingSum(this.sql.dialect, 'cost_micros')} AS c FROM ${this.tables.daily} WHERE tenant_id = $1 AND day >= $2 AND day <= $3${extra}`,
      bind,
    );
    return num(rows[0]?.c);
  }
}

export const DIMENSION_COLUMN = DIM_COLUMN;
