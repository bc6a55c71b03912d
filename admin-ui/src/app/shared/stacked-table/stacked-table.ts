import { DestroyRef, Directive, ElementRef, afterNextRender, inject } from '@angular/core';

/**
 * Marks a list table to be shown as stacked cards on phone widths (below 600 px; see
 * `_stacked-table.scss`): each row a card, each cell a line with its column's name before the value.
 * WCAG 1.4.10 (reflow) asks for content without two-dimensional scrolling at 320 CSS px; a list of
 * records (a key, a member, a request) reads as well record by record, so nothing needs sideways
 * scrolling, and wide screens keep the real table.
 *
 * The directive writes each body cell's column name into `data-label` (the stylesheet shows it), by
 * the header cell of the same column (`mat-column-*` class, else position), and keeps it current as
 * rows come and go or the language changes. It also states the table roles explicitly: a table
 * laid out as blocks loses its implicit table semantics in some browsers, and screen readers should
 * still announce rows and column headers.
 */
@Directive({
  selector: 'table[appStackedTable]',
  host: { class: 'stacked-table', role: 'table' },
})
export class StackedTable {
  private readonly table = inject<ElementRef<HTMLTableElement>>(ElementRef).nativeElement;

  constructor() {
    const observer = new MutationObserver(() => this.label());
    afterNextRender(() => {
      this.label();
      observer.observe(this.table, { childList: true, subtree: true, characterData: true });
    });
    inject(DestroyRef).onDestroy(() => observer.disconnect());
  }

  /** Writes roles and labels; only attributes that differ are set (so the observer settles). */
  label(): void {
    const headers = [...(this.table.tHead?.rows[this.table.tHead.rows.length - 1]?.cells ?? [])];
    const byColumn = new Map<string, string>();
    const names = headers.map((h) => {
      const name = (h.textContent ?? '').replace(/\s+/g, ' ').trim();
      const column = columnOf(h);
      if (column) byColumn.set(column, name);
      return name;
    });
    for (const row of [...this.table.rows]) {
      set(row, 'role', 'row');
      const header = row.parentElement === this.table.tHead;
      [...row.cells].forEach((cell, i) => {
        set(cell, 'role', header ? 'columnheader' : cell.tagName === 'TH' ? 'rowheader' : 'cell');
        if (header) return;
        const column = columnOf(cell);
        const name = (column && byColumn.get(column)) ?? names[i] ?? '';
        if (name) set(cell, 'data-label', name);
        else if (cell.hasAttribute('data-label')) cell.removeAttribute('data-label');
      });
    }
  }
}

function columnOf(cell: Element): string | undefined {
  for (const c of cell.classList) if (c.startsWith('mat-column-')) return c;
  return undefined;
}

function set(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}
