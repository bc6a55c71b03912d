import { DestroyRef, inject, signal } from '@angular/core';

/**
 * Calls `load` every `everyMs` while the page is visible: the next call is scheduled only when the
 * previous one settled (never two in flight), nothing runs while the tab is hidden, and coming back
 * loads at once. Stops with the component. Call in an injection context.
 */
export function livePoll(load: () => Promise<void>, everyMs: () => number, doc: Document = document) {
  const paused = signal(doc.hidden);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let stopped = false;

  const schedule = () => {
    clearTimeout(timer);
    if (!stopped && !paused()) timer = setTimeout(run, everyMs());
  };
  async function run(): Promise<void> {
    if (running || stopped || paused()) return;
    running = true;
    try {
      await load();
    } catch {
      // `load` reports its own errors; the wall keeps polling so it recovers when the gateway does.
    } finally {
      running = false;
      schedule();
    }
  }
  const onVisibility = () => {
    paused.set(doc.hidden);
    if (doc.hidden) clearTimeout(timer);
    else void run();
  };
  doc.addEventListener('visibilitychange', onVisibility);
  inject(DestroyRef).onDestroy(() => {
    stopped = true;
    clearTimeout(timer);
    doc.removeEventListener('visibilitychange', onVisibility);
  });
  void run();
  return { paused: paused.asReadonly(), refresh: () => run() };
}
