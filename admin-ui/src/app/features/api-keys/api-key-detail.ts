import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatSelectModule } from '@angular/material/select';
import { MatFormFieldModule } from '@angular/material/form-field';
import { Router, RouterLink } from '@angular/router';
import { TranslocoDirective } from '@jsverse/transloco';
import { ApiClient } from '../../core/api/api-client';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';
import { LocalDatePipe } from '../../core/i18n/local-date.pipe';
import { SessionService } from '../../core/session/session.service';
import { PageState } from '../../shared/page-state/page-state';
import { ownerLabel, type ApiKey, type ApiKeyListItem } from './api-key';
import { ApiKeyActions } from './api-key-actions';
import { KeyStatusChip } from './key-status-chip';

/**
 * `/api-keys/:id`: one key's settings (never its secret), rotate (optionally with a grace period),
 * suspend (with a reason) or resume, and revoke.
 */
@Component({
  selector: 'app-api-key-detail',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatSelectModule,
    RouterLink,
    TranslocoDirective,
    LocalDatePipe,
    PageState,
    KeyStatusChip,
  ],
  providers: [ApiKeyActions],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="key-title">
      <p>
        <a routerLink="..">← {{ t('apiKeys.title') }}</a>
      </p>
      <app-page-state [loading]="loading()" [error]="error()" [empty]="false" (retry)="load()" />
      @if (key(); as k) {
        <div class="page-header">
          <h1 id="key-title">{{ k.name }}</h1>
          @if (canWrite() && k.status === 'active') {
            <div class="actions">
              <mat-form-field subscriptSizing="dynamic">
                <mat-label>{{ t('apiKeys.grace') }}</mat-label>
                <mat-select [value]="grace()" (selectionChange)="grace.set($event.value)">
                  <mat-option [value]="0">{{ t('apiKeys.graceNone') }}</mat-option>
                  <mat-option [value]="3600">{{ t('apiKeys.graceHour') }}</mat-option>
                  <mat-option [value]="86400">{{ t('apiKeys.graceDay') }}</mat-option>
                </mat-select>
              </mat-form-field>
              <button mat-stroked-button type="button" (click)="rotate(k)" data-testid="key-rotate">
                {{ t('apiKeys.rotate') }}
              </button>
              <button mat-stroked-button type="button" (click)="suspend(k)" data-testid="key-suspend">
                {{ t('apiKeys.suspend') }}
              </button>
              <button mat-flat-button type="button" class="error-button" (click)="revoke(k)" data-testid="key-revoke">
                {{ t('apiKeys.revoke') }}
              </button>
            </div>
          } @else if (canWrite() && k.status === 'suspended') {
            <div class="actions">
              <button mat-flat-button type="button" (click)="resume(k)" data-testid="key-resume">
                {{ t('apiKeys.resume') }}
              </button>
              <button mat-stroked-button type="button" class="error-text" (click)="revoke(k)" data-testid="key-revoke">
                {{ t('apiKeys.revoke') }}
              </button>
            </div>
          }
        </div>
        <dl class="details" data-testid="key-details">
          <dt>{{ t('apiKeys.keyId') }}</dt>
          <dd class="mono">{{ k.key_prefix }}…</dd>
          <dt>{{ t('apiKeys.status') }}</dt>
          <dd data-testid="key-status"><app-key-status-chip [key]="k" /></dd>
          @if (k.suspended_at) {
            <dt>{{ t('apiKeys.suspendedAt') }}</dt>
            <dd data-testid="key-suspended">
              {{ k.suspended_at | localDate }}
              @if (k.suspended_by) {
                ({{ k.suspended_by }})
              }
            </dd>
          }
          <dt>{{ t('apiKeys.owner') }}</dt>
          <dd data-testid="key-owner" [attr.title]="k.user_id">{{ ownerLabel(k) }}</dd>
          <dt>{{ t('apiKeys.team') }}</dt>
          <dd class="mono">{{ k.team_id ?? '—' }}</dd>
          <dt>{{ t('apiKeys.role') }}</dt>
          <dd>{{ k.role }}</dd>
          <dt>{{ t('apiKeys.scopes') }}</dt>
          <dd>{{ k.scopes.join(', ') }}</dd>
          <dt>{{ t('apiKeys.allowedModels') }}</dt>
          <dd>{{ k.allowed_models?.join(', ') ?? t('apiKeys.allModels') }}</dd>
          <dt>{{ t('apiKeys.limits') }}</dt>
          <dd>{{ limits(k) }}</dd>
          <dt>{{ t('apiKeys.monthlyBudget') }}</dt>
          <dd>{{ budget(k) }}</dd>
          <dt>{{ t('apiKeys.expires') }}</dt>
          <dd>{{ k.expires_at ? (k.expires_at | localDate: 'utc') : t('apiKeys.noExpiry') }}</dd>
          <dt>{{ t('apiKeys.lastUsed') }}</dt>
          <dd>{{ k.last_used_at ? (k.last_used_at | localDate) : t('apiKeys.never') }}</dd>
          <dt>{{ t('apiKeys.created') }}</dt>
          <dd>{{ k.created_at | localDate }} ({{ k.created_by }})</dd>
          @if (k.revoked_at) {
            <dt>{{ t('apiKeys.revokedAt') }}</dt>
            <dd>{{ k.revoked_at | localDate }}</dd>
          }
          @if (k.rotated_from) {
            <dt>{{ t('apiKeys.rotatedFrom') }}</dt>
            <dd>
              <a [routerLink]="['..', k.rotated_from]" class="mono">ahk_{{ k.rotated_from }}</a>
            </dd>
          }
          @if (k.replaced_by) {
            <dt>{{ t('apiKeys.replacedBy') }}</dt>
            <dd>
              <a [routerLink]="['..', k.replaced_by]" class="mono">ahk_{{ k.replaced_by }}</a>
            </dd>
          }
        </dl>
      }
    </section>
  `,
  styles: `
    .details {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 8px 24px;
    }
    .details dt {
      font-weight: 500;
    }
    .details dd {
      margin: 0;
    }
    .actions {
      display: flex;
      gap: 8px;
      align-items: center;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeyDetail {
  /** The route's `:id` (component input binding). */
  readonly id = input.required<string>();
  private readonly api = inject(ApiClient);
  private readonly actions = inject(ApiKeyActions);
  private readonly router = inject(Router);
  private readonly session = inject(SessionService);
  /** The key; with its owner named when it came from GET (rotation answers the bare key). */
  readonly key = signal<(ApiKey & { owner?: ApiKeyListItem['owner'] }) | null>(null);
  readonly ownerLabel = ownerLabel;
  readonly loading = signal(false);
  readonly error = signal<Problem | null>(null);
  readonly grace = signal(0);
  readonly canWrite = computed(() => this.session.can('keys:write'));

  constructor() {
    effect(() => {
      const id = this.id();
      const tenantId = this.session.tenantId();
      if (id && tenantId) untracked(() => void this.load());
    });
  }

  limits(k: ApiKey): string {
    const l = k.limits;
    if (!l) return '—';
    return [
      l.requestsPerMinute ? `${l.requestsPerMinute} req/min` : '',
      l.tokensPerMinute ? `${l.tokensPerMinute} tok/min` : '',
      l.concurrentRequests ? `${l.concurrentRequests} concurrent` : '',
    ]
      .filter(Boolean)
      .join(' · ');
  }

  budget(k: ApiKey): string {
    const micros = k.budgets?.monthlyHardMicros;
    return micros === undefined ? '—' : `$${(micros / 1_000_000).toFixed(2)}`;
  }

  async load(): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    this.loading.set(true);
    this.error.set(null);
    try {
      this.key.set(
        await this.api.call(
          this.api.client.GET('/admin/v1/tenants/{tenantId}/api-keys/{id}', {
            params: { path: { tenantId, id: this.id() } },
          }),
        ),
      );
    } catch (err) {
      this.key.set(null);
      this.error.set(err instanceof ApiError ? err.problem : toProblem(0, undefined));
    } finally {
      this.loading.set(false);
    }
  }

  async revoke(k: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (tenantId && (await this.actions.revoke(tenantId, k))) await this.load();
  }

  async suspend(k: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (tenantId && (await this.actions.suspend(tenantId, k))) await this.load();
  }

  async resume(k: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (tenantId && (await this.actions.resume(tenantId, k))) await this.load();
  }

  async rotate(k: ApiKey): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const next = await this.actions.rotate(tenantId, k, this.grace());
    if (next) await this.router.navigate(['/api-keys', next.id]);
  }
}
