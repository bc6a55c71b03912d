import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';
import { TranslocoDirective } from '@jsverse/transloco';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';

/**
 * Paging controls for the admin API's cursor paging: first page, previous (from the cursors seen
 * in this visit), next (the page's `next_cursor`), and the page size. Emits; the list page writes
 * the URL (`cursor`, `limit`), which loads the page.
 */
@Component({
  selector: 'app-cursor-paginator',
  imports: [TranslocoDirective, MatButtonModule, MatFormFieldModule, MatSelectModule],
  template: `
    <nav class="pager" *transloco="let t" [attr.aria-label]="t('list.paging')">
      <mat-form-field subscriptSizing="dynamic" class="size">
        <mat-label>{{ t('list.pageSize') }}</mat-label>
        <mat-select [value]="limit()" (selectionChange)="limitChange.emit($event.value)">
          @for (size of sizes; track size) {
            <mat-option [value]="size">{{ size }}</mat-option>
          }
        </mat-select>
      </mat-form-field>
      <button mat-button type="button" [disabled]="!hasPrevious()" (click)="first.emit()">{{ t('list.first') }}</button>
      <button mat-button type="button" [disabled]="!hasPrevious()" (click)="previous.emit()">
        {{ t('list.previous') }}
      </button>
      <button mat-button type="button" [disabled]="!hasNext()" (click)="next.emit()">{{ t('list.next') }}</button>
    </nav>
  `,
  styles: `
    .pager {
      display: flex;
      align-items: center;
      justify-content: flex-end;
      gap: 8px;
      padding: 8px 0;
    }
    .size {
      width: 120px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CursorPaginator {
  readonly limit = input.required<number>();
  readonly hasNext = input.required<boolean>();
  readonly hasPrevious = input.required<boolean>();
  readonly next = output<void>();
  readonly previous = output<void>();
  readonly first = output<void>();
  readonly limitChange = output<number>();
  readonly sizes = [10, 25, 50, 100];
}
