import type { Counter } from 'prom-client';
import type { PluginMeter } from '@aihub/core/plugin-api';
import type { Dimension, Level } from './resolve';

export type Outcome = 'allowed' | 'limited' | 'error_open' | 'error_closed';

/**
 * The plugin's metrics. Labels are bounded (outcome × level × dimension = 4 × 7 × 3); tenant, key
 * and user ids never become labels. Label children are cached so a decision costs no label hashing.
 */
export class RateLimitMetrics {
  private readonly decisions: Counter<'outcome' | 'level' | 'dimension'>;
  readonly storeErrors: Counter<'operation'>;
  private readonly children = new Map<string, { inc(): void }>();

  constructor(meter: PluginMeter) {
    this.decisions = meter.counter(
      'ratelimit_decisions_total',
      'Rate-limit decisions per checked dimension, by outcome and the level of the policy that decided',
      ['outcome', 'level', 'dimension'] as const,
    );
    this.storeErrors = meter.counter(
      'ratelimit_store_errors_total',
      'Rate-limit store (Redis) calls that failed, by operation',
      ['operation'] as const,
    );
  }

  decision(outcome: Outcome, level: Level, dimension: Dimension): void {
    const id = `${outcome}|${level}|${dimension}`;
    let child = this.children.get(id);
    if (child === undefined) {
      child = this.decisions.labels({ outcome, level, dimension });
      this.children.set(id, child);
    }
    child.inc();
  }
}
