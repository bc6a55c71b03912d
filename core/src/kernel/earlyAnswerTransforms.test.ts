import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { definePlugin } from '../plugin-api';
import { startOtlpReceiver, startTestGateway, type OtlpReceiver, type TestGateway } from '../testing';

/**
 * Issue 14 item 10: a `cache.lookup` hook that answers in the handler's place (a cache hit) still
 * gets the `response.transform` hooks (the example plugin's header was missing on a hit). Both
 * chain variants (unsampled and kept traces); a refusal there is not transformed.
 */
describe('response transforms on an answer from cache.lookup', () => {
  let handlerRuns = 0;
  const plugin = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'early-probe',
    version: '0.0.0',
    core: '*',
    hooks: () => [
      {
        name: 'lookup',
        phase: 'cache.lookup',
        appliesTo: (route) => route.path.startsWith('/plugins/early-probe/'),
        handle: (c, next) => {
          if (c.query.hit === 'sync') {
            c.body = { from: 'cache' };
            return undefined as unknown as Promise<void>;
          }
          if (c.query.hit === 'async') {
            return new Promise<void>((r) => setTimeout(r, 1)).then(() => {
              c.body = { from: 'cache' };
            });
          }
          return next();
        },
      },
      {
        name: 'stamp',
        phase: 'response.transform',
        appliesTo: (route) => route.path.startsWith('/plugins/early-probe/'),
        handle: (c) => {
          c.set('x-stamp', 'yes');
        },
      },
    ],
    routes(router) {
      router.get(
        '/answer',
        (c) => {
          handlerRuns++;
          c.body = { from: 'handler' };
        },
        { auth: 'none', summary: 'probe' },
      );
    },
  });

  for (const sampleRatio of [0, 1]) {
    describe(sampleRatio ? 'kept trace' : 'unsampled', () => {
      let receiver: OtlpReceiver;
      let gw: TestGateway;
      before(async () => {
        receiver = await startOtlpReceiver();
        gw = await startTestGateway({
          plugins: [plugin],
          config: { telemetry: { tracing: { endpoint: `${receiver.url}/v1/traces`, sampleRatio } } },
        });
      });
      after(async () => {
        await gw?.stop();
        await receiver?.close();
      });

      it('stamps the handler’s answer and a hook’s answer (sync and async) alike, once', async () => {
        const runs = handlerRuns;
        for (const hit of ['', 'sync', 'async']) {
          const res = await gw.fetch(`/plugins/early-probe/answer${hit ? `?hit=${hit}` : ''}`);
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), { from: hit ? 'cache' : 'handler' });
          assert.equal(res.headers.get('x-stamp'), 'yes', `x-stamp on ${hit || 'the handler'}'s answer`);
        }
        assert.equal(handlerRuns, runs + 1, 'the handler ran for the miss only');
      });
    });
  }
});
