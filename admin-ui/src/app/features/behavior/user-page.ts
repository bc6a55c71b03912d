import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective, TranslocoService } from '@jsverse/transloco';
import { ApiError } from '../../core/api/problem';
import { LanguageService } from '../../core/i18n/language.service';
import { SessionService } from '../../core/session/session.service';
import { ConfirmService } from '../../shared/confirm-dialog/confirm.service';
import { CursorHistory } from '../../shared/list-page/cursor-history';
import { CursorPaginator } from '../../shared/list-page/cursor-paginator';
import { urlState } from '../../shared/list-page/url-state';
import { PageState } from '../../shared/page-state/page-state';
import { dataResource } from '../usage/data-resource';
import { BehaviorApi, type UserDeletion } from './behavior-api';
import { TABLE_STYLES } from './behavior-range';
import { BehaviorTabs } from './behavior-tabs';

/**
 * `/behavior/users?id=…`: one user's profile (first/last seen, event count, anonymous ids, traits)
 * and event timeline, newest first, paged. The id may be typed raw or pasted as stored: the API
 * hashes a raw id with the tenant's key when its PII policy hashes user ids. Everything is shown as
 * stored (hashed values stay hashed). Admins (events:delete) can erase the user, after confirming.
 */
@Component({
  selector: 'app-user-page',
  imports: [
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    TranslocoDirective,
    PageState,
    BehaviorTabs,
    CursorPaginator,
  ],
  template: `
    <section class="page" *transloco="let t" aria-labelledby="user-title">
      <div class="page-header">
        <h1 id="user-title">{{ t('behavior.title') }}</h1>
      </div>
      <app-behavior-tabs />
      <h2>{{ t('behavior.user.title') }}</h2>
      <form
        class="toolbar-row"
        role="search"
        (submit)="$event.preventDefault(); search(idInput.value)"
        [attr.aria-label]="t('behavior.user.search')"
      >
        <mat-form-field subscriptSizing="dynamic" class="wide">
          <mat-label>{{ t('behavior.user.id') }}</mat-label>
          <input matInput #idInput name="id" [value]="userId()" autocomplete="off" data-testid="user-search" />
          <mat-hint>{{ t('behavior.user.idHint') }}</mat-hint>
        </mat-form-field>
        <button mat-flat-button type="submit" data-testid="user-search-submit">{{ t('behavior.user.find') }}</button>
      </form>
      @if (deleted(); as d) {
        <p role="status" data-testid="user-deleted">
          {{ t('behavior.user.deleted', { events: count(d.deleted_events) }) }}
        </p>
      }
      @if (deleteError(); as e) {
        <p class="error-text" role="alert">{{ e }}</p>
      }
      @if (userId()) {
        <app-page-state [loading]="profile.loading()" [error]="profile.error()" (retry)="profile.reload()" />
        @if (profile.value(); as p) {
          <section class="block" aria-labelledby="profile-title">
            <div class="toolbar-row">
              <h3 id="profile-title">{{ t('behavior.user.profile') }}</h3>
              <span class="spacer"></span>
              @if (canDelete()) {
                <button
                  mat-stroked-button
                  type="button"
                  class="danger"
                  (click)="erase(p.user_id)"
                  [disabled]="deleting()"
                  data-testid="user-delete"
                >
                  {{ t('behavior.user.delete') }}
                </button>
              }
            </div>
            <dl class="facts" data-testid="user-profile">
              <div>
                <dt>{{ t('behavior.user.storedId') }}</dt>
                <dd class="mono" data-testid="user-id">{{ p.user_id }}</dd>
              </div>
              <div>
                <dt>{{ t('behavior.user.firstSeen') }}</dt>
                <dd data-testid="user-first-seen">{{ p.first_seen ?? '—' }}</dd>
              </div>
              <div>
                <dt>{{ t('behavior.user.lastSeen') }}</dt>
                <dd data-testid="user-last-seen">{{ p.last_seen ?? '—' }}</dd>
              </div>
              <div>
                <dt>{{ t('behavior.user.events') }}</dt>
                <dd data-testid="user-event-count" [attr.data-value]="p.event_count">
                  {{ p.event_count === null ? '—' : count(p.event_count) }}
                </dd>
              </div>
              <div>
                <dt>{{ t('behavior.user.anonymousIds') }}</dt>
                <dd class="mono">{{ p.anonymous_ids.length ? p.anonymous_ids.join(', ') : '—' }}</dd>
              </div>
            </dl>
            <h3>{{ t('behavior.user.traits') }}</h3>
            <pre class="mono traits" data-testid="user-traits">{{ json(p.traits) }}</pre>
          </section>
          <section class="block" aria-labelledby="timeline-title">
            <h3 id="timeline-title">{{ t('behavior.user.timeline') }}</h3>
            <table class="data-table" data-testid="user-timeline">
              <caption class="visually-hidden">
                {{
                  t('behavior.user.timelineCaption')
                }}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{{ t('behavior.user.time') }}</th>
                  <th scope="col">{{ t('behavior.user.type') }}</th>
                  <th scope="col">{{ t('behavior.user.event') }}</th>
                  <th scope="col">{{ t('behavior.user.properties') }}</th>
                </tr>
              </thead>
              <tbody>
                @for (e of p.recent_events; track e.message_id) {
                  <tr [attr.data-message-id]="e.message_id">
                    <td class="mono">{{ e.timestamp }}</td>
                    <td>{{ e.type }}</td>
                    <th scope="row" data-col="event">{{ e.event ?? '—' }}</th>
                    <td class="mono props">{{ json(e.properties) }}</td>
                  </tr>
                }
              </tbody>
            </table>
            <app-cursor-paginator
              [limit]="limit()"
              [hasNext]="!!p.next_before"
              [hasPrevious]="!!url.state().before"
              (next)="next(p.next_before)"
              (previous)="previous()"
              (first)="first()"
              (limitChange)="url.patch({ limit: $event, before: '' })"
            />
          </section>
        }
      } @else {
        <p class="muted">{{ t('behavior.user.prompt') }}</p>
      }
    </section>
  `,
  styles: [
    TABLE_STYLES,
    `
      h2 {
        font: var(--mat-sys-title-medium);
      }
      h3 {
        font: var(--mat-sys-title-small);
      }
      .wide {
        min-width: 360px;
        flex: 1;
      }
      .block {
        margin-top: 16px;
      }
      .facts {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
        gap: 8px 16px;
      }
      .facts dt {
        font: var(--mat-sys-label-medium);
        color: var(--mat-sys-on-surface-variant);
      }
      .facts dd {
        margin: 2px 0 0;
        overflow-wrap: anywhere;
      }
      .traits {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        background: var(--mat-sys-surface-container);
        padding: 8px;
        border-radius: 8px;
      }
      .props {
        max-width: 480px;
        overflow-wrap: anywhere;
      }
      .danger {
        color: var(--mat-sys-error);
      }
    `,
  ],
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UserPage {
  private readonly api = inject(BehaviorApi);
  private readonly session = inject(SessionService);
  private readonly lang = inject(LanguageService);
  private readonly confirm = inject(ConfirmService);
  private readonly transloco = inject(TranslocoService);
  private readonly history = new CursorHistory();

  readonly url = urlState({ id: '', before: '', limit: 25 });
  readonly userId = computed(() => this.url.state().id.trim());
  readonly limit = computed(() => Math.min(1000, Math.max(1, Math.floor(this.url.state().limit) || 25)));
  readonly canDelete = computed(() => this.session.can('events:delete'));
  readonly deleting = signal(false);
  readonly deleted = signal<UserDeletion | null>(null);
  readonly deleteError = signal<string | null>(null);

  private readonly query = computed(() => {
    const tenantId = this.session.tenantId();
    const id = this.userId();
    return tenantId && id ? { tenantId, id, limit: this.limit(), before: this.url.state().before } : null;
  });
  readonly profile = dataResource(this.query, (q) =>
    this.api.profile(q.tenantId, q.id, q.limit, q.before || undefined),
  );

  search(id: string): void {
    this.history.clear();
    this.deleted.set(null);
    this.deleteError.set(null);
    void this.url.patch({ id: id.trim(), before: '' });
  }

  next(cursor: string | null): void {
    if (!cursor) return;
    this.history.push(this.url.state().before);
    void this.url.patch({ before: cursor });
  }

  previous(): void {
    const prev = this.history.pop();
    void this.url.patch({ before: prev ?? '' });
  }

  first(): void {
    this.history.clear();
    void this.url.patch({ before: '' });
  }

  async erase(storedId: string): Promise<void> {
    const tenantId = this.session.tenantId();
    if (!tenantId) return;
    const t = (key: string, params?: Record<string, unknown>) =>
      this.transloco.translate(`behavior.user.${key}`, params);
    const ok = await this.confirm.ask({
      title: t('deleteTitle'),
      message: t('deleteMessage', { id: storedId }),
      confirmLabel: t('delete'),
      destructive: true,
    });
    if (!ok) return;
    this.deleting.set(true);
    this.deleteError.set(null);
    try {
      // The stored id: what the profile showed is exactly what is erased.
      this.deleted.set(await this.api.deleteUser(tenantId, storedId));
      this.history.clear();
      await this.url.patch({ id: '', before: '' });
    } catch (err) {
      this.deleteError.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.deleting.set(false);
    }
  }

  count(n: number): string {
    return n.toLocaleString(this.lang.current());
  }

  json(v: unknown): string {
    return v === null || v === undefined ? '—' : JSON.stringify(v, null, 1);
  }
}
