import type { PluginContext, Sql } from '@aihub/core/plugin-api';
import type { OpsConfig } from '../config';
import type { SignalName } from '../rules';
import type { Sampler } from './Sampler';
import { merge, type StatsSnapshot } from './stats';
import { robustZ } from './spend';

/** One subject's value of a signal, with the sentence that explains it. */
export interface Observation {
  subject: string;
  value: number;
  /** Observations behind a ratio or percentile (null for counts and states). */
  samples: number | null;
  detail: string;
  /** For budget alerts on keys: the key's tenant (suspend_key needs it). */
  tenantId?: string;
}

export interface Tables {
  /** The usage plugin's tables, when it is loaded (read-only). */
  usageRecords?: string;
  budgetAlerts?: string;
}

/**
 * Reads the signals rules watch, once per evaluation, shared by every rule of that evaluation. The
 * deployment and alias figures come from every instance's published snapshots; spend and budget
 * alerts from the usage plugin's tables; health from the gateway's own checks.
 */
export class Signals {
  private snapshots?: Promise<StatsSnapshot[]>;
  private spend?: Promise<Observation[]>;
  private health?: Promise<Observation[]>;
  private budgetSince: string;
  private budget?: Promise<Observation[]>;

  constructor(
    private readonly sampler: Sampler,
    private readonly sql: Sql,
    private readonly tables: Tables,
    private readonly healthRegistry: PluginContext['health'],
    private readonly config: OpsConfig,
    private readonly now: () => number,
  ) {
    this.budgetSince = new Date(now()).toISOString();
  }

  /** Starts a new evaluation: figures are read again (once) on first use. */
  reset(): void {
    this.snapshots = undefined;
    this.spend = undefined;
    this.health = undefined;
    this.budget = undefined;
  }

  /** `since`: per subject, count only figures after this instant (see `merge`). */
  async read(signal: SignalName, windowSeconds: number, since?: ReadonlyMap<string, number>): Promise<Observation[]> {
    switch (signal) {
      case 'error_ratio':
      case 'latency_p95_ms':
      case 'ttft_p95_ms': {
        const snaps = await (this.snapshots ??= this.sampler.snapshots(this.now()));
        const { figures } = merge(
          snaps,
          signal === 'ttft_p95_ms' ? 'ttft' : 'dep',
          windowSeconds * 1000,
          this.now(),
          since,
        );
        const out: Observation[] = [];
        for (const [subject, f] of figures) {
          const value = signal === 'error_ratio' ? f.errorRatio : f.p95Ms;
          if (value === null) continue;
          const shown =
            signal === 'error_ratio'
              ? `${(value * 100).toFixed(1)}% of ${f.requests} upstream attempts failed`
              : `p95 ${Math.round(value)} ms over ${f.requests} ${signal === 'ttft_p95_ms' ? 'streams' : 'attempts'}`;
          out.push({
            subject,
            value,
            samples: f.requests,
            detail: `${shown} in the last ${windowSeconds}s (${snaps.length} instance${snaps.length === 1 ? '' : 's'})`,
          });
        }
        return out;
      }
      case 'breaker_open': {
        const snaps = await (this.snapshots ??= this.sampler.snapshots(this.now()));
        const open = new Map<string, number>();
        for (const s of snaps)
          for (const [dep, v] of Object.entries(s.breakers)) open.set(dep, (open.get(dep) ?? 0) + (v === 2 ? 1 : 0));
        return [...open].map(([subject, n]) => ({
          subject,
          value: n,
          samples: null,
          detail: `circuit breaker open on ${n} of ${snaps.length} instance${snaps.length === 1 ? '' : 's'}`,
        }));
      }
      case 'queue_lag': {
        const snaps = await (this.snapshots ??= this.sampler.snapshots(this.now()));
        const lags = snaps.map((s) => s.queueLag).filter((v): v is number => v !== null);
        if (!lags.length) return [];
        const lag = Math.max(...lags);
        return [
          { subject: 'usage', value: lag, samples: null, detail: `${lag} usage records published and not yet written` },
        ];
      }
      case 'health_failing':
        return (this.health ??= this.readHealth());
      case 'spend_anomaly':
        return (this.spend ??= this.readSpend());
      case 'budget_alert':
        return (this.budget ??= this.readBudgetAlerts());
    }
  }

