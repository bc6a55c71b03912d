import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';

/** The key's name, for the dialog's title. */
export interface SuspendKeyData {
  name: string;
}

/** The most characters of a reason the API keeps (its `reason` field). */
export const REASON_MAX = 500;

/**
 * Confirms a suspension and asks why (optional; the reason is kept on the key, audited, and told to
 * the key's callers). Closes with the reason ('' for none), or undefined when cancelled.
 */
@Component({
  selector: 'app-suspend-key-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <h2 mat-dialog-title>{{ t('apiKeys.suspendTitle', { name: data.name }) }}</h2>
      <mat-dialog-content>
        <p>{{ t('apiKeys.suspendText') }}</p>
        <mat-form-field class="full-width">
          <mat-label>{{ t('apiKeys.suspendReason') }}</mat-label>
          <textarea
            matInput
            rows="3"
            [maxLength]="max"
            [value]="reason()"
            (input)="reason.set($any($event.target).value)"
            data-testid="suspend-reason"
          ></textarea>
          <mat-hint>{{ t('apiKeys.suspendReasonHint') }}</mat-hint>
          <mat-hint align="end">{{ reason().length }} / {{ max }}</mat-hint>
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" [mat-dialog-close]="undefined">{{ t('common.cancel') }}</button>
        <button
          mat-flat-button
          type="button"
          class="destructive"
          [mat-dialog-close]="reason()"
          data-testid="confirm-button"
        >
          {{ t('apiKeys.suspend') }}
        </button>
      </mat-dialog-actions>
    </ng-container>
  `,
  styles: `
    .full-width {
      width: 100%;
    }
    .destructive {
      background: var(--mat-sys-error);
      color: var(--mat-sys-on-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SuspendKeyDialog {
  readonly data = inject<SuspendKeyData>(MAT_DIALOG_DATA);
  readonly reason = signal('');
  readonly max = REASON_MAX;
}
