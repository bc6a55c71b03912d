import { Injectable, computed, inject, signal } from '@angular/core';
import { ApiClient } from '../api/api-client';
import { AuthService } from '../auth/auth.service';
import type { Me, TenantChoice } from './me';

const TENANT_KEY = 'aihub.console.tenant';

/**
 * The signed-in caller (`GET /admin/v1/me`) and the tenant the console works in. A superadmin may
 * work in any tenant with the same token (the server allows it); anyone else switches by signing in
 * to the other tenant (silently, through the authorization server's session), because their token
 * carries one tenant and its role.
 */
@Injectable({ providedIn: 'root' })
export class SessionService {
  private readonly api = inject(ApiClient);
  private readonly auth = inject(AuthService);

  readonly me = signal<Me | null>(null);
  /** The tenant chosen in the switcher (a superadmin's choice; otherwise the token's tenant). */
  private readonly chosen = signal<string | null>(sessionStorage.getItem(TENANT_KEY));

  readonly superadmin = computed(() => this.me()?.principal.superadmin === true);
  readonly permissions = computed(() => new Set(this.me()?.permissions ?? []));
  readonly role = computed(() => (this.superadmin() ? 'superadmin' : (this.me()?.principal.role ?? null)));
  readonly tenantId = computed(
    () => (this.superadmin() ? this.chosen() : null) ?? this.me()?.principal.tenant_id ?? null,
  );
  /** A superadmin may work in any tenant: the first page of all tenants, loaded with /me. */
  private readonly platformTenants = signal<TenantChoice[]>([]);
  readonly tenants = computed<TenantChoice[]>(() => {
    const me = this.me();
    if (!me) return [];
    const list: TenantChoice[] = me.memberships.map((m) => ({
      id: m.tenant_id,
      name: m.name,
      slug: m.slug,
      role: m.role,
    }));
    if (me.tenant && !list.some((t) => t.id === me.tenant!.id))
      list.unshift({ id: me.tenant.id, name: me.tenant.name, slug: me.tenant.slug, role: me.principal.role });
    for (const t of this.platformTenants()) if (!list.some((x) => x.id === t.id)) list.push(t);
    return list;
  });

  /** True when the caller holds `permission` (as /me computed it for the token's tenant). */
  can(permission: string): boolean {
    return this.superadmin() || this.permissions().has(permission);
  }

  private loading: Promise<Me> | null = null;

  /** Loads /me (after sign-in, and after a refresh when roles may have changed). */
  async load(): Promise<Me> {
    this.loading = this.api.call(this.api.client.GET('/admin/v1/me', {})).then(async (me) => {
      this.me.set(me as unknown as Me);
      if (me.principal.superadmin) {
        // The switcher's choices beyond the superadmin's own memberships (best effort: the
        // switcher still works with the memberships when this fails).
        const page = await this.api
          .call(this.api.client.GET('/admin/v1/tenants', { params: { query: { limit: 100 } } }))
          .catch(() => null);
        if (page)
          this.platformTenants.set(page.data.map((t) => ({ id: t.id, name: t.name, slug: t.slug, role: null })));
      }
      return me as unknown as Me;
    });
    try {
      return await this.loading;
    } finally {
      this.loading = null;
    }
  }

  /** /me, loading it once if needed (guards call this). */
  async ensureLoaded(): Promise<Me | null> {
    if (this.me()) return this.me();
    try {
      return await (this.loading ?? this.load());
    } catch {
      return null;
    }
  }

  /** Switches tenant: in place for a superadmin, by a silent sign-in to that tenant otherwise. */
  async switchTenant(tenantId: string, returnUrl = '/'): Promise<void> {
    if (this.superadmin()) {
      sessionStorage.setItem(TENANT_KEY, tenantId);
      this.chosen.set(tenantId);
      return;
    }
    await this.auth.signIn(returnUrl, { tenant: tenantId });
  }

  /** Re-reads roles: a new token (its claims carry the role) and /me. */
  async reload(): Promise<void> {
    await this.auth.refresh();
    await this.load();
  }

  clear(): void {
    this.me.set(null);
  }
}
