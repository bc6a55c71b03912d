import type { BudgetSettings } from '@aihub/core/plugin-api';
import type { BudgetOverrides } from './BudgetOverrides';
import { hasAnyLimit, type BudgetLevel, type BudgetTarget } from './types';

/** Largest number of tenants/keys whose settings budgets are remembered for the consumer's alerts. */
const SEEN_CAP = 50_000;

/**
 * Decides which budgets apply to a request: for each level (tenant, team, key) an override set
 * through the API wins; otherwise tenant settings (tenancy) or the key's own budgets (auth); for the
 * tenant, config defaults last. Pure in-memory: the request path does no I/O here.
 */
export class BudgetResolver {
  /** Budgets seen on requests (tenant settings, key budgets) so the consumer can check soft limits. */
  private readonly seen = new Map<string, BudgetSettings>();

  constructor(
    private readonly overrides: BudgetOverrides,
    private readonly defaults: BudgetSettings | undefined,
  ) {}

  resolve(tenantId: string, teamId: string | undefined | null, keyId: string | undefined | null, tenantSettings: BudgetSettings | undefined, keySettings: BudgetSettings | undefined): BudgetTarget[] {
    const out: BudgetTarget[] = [];
    const tenant = this.pick(tenantId, 'tenant', tenantId, tenantSettings ?? this.seen.get(`tenant\u0000${tenantId}`), this.defaults);
    if (tenant) out.push(tenant);
    if (teamId) {
      const team = this.pick(tenantId, 'team', teamId, undefined, undefined);
      if (team) out.push(team);
    }
    if (keyId) {
      const key = this.pick(tenantId, 'key', keyId, keySettings ?? this.seen.get(`key\u0000${tenantId}\u0000${keyId}`), undefined);
      if (key) out.push(key);
    }
    return out;
  }

  /** One level's effective budget, or undefined when it sets no limit. */
  effective(tenantId: string, level: BudgetLevel, targetId: string, settings?: BudgetSettings): BudgetTarget | undefined {
    const fromSeen = level === 'tenant' ? this.seen.get(`tenant\u0000${tenantId}`) : level === 'key' ? this.seen.get(`key\u0000${tenantId}\u0000${targetId}`) : undefined;
    return this.pick(tenantId, level, targetId, settings ?? fromSeen, level === 'tenant' ? this.defaults : undefined);
  }

  /** Remembers settings budgets from a request (cheap: only when they exist). */
  remember(tenantId: string, tenantSettings: BudgetSettings | undefined, keyId: string | undefined, keySettings: BudgetSettings | undefined): void {
    if (this.seen.size > SEEN_CAP) this.seen.clear();
    if (tenantSettings) this.seen.set(`tenant\u0000${tenantId}`, tenantSettings);
    if (keyId && keySettings) this.seen.set(`key\u0000${tenantId}\u0000${keyId}`, keySettings);
  }

  /** Settings budgets seen for a level (for the admin API's "settings" field). */
  seenSettings(tenantId: string, level: BudgetLevel, targetId: string): BudgetSettings | undefined {
    if (level === 'tenant') return this.seen.get(`tenant\u0000${tenantId}`);
    if (level === 'key') return this.seen.get(`key\u0000${tenantId}\u0000${targetId}`);
    return undefined;
  }

  private pick(tenantId: string, level: BudgetLevel, targetId: string, settings: BudgetSettings | undefined, defaults: BudgetSettings | undefined): BudgetTarget | undefined {
    const override = this.overrides.get(tenantId, level, targetId);
    if (override) return hasAnyLimit(override.budget) ? { level, tenantId, targetId, budget: override.budget, source: 'override' } : undefined;
    if (hasAnyLimit(settings)) return { level, tenantId, targetId, budget: settings, source: 'settings' };
    if (hasAnyLimit(defaults)) return { level, tenantId, targetId, budget: defaults, source: 'default' };
    return undefined;
  }
}
