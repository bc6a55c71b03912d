import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { TranslocoDirective } from '@jsverse/transloco';
import type { RevisionDiff } from './catalog-state';

/** What the rollback dialog shows: the target revision and how the control state differs now. */
export interface RollbackDialogData {
  revision: number;
  /** The control items changed since the target (the current revision diffed from it, section control). */
  controlChanges: RevisionDiff['changes'];
}

/** The user's choice: keep the control state of now (the default), or restore the target's too. */
export type RollbackChoice = { control: 'keep' | 'restore' } | undefined;

/**
 * The rollback confirmation. A rollback brings back the catalog entries only unless the operator
 * ticks "also restore the operational control state": undoing an edit must not silently un-drain a
 * deployment automation drained since. What restoring would change is listed (a drain lifted, a
 * weight set back …) so the choice is made knowing it.
 */
@Component({
  selector: 'app-rollback-dialog',
  imports: [MatDialogModule, MatButtonModule, MatCheckboxModule, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      <h2 mat-dialog-title>{{ t('models.catalog.rollbackTitle', { n: data.revision }) }}</h2>
      <mat-dialog-content>
        <p>{{ t('models.catalog.rollbackBody', { n: data.revision }) }}</p>
        <mat-checkbox
          [checked]="restore()"
          (change)="restore.set($event.checked)"
          data-testid="rollback-restore-control"
          >{{ t('models.catalog.restoreControl', { n: data.revision }) }}</mat-checkbox
        >
        @if (!restore()) {
          <p class="muted">{{ t('models.catalog.restoreControlKeep') }}</p>
        }
        @if (data.controlChanges.length) {
          <div data-testid="rollback-control-changes">
            <p>{{ t('models.catalog.controlWouldChange') }}</p>
            <ul>
              @for (c of data.controlChanges; track c.name) {
                <li [attr.data-op]="c.op">
                  <strong>{{ t('models.catalog.restoreOp.' + c.op) }}</strong>&ngsp;<span class="mono">{{
                    c.name
                  }}</span>
                </li>
              }
            </ul>
          </div>
        } @else {
          <p class="muted" data-testid="rollback-control-same">
            {{ t('models.catalog.controlSame', { n: data.revision }) }}
          </p>
        }
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" [mat-dialog-close]="undefined">{{ t('common.cancel') }}</button>
        <button
          mat-flat-button
          type="button"
          class="destructive"
          [mat-dialog-close]="{ control: restore() ? 'restore' : 'keep' }"
          data-testid="confirm-button"
        >
          {{ t('models.catalog.rollback') }}
        </button>
      </mat-dialog-actions>
    </ng-container>
  `,
  styles: `
    .destructive {
      background: var(--mat-sys-error);
      color: var(--mat-sys-on-error);
    }
    ul {
      margin: 4px 0 0;
      padding-left: 20px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RollbackDialog {
  readonly data = inject<RollbackDialogData>(MAT_DIALOG_DATA);
  /** Unchecked by default: a rollback keeps the control state of now. */
  readonly restore = signal(false);
}
