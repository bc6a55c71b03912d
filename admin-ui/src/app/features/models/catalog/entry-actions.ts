import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { MatButton } from '@angular/material/button';
import { TranslocoDirective } from '@jsverse/transloco';
import type { CatalogEntry } from './catalog-state';

/**
 * The actions of a provider or price row: Edit (unless disabled) and, for an API entry, Delete — or
 * Revert when it overrides the file's entry. Buttons are `<kind>-edit` / `<kind>-remove` for tests.
 */
@Component({
  selector: 'app-entry-actions',
  imports: [MatButton, TranslocoDirective],
  template: `
    <ng-container *transloco="let t">
      @if (!entry().disabled) {
        <button
          mat-button
          type="button"
          (click)="edit.emit()"
          [attr.data-testid]="kind() + '-edit'"
          [attr.aria-label]="t(editLabel(), { name: entry().name })"
        >
          {{ t('models.catalog.edit') }}
        </button>
      }
      @if (entry().source === 'api') {
        <button
          mat-button
          type="button"
          (click)="remove.emit()"
          [attr.data-testid]="kind() + '-remove'"
          [attr.aria-label]="t(verb() + 'Named', { name: entry().name })"
        >
          {{ t(verb()) }}
        </button>
      }
    </ng-container>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EntryActions {
  readonly entry = input.required<CatalogEntry>();
  /** `provider` or `price`: the buttons' test ids. */
  readonly kind = input.required<string>();
  /** Transloco key of the Edit button's label, given `{ name }`. */
  readonly editLabel = input.required<string>();
  readonly edit = output<void>();
  readonly remove = output<void>();

  /** An API entry over a file's entry is reverted, not deleted. */
  verb(): string {
    return this.entry().overrides_file ? 'models.catalog.revert' : 'models.catalog.delete';
  }
}
