import { Injectable, inject, signal } from '@angular/core';
import { ApiClient } from '../../core/api/api-client';

export interface Option {
  id: string;
  label: string;
}

/**
 * Members and teams for the owner / team pickers, loaded the first time a picker opens (not with
 * the page: a page view of the key list makes one request, the list's).
 */
@Injectable()
export class KeyFilterOptions {
  private readonly api = inject(ApiClient);
  readonly members = signal<Option[] | null>(null);
  readonly teams = signal<Option[] | null>(null);

  async loadMembers(tenantId: string): Promise<void> {
    if (this.members()) return;
    const page = await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/members', {
        params: { path: { tenantId }, query: { limit: 200 } },
      }),
    );
    this.members.set(page.data.map((m) => ({ id: m.user_id, label: m.email })));
  }

  async loadTeams(tenantId: string): Promise<void> {
    if (this.teams()) return;
    const page = await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/teams', {
        params: { path: { tenantId }, query: { limit: 200 } },
      }),
    );
    this.teams.set(page.data.map((t) => ({ id: t.id, label: t.name })));
  }
}
