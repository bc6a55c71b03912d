import { Injectable, inject } from '@angular/core';
import { MatDialog } from '@angular/material/dialog';
import { MatSnackBar } from '@angular/material/snack-bar';
import { TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { ReasonDialogService } from '../../shared/reason-dialog/reason-dialog.service';
import { showSecretOnce } from '../../shared/secret-dialog/secret-dialog';
import { SUSPEND_REASON_MAX, toSuspendBody, type ApiKey } from './api-key';

/**
 * Revoke, rotate, suspend (with a reason) and resume, confirmed, shared by the list and the detail
 * page. Resolve true (or the new key) when something changed.
 */
@Injectable()
export class ApiKeyActions {
  private readonly api = inject(ApiClient);
  private readonly confirm = inject(ConfirmService);
  private readonly dialog = inject(MatDialog);
  private readonly reasons = inject(ReasonDialogService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);

  async revoke(tenantId: string, key: ApiKey): Promise<boolean> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate('apiKeys.revokeTitle', { name: key.name }),
      message: this.i18n.translate('apiKeys.revokeText'),
      confirmLabel: this.i18n.translate('apiKeys.revoke'),
      destructive: true,
    });
    if (!ok) return false;
    return this.run(() =>
      this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/api-keys/{id}', {
          params: { path: { tenantId, id: key.id } },
        }),
      ),
    );
  }

  /** Suspends after asking why (the reason is optional); reversible, so not a typed confirmation. */
  async suspend(tenantId: string, key: ApiKey): Promise<boolean> {
    const reason = await this.reasons.ask({
      title: this.i18n.translate('apiKeys.suspendTitle', { name: key.name }),
      message: this.i18n.translate('apiKeys.suspendText'),
      reasonLabel: this.i18n.translate('apiKeys.suspendReason'),
      reasonHint: this.i18n.translate('apiKeys.suspendReasonHint'),
      confirmLabel: this.i18n.translate('apiKeys.suspend'),
      max: SUSPEND_REASON_MAX,
    });
    if (reason === undefined) return false;
    return this.run(() =>
      this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/api-keys/{id}/suspend', {
          params: { path: { tenantId, id: key.id } },
          body: toSuspendBody(reason),
        }),
      ),
    );
  }

  async resume(tenantId: string, key: ApiKey): Promise<boolean> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate('apiKeys.resumeTitle', { name: key.name }),
      message: this.i18n.translate('apiKeys.resumeText'),
      confirmLabel: this.i18n.translate('apiKeys.resume'),
    });
    if (!ok) return false;
    return this.run(() =>
      this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/api-keys/{id}/resume', {
          params: { path: { tenantId, id: key.id } },
        }),
      ),
    );
  }

  /** Rotates (the old key stops at once, or after an hour when the user chose the grace period). */
  async rotate(tenantId: string, key: ApiKey, graceSeconds: number): Promise<ApiKey | null> {
    const ok = await this.confirm.ask({
      title: this.i18n.translate('apiKeys.rotateTitle', { name: key.name }),
      message: this.i18n.translate(graceSeconds ? 'apiKeys.rotateGraceText' : 'apiKeys.rotateText'),
      confirmLabel: this.i18n.translate('apiKeys.rotate'),
      destructive: true,
    });
    if (!ok) return null;
    try {
      const created = await this.api.call(
        this.api.client.POST('/admin/v1/tenants/{tenantId}/api-keys/{id}/rotate', {
          params: { path: { tenantId, id: key.id } },
          body: { grace_seconds: graceSeconds },
        }),
      );
      await showSecretOnce(this.dialog, {
        title: this.i18n.translate('apiKeys.secretTitle', { name: created.name }),
        secret: created.key,
        note: this.i18n.translate('apiKeys.secretNote'),
      });
      const { key: _secret, ...view } = created;
      return view;
    } catch (err) {
      this.toast(err);
      return null;
    }
  }

  private async run(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (err) {
      this.toast(err);
      return false;
    }
  }

  private toast(err: unknown): void {
    this.snack.open(err instanceof ApiError ? err.message : String(err), undefined, {
      duration: 6000,
      politeness: 'assertive',
    });
  }
}
