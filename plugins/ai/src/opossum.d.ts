/** The part of opossum 9's API the ai plugin uses (the package ships no type declarations). */
declare module 'opossum' {
  import { EventEmitter } from 'node:events';

  interface CircuitBreakerOptions {
    timeout?: number | false;
    errorThresholdPercentage?: number;
    volumeThreshold?: number;
    resetTimeout?: number;
    rollingCountTimeout?: number;
    rollingCountBuckets?: number;
    rollingPercentilesEnabled?: boolean;
    enableSnapshots?: boolean;
    name?: string;
    errorFilter?: (err: unknown) => boolean;
  }

  class CircuitBreaker<TArgs extends unknown[] = unknown[], TResult = unknown> extends EventEmitter {
    constructor(action: (...args: TArgs) => Promise<TResult>, options?: CircuitBreakerOptions);
    fire(...args: TArgs): Promise<TResult>;
    readonly opened: boolean;
    readonly closed: boolean;
    readonly halfOpen: boolean;
    readonly pendingClose: boolean;
    readonly isShutdown: boolean;
    readonly stats: { fires: number; failures: number; successes: number; rejects: number };
    open(): void;
    close(): void;
    shutdown(): void;
    static isOurError(err: unknown): boolean;
  }

  export = CircuitBreaker;
}
