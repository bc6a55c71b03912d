import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';
import type { ApiKey } from './api-key';

/**
 * A key's status as a chip (colour per status, the label always spelled out for screen readers and
 * colour-blind users); a suspended key shows why under it — in the list cut to two lines (`compact`),
 * the whole reason in the chip's title.
 */
@Component({
  selector: 'app-key-status-chip',
  imports: [TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <span
        class="chip"
        [attr.data-status]="key().status"
        [attr.title]="key().status === 'suspended' ? key().suspended_reason : null"
        data-testid="key-status-chip"
        >{{ t(labelKey()) }}</span
      >
      @if (key().status === 'suspended' && key().suspended_reason) {
        <span class="reason" [class.compact]="compact()" data-testid="key-suspended-reason">{{
          key().suspended_reason
        }}</span>
      }
    </ng-container>
  `,
  styles: `
    :host {
      display: inline-flex;
      flex-direction: column;
      align-items: flex-start;
      gap: 2px;
      max-width: 100%;
    }
    .chip {
      display: inline-block;
      padding: 1px 10px;
      border-radius: 12px;
      font-size: 12px;
      line-height: 20px;
      white-space: nowrap;
      background: var(--mat-sys-surface-container-high);
      color: var(--mat-sys-on-surface);
    }
    .chip[data-status='active'] {
      background: var(--mat-sys-primary-container);
      color: var(--mat-sys-on-primary-container);
    }
    .chip[data-status='suspended'] {
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
    .chip[data-status='revoked'] {
      background: var(--mat-sys-error-container);
      color: var(--mat-sys-on-error-container);
    }
    .reason {
      font-size: 12px;
      color: var(--mat-sys-on-surface-variant);
      overflow-wrap: anywhere;
    }
    .reason.compact {
      max-width: 200px;
      display: -webkit-box;
      -webkit-line-clamp: 2;
      -webkit-box-orient: vertical;
      overflow: hidden;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class KeyStatusChip {
  readonly key = input.required<Pick<ApiKey, 'status' | 'suspended_reason'>>();
  /** Cut the reason to two lines (the list); the detail page shows all of it. */
  readonly compact = input(false);

  labelKey(): string {
    const s = this.key().status;
    return `apiKeys.status${s.charAt(0).toUpperCase()}${s.slice(1)}`;
  }
}
