import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { activeOtelContext, enterOtelContext, runWithOtelContext } from '../services/requestContext';

/**
 * The OpenTelemetry context manager of AI Hub: the active context lives in the gateway's one
 * AsyncLocalStorage (services/requestContext) next to the request, instead of a storage of its own.
 * Each enabled AsyncLocalStorage costs every promise of the process; this one adds none.
 *
 * It extends the SDK's AsyncLocalStorageContextManager only for `bind()` (functions and event
 * emitters), which is written against `active()` and `with()`; the storage that class creates is
 * never entered, so it is never enabled and costs nothing.
 */
export class SharedContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    return activeOtelContext() ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = thisArg == null ? fn : (fn.bind(thisArg) as F);
    return runWithOtelContext(context, cb, args) as ReturnType<F>;
  }

  /** Experimental OpenTelemetry API: makes `context` active for the current execution until disposed. */
  override attach(context: Context): { dispose(): void } {
    const restore = enterOtelContext(context);
    let disposed = false;
    return {
      dispose() {
        if (disposed) return;
        disposed = true;
        restore();
      },
    };
  }

  override enable(): this {
    return this;
  }

  /** The storage is the gateway's, shared with request logging: it stays on. */
  override disable(): this {
    return this;
  }
}
