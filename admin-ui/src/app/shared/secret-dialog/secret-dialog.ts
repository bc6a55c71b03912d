import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { Clipboard } from '@angular/cdk/clipboard';
import { MAT_DIALOG_DATA, MatDialog, MatDialogModule } from '@angular/material/dialog';
import { MatButtonModule } from '@angular/material/button';
import { TranslocoDirective } from '@jsverse/transloco';
import { firstValueFrom } from 'rxjs';

export interface SecretDialogData {
  title: string;
  /** The secret (API key, client secret): shown here once, never stored by the console. */
  secret: string;
  /** Optional extra line, e.g. the client id to pair the secret with. */
  note?: string;
}

/** Shows a secret once with a copy button; closing it forgets the secret. */
@Component({
  selector: 'app-secret-dialog',
  imports: [MatDialogModule, MatButtonModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <h2 mat-dialog-title>{{ data.title }}</h2>
      <mat-dialog-content>
        <p role="alert">{{ t('secret.onceWarning') }}</p>
        @if (data.note) {
          <p>{{ data.note }}</p>
        }
        <code class="secret mono" data-testid="secret-value" tabindex="0" [attr.aria-label]="t('secret.value')">{{
          data.secret
        }}</code>
        <p class="copied" role="status" aria-live="polite">{{ copied() ? t('secret.copied') : '' }}</p>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" (click)="copy()" data-testid="secret-copy">{{ t('secret.copy') }}</button>
        <button mat-flat-button type="button" mat-dialog-close>{{ t('secret.stored') }}</button>
      </mat-dialog-actions>
    </ng-container>
  `,
  styles: `
    .secret {
      display: block;
      padding: 12px;
      border-radius: 8px;
      background: var(--mat-sys-surface-container-high);
      word-break: break-all;
      user-select: all;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SecretDialog {
  readonly data = inject<SecretDialogData>(MAT_DIALOG_DATA);
  private readonly clipboard = inject(Clipboard);
  readonly copied = signal(false);

  copy(): void {
    this.copied.set(this.clipboard.copy(this.data.secret));
  }
}

/** Opens the dialog and resolves when the user closed it (the secret is dropped with it). */
export async function showSecretOnce(dialog: MatDialog, data: SecretDialogData): Promise<void> {
  const ref = dialog.open(SecretDialog, { data, width: '520px', disableClose: true });
  await firstValueFrom(ref.afterClosed());
}
