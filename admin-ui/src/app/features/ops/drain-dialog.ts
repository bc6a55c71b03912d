import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';

/** The deployment to drain, for the dialog's title. */
export interface DrainData {
  id: string;
}

/** The most characters of a reason the API keeps (the drain route's `reason`). */
export const DRAIN_REASON_MAX = 500;

/**
 * Confirms a drain by hand and asks why (required: the reason is kept with the drain, shown on the
 * State tab, recorded in the events and on the catalog revision). Closes with the trimmed reason, or
 * undefined when cancelled.
 */
@Component({
  selector: 'app-drain-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <h2 mat-dialog-title>{{ t('ops.state.drainTitle', { id: data.id }) }}</h2>
      <mat-dialog-content>
        <p>{{ t('ops.state.drainText', { id: data.id }) }}</p>
        <mat-form-field class="full-width">
          <mat-label>{{ t('ops.state.drainReason') }}</mat-label>
          <textarea
            matInput
            rows="3"
            required
            [maxLength]="max"
            [value]="reason()"
            (input)="reason.set($any($event.target).value)"
            data-testid="drain-reason"
          ></textarea>
          <mat-hint>{{ t('ops.state.drainReasonHint') }}</mat-hint>
          <mat-hint align="end">{{ reason().length }} / {{ max }}</mat-hint>
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" [mat-dialog-close]="undefined">{{ t('common.cancel') }}</button>
        <button
          mat-flat-button
          type="button"
          class="destructive"
          [disabled]="!trimmed()"
          [mat-dialog-close]="trimmed()"
          data-testid="confirm-button"
        >
          {{ t('ops.state.drain') }}
        </button>
      </mat-dialog-actions>
    </ng-container>
  `,
  styles: `
    .full-width {
      width: 100%;
    }
    .destructive:not(:disabled) {
      background: var(--mat-sys-error);
      color: var(--mat-sys-on-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DrainDialog {
  readonly data = inject<DrainData>(MAT_DIALOG_DATA);
  readonly reason = signal('');
  readonly trimmed = computed(() => this.reason().trim());
  readonly max = DRAIN_REASON_MAX;
}
