import { untracked, type Signal } from '@angular/core';
import { CursorHistory } from './cursor-history';

/** What `cursorPaging` needs of the page's URL state (`urlState` with `cursor` and `limit`). */
export interface PagingUrl<T extends { cursor: string; limit: number }> {
  state: Signal<T>;
  patch(change: Partial<T>): Promise<boolean>;
}

/**
 * The paging handlers of a cursor-paged list page, for `<app-cursor-paginator>`: `next` (remembers
 * the current cursor), `previous` (the remembered one), `first`, `pageSize`, and `reset` for a
 * filter or sort change (back to the first page, history forgotten). Every change goes through the
 * URL, which loads the page. `also` is merged into every patch (e.g. `{ entry: '' }` to close a
 * detail panel when the page changes).
 *
 * ```ts
 * readonly paging = cursorPaging(this.url, this.list);
 * // <app-cursor-paginator ... (next)="paging.next()" (limitChange)="paging.pageSize($event)" />
 * ```
 */
export function cursorPaging<T extends { cursor: string; limit: number }>(
  url: PagingUrl<T>,
  list: { nextCursor: Signal<string | null> },
  also: Partial<T> = {},
) {
  const history = new CursorHistory();
  const go = (change: Partial<T>) => void url.patch({ ...change, ...also });
  return {
    next(): void {
      const cursor = untracked(list.nextCursor);
      if (!cursor) return;
      history.push(untracked(url.state).cursor);
      go({ cursor } as Partial<T>);
    },
    previous(): void {
      go({ cursor: history.pop() ?? '' } as Partial<T>);
    },
    first(): void {
      history.clear();
      go({ cursor: '' } as Partial<T>);
    },
    pageSize(limit: number): void {
      history.clear();
      go({ limit, cursor: '' } as Partial<T>);
    },
    /** A new query (search, filter, sort): first page of it, with `change` applied. */
    reset(change: Partial<T> = {}): void {
      history.clear();
      go({ ...change, cursor: '' });
    },
  };
}

/** The handlers `cursorPaging` returns. */
export type CursorPaging = ReturnType<typeof cursorPaging>;
