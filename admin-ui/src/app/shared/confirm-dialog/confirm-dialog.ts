import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { TranslocoDirective } from '@jsverse/transloco';

/** What the confirm dialog shows. Texts are already translated by the caller. */
export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  /** Styles the confirm button as destructive. */
  destructive?: boolean;
  /** When set, the user must type this exactly (e.g. the tenant's name) before confirming. */
  typeToConfirm?: string;
}

/** A confirmation before a destructive action; `typeToConfirm` adds "type the name to confirm". */
@Component({
  selector: 'app-confirm-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <h2 mat-dialog-title>{{ data.title }}</h2>
      <mat-dialog-content>
        <p>{{ data.message }}</p>
        @if (data.typeToConfirm) {
          <mat-form-field class="full-width">
            <mat-label>{{ t('confirm.typeToConfirm', { value: data.typeToConfirm }) }}</mat-label>
            <input
              matInput
              [value]="typed()"
              (input)="typed.set($any($event.target).value)"
              autocomplete="off"
              data-testid="confirm-input"
            />
          </mat-form-field>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" [mat-dialog-close]="false">{{ t('common.cancel') }}</button>
        <button
          mat-flat-button
          type="button"
          [class.destructive]="data.destructive"
          [disabled]="!ready()"
          [mat-dialog-close]="true"
          data-testid="confirm-button"
        >
          {{ data.confirmLabel }}
        </button>
      </mat-dialog-actions>
    </ng-container>
  `,
  styles: `
    .destructive:not([disabled]) {
      background: var(--mat-sys-error);
      color: var(--mat-sys-on-error);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ConfirmDialog {
  readonly data = inject<ConfirmOptions>(MAT_DIALOG_DATA);
  readonly typed = signal('');
  readonly ready = computed(() => !this.data.typeToConfirm || this.typed() === this.data.typeToConfirm);
}
