import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'koa';
import { trace } from '@opentelemetry/api';
import { GatewayError } from '../errors/GatewayError';
import { buildRouteChain } from './buildRouteChain';
import type { BoundHook } from './orderHooks';
import type { Phase } from './phases';
import type { GatewayMiddleware, RouteInfo } from './types';

// The chain of unsampled requests (plainChain: koa-compose and guard in one) must keep what both
// did: order and unwinding, one next() per hook, and failures attributed to the hook that failed.

const route = {
  method: 'POST',
  path: '/v1/x',
  plugin: 'p',
  auth: 'none',
  body: 'none',
  pipeline: true,
  scopes: [],
  tags: [],
  errors: 'openai',
} as unknown as RouteInfo;

function chainOf(handles: [Phase, GatewayMiddleware][], handler: GatewayMiddleware) {
  const failures: string[] = [];
  const hooks = new Map<Phase, BoundHook[]>();
  for (const [i, [phase, handle]] of handles.entries())
    hooks.set(phase, [{ plugin: `p${i}`, id: `p${i}:h`, hook: { phase, handle } as BoundHook['hook'] }]);
  const chain = buildRouteChain(route, handler, hooks, {
    tracer: trace.getTracer('test'),
    logger: { error: (msg: string) => failures.push(msg) } as never,
    metrics: { hookErrors: { inc: ({ plugin }: { plugin: string }) => failures.push(`metric ${plugin}`) } } as never,
    defaultBodyLimit: 1024,
  });
  const run = () => {
    const ctx = { state: { sampled: false }, method: 'POST', res: {} } as unknown as Context;
    return Promise.resolve(chain(ctx, async () => {}));
  };
  return { run, failures };
}

describe('route chain (unsampled requests)', () => {
  it('runs the hooks in phase order around the handler and unwinds them in reverse', async () => {
    const seen: string[] = [];
    const { run } = chainOf(
      [
        [
          'request.correlate',
          (_c, next) => {
            seen.push('a in');
            return next().then(() => seen.push('a out'));
          },
        ],
        [
          'request.tenant',
          async (_c, next) => {
            seen.push('b in');
            await next();
            seen.push('b out');
          },
        ],
        ['request.limit', (_c, next) => next()],
      ],
      () => {
        seen.push('handler');
      },
    );
    await run();
    assert.deepEqual(seen, ['a in', 'b in', 'handler', 'b out', 'a out']);
  });

  it('attributes a failure to the hook that failed, and a handler error to no hook', async () => {
    const own = chainOf(
      [
        ['request.correlate', (_c, next) => next()],
        [
          'request.tenant',
          async (_c, next) => {
            await next();
            throw new Error('after next');
          },
        ],
      ],
      () => {},
    );
    await assert.rejects(own.run(), /after next/);
    assert.deepEqual(own.failures, ['metric p1', 'hook p1:h (request.tenant) failed']);

    const sync = chainOf(
      [
        [
          'request.correlate',
          () => {
            throw new Error('sync');
          },
        ],
      ],
      () => {},
    );
    await assert.rejects(sync.run(), /sync/);
    assert.deepEqual(sync.failures, ['metric p0', 'hook p0:h (request.correlate) failed']);

    const handler = chainOf(
      [
        ['request.correlate', (_c, next) => next()],
        [
          'request.tenant',
          async (_c, next) => {
            await next();
          },
        ],
      ],
      () => {
        throw new Error('handler');
      },
    );
    await assert.rejects(handler.run(), /handler/);
    assert.deepEqual(handler.failures, []);

    // A client error (4xx GatewayError) is attributed but not logged or counted.
    const refused = chainOf(
      [
        [
          'request.authenticate',
          () => {
            throw new GatewayError('no', { status: 401, code: 'invalid_api_key' });
          },
        ],
      ],
      () => {},
    );
    await assert.rejects(refused.run(), (err: GatewayError) => err.status === 401);
    assert.deepEqual(refused.failures, []);
  });

  it('refuses a second next() from one hook, and stops where a hook answers without next()', async () => {
    let handled = 0;
    const twice = chainOf(
      [
        [
          'request.correlate',
          async (_c, next) => {
            await next();
            await next();
          },
        ],
      ],
      () => {
        handled++;
      },
    );
    await assert.rejects(twice.run(), /next\(\) called multiple times/);
    assert.equal(handled, 1);

    const answered = chainOf(
      [
        [
          'request.correlate',
          (c) => {
            c.body = 'early';
          },
        ],
      ],
      () => {
        handled++;
      },
    );
    assert.equal(await answered.run(), undefined);
    assert.equal(handled, 1);
  });
});
