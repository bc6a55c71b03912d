import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InterruptibleSleep, retryTransientDb } from './transientErrors';

const transient = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function options(stopping = () => false) {
  const seen: string[] = [];
  return {
    seen,
    opts: {
      initialMs: 5,
      maxMs: 20,
      sleeper: new InterruptibleSleep(),
      stopping,
      onRetry: (_err: unknown, first: boolean) => seen.push(first ? 'retry(first)' : 'retry'),
      onGiveUp: () => seen.push('give-up'),
      onResumed: () => seen.push('resumed'),
    },
  };
}

describe('retryTransientDb', () => {
  it('retries transient failures until success and reports the first retry and the resumption', async () => {
    let calls = 0;
    const { seen, opts } = options();
    const result = await retryTransientDb(async () => {
      if (++calls < 3) throw transient();
      return 'ok';
    }, opts);
    assert.equal(result, 'ok');
    assert.deepEqual(seen, ['retry(first)', 'retry', 'resumed']);
  });

  it('throws a failure that is not transient at once', async () => {
    const { seen, opts } = options();
    await assert.rejects(
      retryTransientDb(() => Promise.reject(new Error('syntax error at or near')), opts),
      /syntax error/,
    );
    assert.deepEqual(seen, ['give-up']);
  });

  it('stops retrying once stopping, and interrupt() cuts a backoff wait short', async () => {
    let stopping = false;
    const { seen, opts } = options(() => stopping);
    opts.initialMs = 60_000;
    const started = Date.now();
    const run = retryTransientDb(() => Promise.reject(transient()), opts);
    setTimeout(() => {
      stopping = true;
      opts.sleeper.interrupt();
    }, 20);
    await assert.rejects(run, /ECONNREFUSED/);
    assert.ok(Date.now() - started < 5000, 'the 60 s backoff was interrupted');
    assert.deepEqual(seen, ['retry(first)', 'give-up']);
  });
});
