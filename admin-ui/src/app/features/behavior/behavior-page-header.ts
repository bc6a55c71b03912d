import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { TranslocoDirective } from '@jsverse/transloco';
import type { DayRange } from '../usage/range';
import { BehaviorTabs } from './behavior-tabs';
import { BehaviorRangeForm } from './range-form';

/**
 * The head of a behavior chart screen (trends, retention): the screen title, the behavior tabs, the
 * screen's own heading, the UTC day range form and an interval select, then the screen's further
 * fields (projected) in the same toolbar row. The `<h1>` carries `titleId` so the page's section can
 * be labelled by it.
 */
@Component({
  selector: 'app-behavior-page-header',
  imports: [MatFormFieldModule, MatSelectModule, TranslocoDirective, BehaviorTabs, BehaviorRangeForm],
  template: `
    <ng-container *transloco="let t">
      <div class="page-header">
        <h1 [id]="titleId()">{{ t('behavior.title') }}</h1>
      </div>
      <app-behavior-tabs />
      <h2 data-testid="behavior-subtitle">{{ subtitle() }}</h2>
      <app-behavior-range [range]="range()" [problem]="problem()" (apply)="apply.emit($event)" />
      <div class="toolbar-row">
        <mat-form-field subscriptSizing="dynamic">
          <mat-label>{{ intervalLabel() }}</mat-label>
          <mat-select
            [value]="interval()"
            (selectionChange)="intervalChange.emit($event.value)"
            [attr.data-testid]="intervalTestId()"
          >
            @for (i of intervals(); track i) {
              <mat-option [value]="i">{{ t('behavior.interval.' + i) }}</mat-option>
            }
          </mat-select>
        </mat-form-field>
        <ng-content />
      </div>
    </ng-container>
  `,
  styles: `
    :host {
      display: block;
    }
    h2 {
      font: var(--mat-sys-title-medium);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class BehaviorPageHeader {
  /** Id of the `<h1>`, for the page's `aria-labelledby`. */
  readonly titleId = input.required<string>();
  /** The screen's heading under the tabs (already translated). */
  readonly subtitle = input.required<string>();
  readonly range = input.required<DayRange>();
  readonly problem = input<string | null>(null);
  /** The intervals offered (each labelled `behavior.interval.<name>`) and the one shown. */
  readonly intervals = input.required<readonly string[]>();
  readonly interval = input.required<string>();
  readonly intervalLabel = input.required<string>();
  readonly intervalTestId = input.required<string>();
  /** The range form's Apply: the typed from/to days. */
  readonly apply = output<DayRange>();
  readonly intervalChange = output<string>();
}