  private async readHealth(): Promise<Observation[]> {
    const { checks } = await this.healthRegistry.run('readiness');
    return checks.map((c) => ({
      subject: c.name,
      value: c.ok ? 0 : 1,
      samples: null,
      detail: c.ok
        ? `health check ${c.name} passes`
        : `health check ${c.name} (${c.plugin}) fails: ${c.error ?? 'unhealthy'}`,
    }));
  }

  /** Hourly spend per tenant over the history plus the last hour, in one grouped query. */
  private async readSpend(): Promise<Observation[]> {
    const t = this.tables.usageRecords;
    if (!t) return [];
    const hours = this.config.spendAnomaly.historyHours;
    const now = this.now();
    const since = now - (hours + 1) * 3_600_000;
    const pg = this.sql.dialect === 'postgres';
    // Hours counted back from now: 0 is the last hour, 1..hours the history.
    const ago = pg
      ? `FLOOR(EXTRACT(EPOCH FROM ($2::timestamptz - created_at)) / 3600)`
      : `CAST((julianday($2) - julianday(created_at)) * 24 AS INTEGER)`;
    const rows = await this.sql.rows<{ tenant_id: string; ago: number | string; spent: number | string }>(
      `SELECT tenant_id, ${ago} AS ago, SUM(cost_micros) AS spent FROM ${t}
       WHERE created_at >= ${pg ? '$1::timestamptz' : '$1'} AND created_at <= ${pg ? '$2::timestamptz' : '$2'} AND tenant_id IS NOT NULL AND cost_micros IS NOT NULL AND status <> 'pending'
       GROUP BY tenant_id, ${ago}`,
      [new Date(since).toISOString(), new Date(now).toISOString()],
    );
    const byTenant = new Map<string, number[]>();
    for (const r of rows) {
      const h = Math.floor(Number(r.ago));
      if (h < 0 || h > hours) continue;
      let arr = byTenant.get(r.tenant_id);
      if (!arr) byTenant.set(r.tenant_id, (arr = new Array<number>(hours + 1).fill(0)));
      arr[h] += Number(r.spent);
    }
    const out: Observation[] = [];
    for (const [tenant, arr] of byTenant) {
      const last = arr[0];
      if (last < this.config.spendAnomaly.minSpendMicros) continue;
      const z = robustZ(last, arr.slice(1));
      out.push({
        subject: tenant,
        value: z,
        samples: hours,
        detail: `last hour's spend $${(last / 1e6).toFixed(2)} has a robust z-score of ${z.toFixed(1)} against its last ${hours} hours`,
      });
    }
    return out;
  }

  /** Budget alerts the usage plugin fired since the previous read (once each). */
  private async readBudgetAlerts(): Promise<Observation[]> {
    const t = this.tables.budgetAlerts;
    if (!t) return [];
    const pg = this.sql.dialect === 'postgres';
    const rows = await this.sql.rows<{
      tenant_id: string;
      level: string;
      target_id: string;
      kind: string;
      period: string;
      created_at: string | Date;
      limit_micros: number | string;
      spent_micros: number | string;
    }>(
      `SELECT tenant_id, level, target_id, kind, period, created_at, limit_micros, spent_micros FROM ${t} WHERE created_at > ${pg ? '$1::timestamptz' : '$1'} ORDER BY created_at LIMIT 1000`,
      [this.budgetSince],
    );
    if (rows.length) {
      const last = rows[rows.length - 1].created_at;
      this.budgetSince = last instanceof Date ? last.toISOString() : String(last);
    }
    return rows.map((r) => ({
      subject: r.level === 'tenant' ? r.tenant_id : r.target_id,
      tenantId: r.tenant_id,
      value: r.kind === 'hard' ? 2 : 1,
      samples: null,
      detail: `${r.kind} ${r.period} budget of ${r.level} ${r.target_id} reached: $${(Number(r.spent_micros) / 1e6).toFixed(2)} of $${(Number(r.limit_micros) / 1e6).toFixed(2)}`,
    }));
  }
}
