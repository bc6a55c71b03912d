import { computed, type Signal } from '@angular/core';

/**
 * The query of a screen's secondary call (the event names its pickers offer), held back until the
 * screen's own figures have answered, or at once when the screen asks for none (a funnel without
 * its steps yet). On the embedded database one connection serves every query in turn: asked
 * together, a scan of the range for names would run before the figures the screen is opened for.
 * Once released for a range it stays released for it (no second call when the figures change).
 */
export function afterFigures<R>(
  range: Signal<R | null>,
  main: Signal<unknown>,
  figures: { value: Signal<unknown>; error: Signal<unknown> },
): Signal<R | null> {
  let released: R | null = null;
  return computed(() => {
    const r = range();
    if (r !== null && (r === released || main() === null || figures.value() !== null || figures.error() !== null)) {
      released = r;
      return r;
    }
    return null;
  });
}
