import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { firstValueFrom } from 'rxjs';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { cursorPaging } from '../../shared/list-page/cursor-paging';
import { listResource } from '../../shared/list-page/list-resource';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { TenantFormDialog, type TenantFormResult } from './tenant-form-dialog';
import type { ApiVersion, Tenant } from './tenant';

/**
 * `/tenants` (superadmin): search, status filter and server paging in the URL; create, change the
 * plan, suspend / resume, delete (confirmed by typing the tenant's name); each tenant's API
 * version pin, with "Upgrade to <current>" when it is pinned to an older version.
 */
@Component({
  selector: 'app-tenant-list',
  imports: [
    FormsModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatTableModule,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    CursorPaginator,
  ],
  templateUrl: './tenant-list.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TenantList {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);

  readonly url = urlState({ q: '', status: '', cursor: '', limit: 25 });
  readonly list = listResource(this.url.state, (s) =>
    this.api.call(
      this.api.client.GET('/admin/v1/tenants', {
        params: {
          query: {
            q: s.q || undefined,
            status: (s.status || undefined) as Tenant['status'] | undefined,
            cursor: s.cursor || undefined,
            limit: s.limit,
          },
        },
      }),
    ),
  );
  readonly columns = ['name', 'slug', 'plan', 'status', 'api_version', 'created_at', 'actions'];
  /** The current API version (GET /admin/v1/versions); null until known, then no upgrade is offered. */
  readonly currentVersion = signal<string | null>(null);
  readonly filtered = computed(() => !!this.url.state().q || !!this.url.state().status);
  readonly paging = cursorPaging(this.url, this.list);

  constructor() {
    void this.loadVersions();
  }

  /** The tenant's API version pin (settings.apiVersion); null when it has none (it follows the current one). */
  pinOf(tenant: Tenant): string | null {
    const pin = tenant.settings['apiVersion'];
    return typeof pin === 'string' ? pin : null;
  }

  /** Whether the tenant is pinned to a version older than the current one. */
  behind(tenant: Tenant): boolean {
    const pin = this.pinOf(tenant);
    const current = this.currentVersion();
    return pin !== null && current !== null && pin < current;
  }

  /** Moves the tenant's pin to the current version: the one admin call (PATCH its settings). */
  async upgradeVersion(tenant: Tenant): Promise<void> {
    const version = this.currentVersion();
    if (!version) return;
    const ok = await this.confirm.ask({
      title: this.i18n.translate('tenants.upgradeTitle', { name: tenant.name, version }),
      message: this.i18n.translate('tenants.upgradeText', { from: this.pinOf(tenant) ?? '', version }),
      confirmLabel: this.i18n.translate('tenants.upgrade', { version }),
    });
    if (!ok) return;
    await this.run(async () => {
      await this.api.call(
        this.api.client.PATCH('/admin/v1/tenants/{tenantId}/settings', {
          params: { path: { tenantId: tenant.id } },
          body: { apiVersion: version as ApiVersion },
        }),
      );
      this.toast(this.i18n.translate('tenants.upgradedToast', { name: tenant.name, version }));
    });
  }

  private async loadVersions(): Promise<void> {
    try {
      const versions = await this.api.call(this.api.client.GET('/admin/v1/versions'));
      this.currentVersion.set(versions.current);
    } catch {
      // Without the catalog the pins are still shown; only the upgrade action is withheld.
    }
  }

  search(q: string): void {
    this.paging.reset({ q: q.trim() });
  }

  filterStatus(status: string): void {
    this.paging.reset({ status });
  }

  async create(): Promise<void> {
    const ref = this.dialog.open<TenantFormDialog, { tenant?: Tenant }, TenantFormResult>(TenantFormDialog, {
      data: {},
      width: '480px',
    });
    const result = await firstValueFrom(ref.afterClosed());
    if (result) {
      this.toast(this.i18n.translate('tenants.createdToast', { name: result.tenant.name }));
      await this.list.reload();
    }
  }

  async editPlan(tenant: Tenant): Promise<void> {
    const ref = this.dialog.open<TenantFormDialog, { tenant?: Tenant }, TenantFormResult>(TenantFormDialog, {
      data: { tenant },
      width: '480px',
    });
    if (await firstValueFrom(ref.afterClosed())) await this.list.reload();
  }

  async toggleStatus(tenant: Tenant): Promise<void> {
    const suspend = tenant.status === 'active';
    const ok = await this.confirm.ask({
      title: this.i18n.translate(suspend ? 'tenants.suspendTitle' : 'tenants.resumeTitle', { name: tenant.name }),
      message: this.i18n.translate(suspend ? 'tenants.suspendText' : 'tenants.resumeText'),
      confirmLabel: this.i18n.translate(suspend ? 'tenants.suspend' : 'tenants.resume'),
      destructive: suspend,
    });
    if (!ok) return;
    await this.run(() =>
      this.api.call(
        this.api.client.PATCH('/admin/v1/tenants/{tenantId}', {
          params: { path: { tenantId: tenant.id } },
          body: { status: suspend ? 'suspended' : 'active' },
        }),
      ),
    );
  }

  async remove(tenant: Tenant): Promise<void> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate('tenants.deleteTitle', { name: tenant.name }),
      message: this.i18n.translate('tenants.deleteText'),
      confirmLabel: this.i18n.translate('common.delete'),
      destructive: true,
      typeToConfirm: tenant.name,
    });
    if (!ok) return;
    await this.run(() =>
      this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}', { params: { path: { tenantId: tenant.id } } }),
      ),
    );
  }

  private async run(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
      await this.list.reload();
    } catch (err) {
      this.toast(err instanceof ApiError ? err.message : String(err));
    }
  }

  private toast(message: string): void {
    this.snack.open(message, undefined, { duration: 5000, politeness: 'polite' });
  }
}
