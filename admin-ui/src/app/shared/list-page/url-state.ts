import { computed, inject, type Signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { ActivatedRoute, Router } from '@angular/router';

export type UrlStateShape = Record<string, string | number>;

/**
 * Page state that lives in the URL's query string (filters, paging, tabs): deep-linkable, and the
 * back button restores it. Values equal to their default are left out of the URL.
 * Must be called in an injection context (a component field initializer).
 *
 * ```ts
 * readonly url = urlState({ q: '', status: '', cursor: '', limit: 25 });
 * // read: this.url.state().q     write: this.url.patch({ q: 'acme', cursor: '' })
 * ```
 */
export function urlState<T extends UrlStateShape>(
  defaults: T,
): { state: Signal<T>; patch(change: Partial<T>): Promise<boolean> } {
  const route = inject(ActivatedRoute);
  const router = inject(Router);
  const params = toSignal(route.queryParamMap, { initialValue: route.snapshot.queryParamMap });
  const state = computed(() => parseState(defaults, (k) => params().get(k)), { equal: sameState });
  return {
    state,
    patch: (change) =>
      router.navigate([], {
        relativeTo: route,
        queryParams: toQueryParams(defaults, change),
        queryParamsHandling: 'merge',
      }),
  };
}

/** Query values over defaults; numbers parsed (a non-number keeps the default). */
export function parseState<T extends UrlStateShape>(defaults: T, get: (key: string) => string | null): T {
  const out: UrlStateShape = { ...defaults };
  for (const [key, fallback] of Object.entries(defaults)) {
    const raw = get(key);
    if (raw === null) continue;
    if (typeof fallback === 'number') {
      const n = Number(raw);
      if (Number.isFinite(n)) out[key] = n;
    } else out[key] = raw;
  }
  return out as T;
}

/** Query params for a change: a default value (or '') removes the parameter. */
export function toQueryParams<T extends UrlStateShape>(
  defaults: T,
  change: Partial<T>,
): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [key, value] of Object.entries(change))
    out[key] = value === undefined || value === '' || value === defaults[key] ? null : (value as string | number);
  return out;
}

function sameState(a: UrlStateShape, b: UrlStateShape): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
