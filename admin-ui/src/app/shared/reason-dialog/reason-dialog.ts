import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, ReactiveFormsModule, type ValidatorFn } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';

/** What the reason dialog shows. Texts are already translated by the caller (as for the confirm dialog). */
export interface ReasonDialogOptions {
  title: string;
  message: string;
  /** The reason field's label, and the hint under it (where the reason goes). */
  reasonLabel: string;
  reasonHint: string;
  /** The confirm button, styled as destructive: the action stops something. */
  confirmLabel: string;
  /** A reason must be given (blank is not one): the button waits for it and the field says it is required. */
  required?: boolean;
  /** The most characters the API keeps. */
  max: number;
}

/**
 * The id of the message of the dialog whose id is `dialogId`: the dialog names it in
 * `aria-describedby` (ReasonDialogService opens it so), which the container sets from its config
 * before the content exists.
 */
export const reasonMessageId = (dialogId: string) => `${dialogId}-message`;

/** Blank (spaces only) is no reason: `required` as the API sees it. */
const notBlank: ValidatorFn = (c) => (String(c.value ?? '').trim() ? null : { required: true });

/**
 * Confirms an action that takes a reason (suspend a key, drain a deployment): the dialog is the
 * confirmation, so it asks once. Labelled by its title, described by its message (opened through
 * ReasonDialogService); the reason field takes the focus; Escape or Cancel closes it with undefined;
 * a required reason shows its error once the field was left blank.
 * Closes with the trimmed reason ('' when optional and none was given).
 */
@Component({
  selector: 'app-reason-dialog',
  imports: [
    MatDialogModule,
    MatButtonModule,
    MatFormFieldModule,
    MatInputModule,
    ReactiveFormsModule,
    TranslocoDirective,
  ],
  template: `
    <ng-container *transloco="let t">
      <h2 mat-dialog-title>{{ data.title }}</h2>
      <mat-dialog-content>
        <p [id]="messageId">{{ data.message }}</p>
        <mat-form-field class="full-width">
          <mat-label>{{ data.reasonLabel }}</mat-label>
          <textarea
            matInput
            rows="3"
            cdkFocusInitial
            [required]="!!data.required"
            [maxLength]="data.max"
            [formControl]="reason"
            data-testid="action-reason"
          ></textarea>
          <mat-hint>{{ data.reasonHint }}</mat-hint>
          <mat-hint align="end">{{ value().length }} / {{ data.max }}</mat-hint>
          @if (reason.hasError('required')) {
            <mat-error data-testid="action-reason-error">{{ t('common.required') }}</mat-error>
          }
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" [mat-dialog-close]="undefined">{{ t('common.cancel') }}</button>
        <button
          mat-flat-button
          type="button"
          class="destructive"
          [disabled]="!ready()"
          [mat-dialog-close]="trimmed()"
          data-testid="confirm-button"
        >
          {{ data.confirmLabel }}
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
export class ReasonDialog {
  readonly data = inject<ReasonDialogOptions>(MAT_DIALOG_DATA);
  readonly messageId = reasonMessageId(inject(MatDialogRef).id);
  readonly reason = new FormControl('', { nonNullable: true, validators: this.data.required ? [notBlank] : [] });
  readonly value = toSignal(this.reason.valueChanges, { initialValue: '' });
  readonly trimmed = computed(() => this.value().trim());
  readonly ready = computed(() => !this.data.required || this.trimmed() !== '');
}
