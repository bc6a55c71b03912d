import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ROOT_CONTEXT, createContextKey } from '@opentelemetry/api';
import {
  ambientValue,
  currentRequest,
  defineAmbientKey,
  runInRequest,
  runWithAmbient,
} from '../services/requestContext';
import { SharedContextManager } from './SharedContextManager';

const K = createContextKey('test');
const SCOPE = defineAmbientKey<string>('test.scope');

describe('SharedContextManager (OpenTelemetry context on the gateway storage)', () => {
  const cm = new SharedContextManager().enable();

  it('is the root context outside any run, and the entered context inside with(), across awaits', async () => {
    assert.equal(cm.active(), ROOT_CONTEXT);
    const ctx = ROOT_CONTEXT.setValue(K, 1);
    const result = await cm.with(
      ctx,
      async (a: number, b: number) => {
        await new Promise((r) => setTimeout(r, 1));
        assert.equal(cm.active().getValue(K), 1);
        await cm.with(cm.active().setValue(K, 2), async () => {
          await null;
          assert.equal(cm.active().getValue(K), 2);
        });
        assert.equal(cm.active().getValue(K), 1);
        return a + b;
      },
      undefined,
      2,
      3,
    );
    assert.equal(result, 5, 'arguments are passed through');
    assert.equal(cm.active(), ROOT_CONTEXT);
  });

  it('binds thisArg, and keeps the request and ambient values around it', () => {
    const info = { requestId: 'r1' };
    runInRequest(info, ROOT_CONTEXT.setValue(K, 'kernel'), () =>
      runWithAmbient(SCOPE, 'ten_a', () => {
        assert.equal(cm.active().getValue(K), 'kernel', 'the kernel entered the request span context');
        const self = { n: 7 };
        cm.with(
          ROOT_CONTEXT.setValue(K, 'hook'),
          function (this: typeof self) {
            assert.equal(this.n, 7);
            assert.equal(cm.active().getValue(K), 'hook');
            assert.equal(currentRequest(), info);
            assert.equal(ambientValue(SCOPE), 'ten_a');
          },
          self,
        );
      }),
    );
  });

  it('bind(): functions and event emitter listeners run in the bound context', async () => {
    const ctx = ROOT_CONTEXT.setValue(K, 'bound');
    const fn = cm.bind(ctx, () => cm.active().getValue(K));
    assert.equal(fn(), 'bound');
    const ee = cm.bind(ctx, new EventEmitter());
    const got = new Promise((resolve) => ee.on('x', () => resolve(cm.active().getValue(K))));
    cm.with(ROOT_CONTEXT.setValue(K, 'emitter-side'), () => ee.emit('x'));
    assert.equal(await got, 'bound');
  });

  it('attach() makes a context active until disposed', () => {
    cm.with(ROOT_CONTEXT.setValue(K, 'outer'), () => {
      const token = cm.attach(ROOT_CONTEXT.setValue(K, 'attached'));
      assert.equal(cm.active().getValue(K), 'attached');
      token.dispose();
      token.dispose();
      assert.equal(cm.active().getValue(K), 'outer');
    });
  });
});
