import { EventEmitter } from 'node:events';

/**
 * Aborts one upstream attempt. undici accepts an EventEmitter with `aborted` as its `signal`; this
 * costs a fraction of an AbortController + AbortSignal (an EventTarget), created once per attempt.
 */
export class AttemptSignal extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}
