import type { PluginContext } from '@aihub/core/plugin-api';
import { UsageReader } from './api/UsageReader';
import { BudgetAlerts } from './budgets/BudgetAlerts';
import { BudgetOverrides } from './budgets/BudgetOverrides';
import { BudgetResolver } from './budgets/BudgetResolver';
import { Reconciler } from './budgets/Reconciler';
import { SpendCounters } from './budgets/SpendCounters';
import { SpendService } from './budgets/SpendService';
import { WebhookSender } from './budgets/webhook';
import type { UsageConfig } from './config';
import { createUsageMetrics } from './metrics';
import { Mutex } from './mutex';
import { createSql } from '@aihub/core/plugin-api';
import { UsageConsumer } from './UsageConsumer';
import { UsageWriter } from './writer/UsageWriter';

/** Everything the plugin builds once per gateway, wired together. */
export function createRuntime(ctx: PluginContext<UsageConfig>) {
  const cfg = ctx.config;
  const sql = createSql(ctx.database);
  const tables = {
    records: ctx.table('records'),
    daily: ctx.table('daily'),
    latency: ctx.table('latency'),
    answered: ctx.table('answered'),
    pending: ctx.table('pending'),
    budgets: ctx.table('budgets'),
    alerts: ctx.table('budget_alerts'),
    rejected: ctx.table('rejected'),
  };
  const metrics = createUsageMetrics(ctx, 'usage');
  const mutex = new Mutex();
  const counters = new SpendCounters(ctx.store);
  const overrides = new BudgetOverrides(sql, tables.budgets, ctx.store, ctx.logger);
  const resolver = new BudgetResolver(overrides, cfg.budgets.defaults);
  const webhook = new WebhookSender(cfg.budgets.webhook, sql, tables.alerts, ctx.logger, metrics);
  const alerts = new BudgetAlerts(sql, tables.alerts, webhook, ctx.logger, metrics);
  const spend = new SpendService(ctx, counters, resolver, alerts);
  const writer = new UsageWriter(sql, tables);
  const consumer = new UsageConsumer(ctx, writer, spend, mutex, metrics);
  const reconciler = new Reconciler(sql, tables.daily, ctx.store, counters, mutex, ctx.logger, metrics, () =>
    ctx.clock.now(),
  );
  const reader = new UsageReader(sql, tables);
  return {
    sql,
    tables,
    metrics,
    mutex,
    counters,
    overrides,
    resolver,
    webhook,
    alerts,
    spend,
    writer,
    consumer,
    reconciler,
    reader,
  };
}

export type UsageRuntime = ReturnType<typeof createRuntime>;
