import { TENANT_DIRECTORY, type PluginContext, type TenantSettings } from '@aihub/core/plugin-api';

const CAP = 100_000;

/**
 * Tenant settings the background jobs need (retention days, PII policy) outside any request: from
 * the tenancy plugin's directory when it is loaded, else the last settings seen on a request.
 */
export class TenantSettingsCache {
  private readonly seen = new Map<string, TenantSettings>();

  constructor(private readonly ctx: PluginContext) {}

  remember(tenantId: string, settings: TenantSettings): void {
    if (this.seen.get(tenantId) === settings) return;
    if (this.seen.size > CAP) this.seen.clear();
    this.seen.set(tenantId, settings);
  }

  get(tenantId: string): TenantSettings | undefined {
    return this.seen.get(tenantId);
  }

  async load(tenantId: string): Promise<TenantSettings | undefined> {
    const directory = this.ctx.tryGet(TENANT_DIRECTORY);
    if (directory) {
      try {
        const t = await directory.get(tenantId);
        if (t) return t.settings;
      } catch (err) {
        this.ctx.logger.warn('tenant directory unavailable; using settings seen on requests', {
          err,
          tenant_id: tenantId,
        });
      }
    }
    return this.seen.get(tenantId);
  }
}
