import type { PluginContext } from '@aihub/core/plugin-api';
import { TenancyAccessControl } from './accessControl';
import { TenancyAuditLog } from './audit';
import type { TenancyConfig } from './config';
import { CachedTenantDirectory } from './directory';
import { tenancyMetrics } from './metrics';
import { defineModels, type TenancyModels } from './models';
import { configurePasswordHashing } from './password';
import { TenancyPlanBounds, TenancySubjects } from './planBounds';
import { toTenantContext } from './records';
import { TenancyStore } from './TenancyStore';

/** Everything one gateway's tenancy plugin holds. */
export interface TenancyRuntime {
  models: TenancyModels;
  store: TenancyStore;
  audit: TenancyAuditLog;
  access: TenancyAccessControl;
  directory: CachedTenantDirectory;
  /** PLAN_BOUNDS: plans, with bounds other plugins contribute. */
  planBounds: TenancyPlanBounds;
  /** TENANT_SUBJECTS: teams and members, for limits and budgets set on them. */
  subjects: TenancySubjects;
}

/** Creates the runtime of one plugin context at start (the database is connected and migrated by now). */
export function createRuntime(ctx: PluginContext<TenancyConfig>): TenancyRuntime {
  configurePasswordHashing({
    N: ctx.config.password.scryptN,
    maxConcurrent: ctx.config.password.maxConcurrentHashes,
    maxQueued: ctx.config.password.maxQueuedHashes,
  });
  const models = defineModels(ctx.database.sequelize, (name) => ctx.table(name));
  // The directory loads through the store and the store invalidates through the directory.
  const holder: { store?: TenancyStore } = {};
  const directory = new CachedTenantDirectory({
    load: async (id) => {
      const t = await holder.store!.getTenant(id);
      return t ? toTenantContext(t) : undefined;
    },
    ttlMs: ctx.config.directoryTtlMs,
    maxEntries: ctx.config.directoryMaxEntries,
    store: ctx.sharedStore,
    logger: ctx.logger,
    now: () => ctx.clock.now(),
  });
  const store = new TenancyStore(ctx.database, models, ctx.config, directory, ctx.clock);
  holder.store = store;
  const runtime: TenancyRuntime = {
    models,
    store,
    audit: new TenancyAuditLog(models, tenancyMetrics(ctx.meter).auditEntries),
    access: new TenancyAccessControl(),
    directory,
    planBounds: new TenancyPlanBounds(ctx.config.plans),
    subjects: new TenancySubjects(() => store),
  };
  return runtime;
}
