import { computed, effect, signal, untracked, type Signal } from '@angular/core';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';

/** A page of a cursor-paged admin list. */
export interface CursorPage<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * A server-paged list bound to its query: one request whenever the query (usually `urlState`)
 * changes, answers of superseded requests dropped, with loading / error / empty states.
 * Call in an injection context (it uses `effect`).
 */
export function listResource<Q, T>(query: Signal<Q | null>, load: (q: Q) => Promise<CursorPage<T>>) {
  const items = signal<T[]>([]);
  const nextCursor = signal<string | null>(null);
  const loading = signal(false);
  const error = signal<Problem | null>(null);
  let generation = 0;

  async function run(q: Q): Promise<void> {
    const mine = ++generation;
    loading.set(true);
    error.set(null);
    try {
      const page = await load(q);
      if (mine !== generation) return;
      items.set(page.data);
      nextCursor.set(page.next_cursor);
    } catch (err) {
      if (mine !== generation) return;
      items.set([]);
      error.set(err instanceof ApiError ? err.problem : toProblem(0, undefined));
    } finally {
      if (mine === generation) loading.set(false);
    }
  }

  effect(() => {
    const q = query();
    if (q !== null) untracked(() => void run(q));
  });

  return {
    items: items.asReadonly(),
    nextCursor: nextCursor.asReadonly(),
    loading: loading.asReadonly(),
    error: error.asReadonly(),
    empty: computed(() => !loading() && !error() && items().length === 0),
    /** Loads the same query again (after a change, or from the error state's retry). */
    reload: () => {
      const q = untracked(query);
      if (q !== null) return run(q);
      return Promise.resolve();
    },
  };
}
