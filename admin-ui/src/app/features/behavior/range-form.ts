import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';
import type { DayRange } from '../usage/range';

/** From/to UTC day inputs of the behavior screens; emits the typed range on Apply. */
@Component({
  selector: 'app-behavior-range',
  imports: [MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <form
        class="toolbar-row"
        (submit)="$event.preventDefault(); apply.emit({ from: from.value, to: to.value })"
        [attr.aria-label]="t('behavior.range.form')"
      >
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('behavior.range.from') }}</mat-label>
          <input matInput #from type="date" name="from" [value]="range().from" data-testid="behavior-from" />
        </mat-form-field>
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ t('behavior.range.to') }}</mat-label>
          <input matInput #to type="date" name="to" [value]="range().to" data-testid="behavior-to" />
        </mat-form-field>
        <button mat-stroked-button type="submit" data-testid="behavior-apply">{{ t('common.apply') }}</button>
      </form>
      <p class="muted" data-testid="behavior-range">
        {{ t('behavior.range.utc', { from: range().from, to: range().to }) }}
      </p>
      @if (problem(); as p) {
        <p class="error-text" role="alert">{{ t('behavior.range.problem.' + p) }}</p>
      }
    </ng-container>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BehaviorRangeForm {
  readonly range = input.required<DayRange>();
  readonly problem = input<string | null>(null);
  readonly apply = output<DayRange>();
}
