import type { PluginContext } from '@aihub/core/plugin-api';
import { Analytics } from './analytics/Analytics';
import { readSql } from './analytics/readSql';
import type { BehaviorConfig } from './config';
import { EventConsumer } from './consumer/EventConsumer';
import { EventWriter } from './consumer/EventWriter';
import { createBehaviorMetrics } from './metrics';
import { TenantKeys } from './privacy/TenantKeys';
import { RetentionJob } from './RetentionJob';
import { createSql } from '@aihub/core/plugin-api';
import { TenantSettingsCache } from './TenantSettingsCache';

/** The plugin's objects, wired once per gateway (no I/O until start). */
export function createRuntime(ctx: PluginContext<BehaviorConfig>) {
  const sql = createSql(ctx.database);
  const tables = {
    events: ctx.table('events'),
    profiles: ctx.table('profiles'),
    deleted: ctx.table('deleted_users'),
    tenants: ctx.table('tenants'),
    keys: ctx.table('tenant_keys'),
    daily: ctx.table('daily_users'),
    totals: ctx.table('daily_totals'),
    gaps: ctx.table('daily_gaps'),
    months: ctx.table('user_months'),
  };
  const metrics = createBehaviorMetrics(ctx);
  const settings = new TenantSettingsCache(ctx);
  const keys = new TenantKeys(sql, tables.keys);
  const writer = new EventWriter(sql, tables);
  const consumer = new EventConsumer(ctx, writer, metrics);
  const analytics = new Analytics(
    sql,
    tables,
    ctx.config.analytics.maxScanEvents,
    ctx.config.analytics.dailyUserSets,
    readSql(sql, { logger: ctx.logger }),
  );
  const retention = new RetentionJob(ctx, sql, tables, settings, metrics);
  return { sql, tables, metrics, settings, keys, writer, consumer, analytics, retention };
}

export type BehaviorRuntime = ReturnType<typeof createRuntime>;
