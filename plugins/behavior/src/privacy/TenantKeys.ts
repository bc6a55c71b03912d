import { randomBytes } from 'node:crypto';
import type { Sql } from '@aihub/core/plugin-api';

/**
 * Per-tenant HMAC keys for hashed PII: 32 random bytes per tenant, created on first use, stored in
 * behavior_tenant_keys and cached in memory. Every instance uses the same key (created once: insert
 * if absent, then read what won).
 */
export class TenantKeys {
  private readonly keys = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly sql: Sql,
    private readonly table: string,
  ) {}

  get(tenantId: string): Promise<Buffer> {
    const cached = this.keys.get(tenantId);
    if (cached) return Promise.resolve(cached);
    let p = this.loading.get(tenantId);
    if (!p) {
      p = this.load(tenantId).finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, p);
    }
    return p;
  }

  private async load(tenantId: string): Promise<Buffer> {
    await this.sql.rows(
      `INSERT INTO ${this.table} (tenant_id, hmac_key, created_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id`,
      [tenantId, randomBytes(32).toString('hex'), new Date().toISOString()],
    );
    const rows = await this.sql.rows<{ hmac_key: string }>(`SELECT hmac_key FROM ${this.table} WHERE tenant_id = $1`, [
      tenantId,
    ]);
    const key = Buffer.from(rows[0].hmac_key, 'hex');
    this.keys.set(tenantId, key);
    return key;
  }
}
