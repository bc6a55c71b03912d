import { Injectable, inject, signal } from '@angular/core';
import { ApiClient } from '../../core/api/api-client';

/** A team or API key to pick in a form: its id and a readable label. */
export interface SubjectOption {
  id: string;
  label: string;
}

/**
 * The tenant's teams and API keys for the subject pickers of the limits and budgets screens (first
 * 200 of each; an id can still be typed). Loaded once per screen; a failure leaves a list empty.
 */
@Injectable()
export class SubjectOptions {
  private readonly api = inject(ApiClient);
  readonly teams = signal<SubjectOption[]>([]);
  readonly keys = signal<SubjectOption[]>([]);

  /** Loads the teams and (unless `keys` is false: a screen whose answers name keys itself) the keys. */
  async load(tenantId: string, { keys: withKeys = true }: { keys?: boolean } = {}): Promise<void> {
    const [teams, keys] = await Promise.allSettled([
      this.api.call(
        this.api.client.GET('/admin/v1/tenants/{tenantId}/teams', {
          params: { path: { tenantId }, query: { limit: 200 } },
        }),
      ),
      withKeys
        ? this.api.call(
            this.api.client.GET('/admin/v1/tenants/{tenantId}/api-keys', {
              params: { path: { tenantId }, query: { limit: 200 } },
            }),
          )
        : Promise.resolve(null),
    ]);
    if (teams.status === 'fulfilled') this.teams.set(teams.value.data.map((t) => ({ id: t.id, label: t.name })));
    if (keys.status === 'fulfilled' && keys.value)
      this.keys.set(keys.value.data.map((k) => ({ id: k.id, label: `${k.name} (${k.id})` })));
  }

  /** A readable name for an id of this scope, or the id itself. */
  labelOf(scope: string, id: string): string {
    const list = scope === 'team' ? this.teams() : scope === 'key' ? this.keys() : [];
    return list.find((o) => o.id === id)?.label ?? id;
  }
}
