import { signal } from '@angular/core';
import { cursorPaging } from './cursor-paging';

/** A URL state that applies patches the way `urlState` does (merge), recording each one. */
function fakeUrl<T extends { cursor: string; limit: number }>(initial: T) {
  const state = signal(initial);
  const patches: Partial<T>[] = [];
  return {
    state,
    patches,
    patch: (change: Partial<T>) => {
      patches.push(change);
      state.update((s) => ({ ...s, ...change }));
      return Promise.resolve(true);
    },
  };
}

describe('cursorPaging', () => {
  it('walks forward with next_cursor and back through the cursors it saw', () => {
    const url = fakeUrl({ q: 'acme', cursor: '', limit: 25 });
    const nextCursor = signal<string | null>('c2');
    const paging = cursorPaging(url, { nextCursor });
    paging.next();
    expect(url.state().cursor).toBe('c2');
    nextCursor.set('c3');
    paging.next();
    expect(url.state().cursor).toBe('c3');
    paging.previous();
    expect(url.state().cursor).toBe('c2');
    paging.previous();
    expect(url.state().cursor).toBe('');
    expect(url.state().q).toBe('acme');
  });

  it('does nothing on next when there is no next page', () => {
    const url = fakeUrl({ cursor: '', limit: 25 });
    cursorPaging(url, { nextCursor: signal(null) }).next();
    expect(url.patches).toEqual([]);
  });

  it('previous from a deep link (no history) goes to the first page', () => {
    const url = fakeUrl({ cursor: 'deep', limit: 25 });
    cursorPaging(url, { nextCursor: signal(null) }).previous();
    expect(url.state().cursor).toBe('');
  });

  it('first, page size and reset start over and forget the history', () => {
    const url = fakeUrl({ status: '', cursor: '', limit: 25 });
    const nextCursor = signal<string | null>('c2');
    const paging = cursorPaging(url, { nextCursor });
    paging.next();
    paging.pageSize(50);
    expect(url.state()).toEqual({ status: '', cursor: '', limit: 50 });
    paging.next();
    paging.reset({ status: 'active' });
    expect(url.state()).toEqual({ status: 'active', cursor: '', limit: 50 });
    paging.next();
    paging.first();
    expect(url.state().cursor).toBe('');
    // History was cleared by first(): previous has nothing to go back to but the first page.
    paging.previous();
    expect(url.patches.at(-1)).toEqual({ cursor: '' });
  });

  it('merges `also` into every change', () => {
    const url = fakeUrl({ entry: 'e1', cursor: '', limit: 25 });
    const paging = cursorPaging(url, { nextCursor: signal('c2') }, { entry: '' });
    paging.next();
    expect(url.patches.at(-1)).toEqual({ cursor: 'c2', entry: '' });
    paging.pageSize(10);
    expect(url.patches.at(-1)).toEqual({ limit: 10, cursor: '', entry: '' });
  });
});
