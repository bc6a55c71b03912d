import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, createContextKey } from '@opentelemetry/api';
import {
  activeOtelContext,
  ambientValue,
  currentRequest,
  defineAmbientKey,
  runInRequest,
  runWithAmbient,
  runWithOtelContext,
} from './requestContext';

const SCOPE = defineAmbientKey<string>('test.scope');
const OTHER = defineAmbientKey<number>('test.other');
const K = createContextKey('test');

describe('request context (one async storage for request, trace context and ambient values)', () => {
  it('follows the request across awaits, timers and nested runs, and ends with it', async () => {
    const info = { requestId: 'r1' };
    const otel = ROOT_CONTEXT.setValue(K, 'span-ctx');
    await runInRequest(info, otel, async () => {
      await new Promise((r) => setTimeout(r, 1));
      assert.equal(currentRequest(), info);
      assert.equal(activeOtelContext()?.getValue(K), 'span-ctx');
      await runWithAmbient(SCOPE, 'ten_a', async () => {
        await null;
        // Entering a value keeps the request and the trace context.
        assert.equal(currentRequest(), info);
        assert.equal(activeOtelContext()?.getValue(K), 'span-ctx');
        assert.equal(ambientValue(SCOPE), 'ten_a');
        await runWithAmbient(SCOPE, 'ten_b', async () => assert.equal(ambientValue(SCOPE), 'ten_b'));
        assert.equal(ambientValue(SCOPE), 'ten_a', 'the inner value ends with its run');
        assert.equal(ambientValue(OTHER), undefined, 'keys do not see each other');
        // Entering a trace context keeps the ambient values.
        runWithOtelContext(
          ROOT_CONTEXT.setValue(K, 'child'),
          () => {
            assert.equal(activeOtelContext()?.getValue(K), 'child');
            assert.equal(ambientValue(SCOPE), 'ten_a');
            assert.equal(currentRequest(), info);
          },
          [],
        );
      });
      assert.equal(ambientValue(SCOPE), undefined);
    });
    assert.equal(currentRequest(), undefined);
    assert.equal(activeOtelContext(), undefined);
  });

  it('builds a deferred trace context once, on first read, also when read inside an ambient scope', async () => {
    let builds = 0;
    const build = () => {
      builds++;
      return ROOT_CONTEXT.setValue(K, 'deferred');
    };
    await runInRequest({ requestId: 'r-lazy' }, build, async () => {
      let inner: unknown;
      await runWithAmbient(SCOPE, 'ten_a', async () => {
        await null;
        assert.equal(builds, 0, 'entering a scope builds nothing');
        inner = activeOtelContext();
        assert.equal((inner as typeof ROOT_CONTEXT).getValue(K), 'deferred');
      });
      assert.equal(activeOtelContext(), inner, 'the request and its scope share one built context');
      assert.equal(builds, 1);
    });
  });

  it('keeps concurrent requests apart', async () => {
    const seen: string[] = [];
    const one = (id: string, delay: number) =>
      runInRequest({ requestId: id }, undefined, () =>
        runWithAmbient(SCOPE, `scope-${id}`, async () => {
          await new Promise((r) => setTimeout(r, delay));
          seen.push(`${currentRequest()?.requestId}:${ambientValue(SCOPE)}`);
        }),
      );
    await Promise.all([one('a', 15), one('b', 1), one('c', 8)]);
    assert.deepEqual(seen.sort(), ['a:scope-a', 'b:scope-b', 'c:scope-c']);
  });

  it('works outside any request (background jobs): ambient values without a request', async () => {
    assert.equal(currentRequest(), undefined);
    await runWithAmbient(SCOPE, 'job', async () => {
      await null;
      assert.equal(ambientValue(SCOPE), 'job');
      assert.equal(currentRequest(), undefined);
    });
  });
});
