import { GatewayError } from '@aihub/core/plugin-api';
import CircuitBreaker from 'opossum';
import type { AiConfig } from '../config';
import { UpstreamError } from '../engine/errors';

export type BreakerState = 'closed' | 'half-open' | 'open';
export const BREAKER_STATE_VALUE: Record<BreakerState, 0 | 1 | 2> = { closed: 0, 'half-open': 1, open: 2 };

/** Errors that say nothing about the deployment's health: the client's bad request, or the client leaving. */
function notTheDeploymentsFault(err: unknown): boolean {
  if (err instanceof GatewayError) return true;
  return err instanceof UpstreamError && (err.isClientError || err.kind === 'cancelled');
}

/**
 * One opossum breaker per deployment around "call + first byte" (streams) or the whole answer.
 * Routing skips the deployment while the breaker is open, and while its half-open trial call is in
 * flight; once `resetTimeout` has passed the next request is the trial.
 */
export class DeploymentBreaker {
  private readonly cb: CircuitBreaker<[() => Promise<unknown>], unknown> | undefined;
  private openedAt = 0;
  private readonly resetMs: number;
  /** Held open or closed by operational control (`AiControl.forceBreaker`), whatever the error rate. */
  forced: 'open' | 'closed' | null = null;

  constructor(
    readonly deployment: string,
    options: AiConfig['breaker'],
    onState: (state: BreakerState) => void,
  ) {
    this.resetMs = options.resetTimeoutMs;
    if (!options.enabled) return;
    this.cb = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
      name: deployment,
      timeout: false,
      volumeThreshold: options.volumeThreshold,
      errorThresholdPercentage: options.errorThresholdPercentage,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingWindowMs,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: notTheDeploymentsFault,
    });
    this.cb.on('open', () => {
      this.openedAt = Date.now();
      onState('open');
    });
    this.cb.on('halfOpen', () => onState('half-open'));
    this.cb.on('close', () => onState('closed'));
  }

  /** May routing send a request here now? */
  available(): boolean {
    if (this.forced) return this.forced === 'closed';
    const cb = this.cb;
    return !cb || cb.closed || (cb.halfOpen && cb.pendingClose);
  }

  get state(): BreakerState {
    if (this.forced) return this.forced;
    const cb = this.cb;
    if (!cb || cb.closed) return 'closed';
    return cb.halfOpen ? 'half-open' : 'open';
  }

  /** Time until an open breaker lets a trial call through. */
  retryAfterMs(): number {
    return this.state === 'open' ? Math.max(0, this.openedAt + this.resetMs - Date.now()) : 0;
  }

  /** Runs the attempt through the breaker. Pass what it rejects with through `rejection()`. */
  fire<T>(attempt: () => Promise<T>): Promise<T> {
    return this.cb ? (this.cb.fire(attempt) as Promise<T>) : attempt();
  }

  /** The breaker's own rejections (open, half-open trial in flight) as UpstreamError('breaker_open'); others unchanged. */
  rejection(err: unknown): unknown {
    if (!CircuitBreaker.isOurError(err)) return err;
    return new UpstreamError('breaker_open', `circuit breaker of ${this.deployment} is open`, this.deployment, {
      retryAfterMs: this.retryAfterMs(),
    });
  }

  shutdown(): void {
    this.cb?.shutdown();
  }
}
