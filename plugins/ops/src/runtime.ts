import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  AI_CONTROL,
  AUDIT_LOG,
  KEY_CONTROL,
  createSql,
  type GatewayContext,
  type PluginContext,
} from '@aihub/core/plugin-api';
import type { OpsConfig } from './config';
import { Engine } from './Engine';
import { EventLog } from './EventLog';
import { createOpsMetrics } from './metrics';
import { RuleStore } from './RuleStore';
import { Sampler } from './signals/Sampler';
import { Signals } from './signals/Signals';

/** Everything the plugin builds at start. */
export class OpsRuntime {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly rules: RuleStore;
  readonly events: EventLog;
  readonly sampler: Sampler;
  readonly signals: Signals;
  readonly engine: Engine;

  constructor(readonly ctx: PluginContext<OpsConfig>) {
    const sql = createSql(ctx.database);
    const metrics = createOpsMetrics(ctx.meter);
    this.rules = new RuleStore(sql, ctx.table('rules'), ctx.config.rules);
    this.events = new EventLog(sql, ctx.table('events'));
    this.sampler = new Sampler(this.id, ctx.meter, ctx.store, ctx.logger, ctx.config.sampleIntervalMs);
    // The usage plugin's tables, read-only, when it is loaded (its ai and usage metrics likewise).
    const usage = this.usageLoaded() ? { usageRecords: 'usage_records', budgetAlerts: 'usage_budget_alerts' } : {};
    this.signals = new Signals(this.sampler, sql, usage, ctx.health, ctx.config, () => Date.now());
    this.engine = new Engine({
      id: this.id,
      config: ctx.config,
      store: ctx.store,
      rules: this.rules,
      signals: this.signals,
      events: this.events,
      metrics,
      logger: ctx.logger,
      http: ctx.http,
      ai: () => this.ai(),
      keys: () => ctx.tryGet(KEY_CONTROL),
    });
  }

  private usageLoaded(): boolean {
    return this.ctx.coreConfig.plugins.some((p) => p.name === 'usage' && p.enabled !== false);
  }

  ai() {
    return this.ctx.tryGet(AI_CONTROL);
  }

  async audit(c: GatewayContext, action: string, name: string, before: unknown, after: unknown): Promise<void> {
    await this.ctx
      .tryGet(AUDIT_LOG)
      ?.record(c, { tenantId: null, action, targetType: action.split('.')[0], targetId: name, before, after });
  }

  async start(): Promise<void> {
    await this.sampler.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    await this.sampler.stop();
  }
}
