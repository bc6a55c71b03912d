import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSnackBar } from '@angular/material/snack-bar';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError } from '../../core/api/problem';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { formatRatio } from '../usage/money';
import { formatBytes } from './bytes';

/**
 * `/cache`: the tenant's cache — lookups and hit ratio overall and per layer (cluster-wide),
 * entries and bytes held (L2 shared; L1 of the instance that answered), and purges of everything or
 * of one model, each confirmed first.
 */
@Component({
  selector: 'app-cache-page',
  imports: [FormsModule, MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective, PageState],
  templateUrl: './cache-page.html',
  styles: `
    .layers {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
      gap: 16px;
      margin: 16px 0;
    }
    .card {
      border: 1px solid var(--mat-sys-outline-variant);
      border-radius: 12px;
      padding: 12px 16px;
    }
    .card h2 {
      font: var(--mat-sys-title-medium);
      margin: 0 0 8px;
    }
    dl {
      display: grid;
      grid-template-columns: auto auto;
      gap: 4px 16px;
      margin: 0;
    }
    dt {
      color: var(--mat-sys-on-surface-variant);
    }
    dd {
      margin: 0;
      text-align: end;
      font-variant-numeric: tabular-nums;
    }
    section.block {
      margin-top: 24px;
    }
    section.block h2 {
      font: var(--mat-sys-title-medium);
    }
    .model-field {
      min-width: 280px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CachePage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(SessionService);
  private readonly confirm = inject(ConfirmService);
  private readonly snack = inject(MatSnackBar);
  private readonly i18n = inject(TranslocoService);
  private readonly lang = inject(LanguageService);

  private readonly query = computed(() => this.session.tenantId());
  readonly stats = dataResource(this.query, (tenantId) =>
    this.api.call(this.api.client.GET('/admin/v1/tenants/{tenantId}/cache', { params: { path: { tenantId } } })),
  );
  readonly canPurge = computed(() => this.session.superadmin() || this.session.permissions().has('cache:purge'));
  readonly model = signal('');
  readonly purging = signal(false);
  readonly purgeError = signal<string | null>(null);

  ratio(r: number | null | undefined): string {
    return formatRatio(r, this.lang.current());
  }

  bytes(b: number | null | undefined): string {
    return formatBytes(b, this.lang.current());
  }

  count(n: number | null | undefined): string {
    return n === null || n === undefined ? '—' : n.toLocaleString(this.lang.current());
  }

  /** Purges all of the tenant's entries, or one model's when `model` is given; asks first. */
  async purge(model?: string): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const m = model?.trim() || undefined;
    const ok = await this.confirm.ask({
      title: this.i18n.translate(m ? 'cache.purgeModelTitle' : 'cache.purgeAllTitle', { model: m }),
      message: this.i18n.translate('cache.purgeText'),
      confirmLabel: this.i18n.translate('cache.purge'),
      destructive: true,
    });
    if (!ok) return;
    this.purging.set(true);
    this.purgeError.set(null);
    try {
      const res = await this.api.call(
        this.api.client.DELETE('/admin/v1/tenants/{tenantId}/cache', {
          params: { path: { tenantId }, query: { model: m } },
        }),
      );
      this.snack.open(this.i18n.translate('cache.purged', { removed: res.removed }), undefined, {
        duration: 5000,
        politeness: 'polite',
      });
      if (m) this.model.set('');
      await this.stats.reload();
    } catch (err) {
      this.purgeError.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.purging.set(false);
    }
  }
}
