import { computed, effect, signal, untracked, type Signal } from '@angular/core';
import { ApiError, toProblem, type Problem } from '../../core/api/problem';

/**
 * One admin API answer bound to its query (a signal, usually derived from `urlState`): reloaded
 * whenever the query changes, superseded answers dropped, with loading and error states.
 * The non-list sibling of `listResource`. Call in an injection context (it uses `effect`).
 */
export function dataResource<Q, T>(query: Signal<Q | null>, load: (q: Q) => Promise<T>) {
  const value = signal<T | null>(null);
  const loading = signal(false);
  const error = signal<Problem | null>(null);
  let generation = 0;

  async function run(q: Q): Promise<void> {
    const mine = ++generation;
    loading.set(true);
    error.set(null);
    try {
      const v = await load(q);
      if (mine === generation) value.set(v);
    } catch (err) {
      if (mine !== generation) return;
      value.set(null);
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
    value: value.asReadonly(),
    loading: loading.asReadonly(),
    error: error.asReadonly(),
    ready: computed(() => value() !== null),
    reload: () => {
      const q = untracked(query);
      return q !== null ? run(q) : Promise.resolve();
    },
  };
}
