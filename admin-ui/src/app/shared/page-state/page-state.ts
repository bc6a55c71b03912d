import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { Problem } from '../../core/api/problem';

/**
 * The loading, error and empty states of a screen, announced to screen readers. Put the content
 * after it; show the content only when none of the three applies.
 */
@Component({
  selector: 'app-page-state',
  imports: [TranslocoDirective, MatButtonModule, MatProgressBarModule],
  template: `
    <ng-container *transloco="let t">
      @if (loading()) {
        <mat-progress-bar mode="indeterminate" [attr.aria-label]="t('state.loading')" />
        <p class="visually-hidden" role="status">{{ t('state.loading') }}</p>
      }
      @if (error(); as problem) {
        <div class="state error" role="alert">
          <p>
            <strong>{{ t('state.error') }}</strong> {{ problem.detail }}
          </p>
          <button mat-stroked-button type="button" (click)="retry.emit()">{{ t('state.retry') }}</button>
        </div>
      } @else if (empty()) {
        <div class="state" role="status">
          <p>{{ emptyText() || t('state.empty') }}</p>
          <ng-content select="[empty-action]" />
        </div>
      }
    </ng-container>
  `,
  styles: `
    .state {
      padding: 32px 16px;
      text-align: center;
    }
    .error {
      color: var(--mat-sys-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PageState {
  readonly loading = input(false);
  readonly error = input<Problem | null>(null);
  readonly empty = input(false);
  readonly emptyText = input('');
  readonly retry = output<void>();
}
