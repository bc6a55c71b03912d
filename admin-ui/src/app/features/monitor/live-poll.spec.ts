import { EnvironmentInjector, createEnvironmentInjector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { livePoll } from './live-poll';

/** A document whose visibility the test controls. */
class FakeDocument extends EventTarget {
  hidden = false;
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

describe('livePoll', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function start(load: () => Promise<void>, doc: FakeDocument) {
    const injector = createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));
    const poll = injector.runInContext(() => livePoll(load, () => 1000, doc as unknown as Document));
    return { poll, injector };
  }

  it('never has two loads in flight: the next is scheduled when the previous settles', async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const slow = () => {
      calls++;
      inFlight++;
      most = Math.max(most, inFlight);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          inFlight--;
          resolve();
        }, 2500),
      );
    };
    const { injector } = start(slow, new FakeDocument());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(most).toBe(1);
    // 2.5 s per load + 1 s pause: 3 loads started in 10 s.
    expect(calls).toBe(3);
    injector.destroy();
  });

  it('pauses while the tab is hidden and loads at once when it is shown again', async () => {
    const doc = new FakeDocument();
    let calls = 0;
    const { poll, injector } = start(async () => void calls++, doc);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    doc.setHidden(true);
    expect(poll.paused()).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
    doc.setHidden(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(2);
    injector.destroy();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(2);
  });
});
