/**
 * The write-ahead hook's publishing: a call alone publishes its pending record at once (no event-loop
 * turn before the upstream call); calls that overlap are grouped into one queue write per turn; in
 * both cases the upstream call (next) starts only after the record was handed off.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AiCallKey, type GatewayContext, type PluginContext } from '@aihub/core/plugin-api';
import type { UsageConfig } from './config';
import type { UsageMetrics } from './metrics';
import { writeAheadHook } from './writeAhead';

function setup() {
  const writes: Record<string, unknown>[][] = [];
  const ctx = {
    config: { writeAhead: { enabled: true, onFailure: 'continue' } },
    logger: { warn: () => {} },
    queue: {
      publishHandedOff: (_topic: string, payloads: Record<string, unknown>[]) => {
        writes.push(payloads);
        return { handedOff: Promise.resolve(), durable: Promise.resolve(payloads.map(() => '1-0')) };
      },
    },
  } as unknown as PluginContext<UsageConfig>;
  const metrics = { writeAheadFailures: { inc: () => {} } } as unknown as UsageMetrics;
  const hook = writeAheadHook(ctx, metrics);
  const request = (id: string) => {
    const c = {
      state: { requestId: id, startedAt: performance.now() },
      request: { body: { messages: [{ role: 'user', content: 'hello' }] } },
    } as unknown as GatewayContext;
    AiCallKey.set(c, { endpoint: 'chat.completions', model: 'm', stream: false } as never);
    let finish!: () => void;
    const upstream = new Promise<void>((resolve) => (finish = resolve));
    let called = false;
    const served = hook.handle(c, () => {
      called = true;
      return upstream;
    }) as Promise<unknown>;
    return { served, finish, called: () => called };
  };
  const ids = () => writes.map((w) => w.map((r) => r.requestId));
  return { request, writes, ids };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('write-ahead publishing', () => {
  it('publishes a call that is alone at once, and calls the upstream only after the hand-off', async () => {
    const t = setup();
    const a = t.request('a');
    assert.deepEqual(t.ids(), [['a']], 'written inside the hook, before any turn');
    assert.equal(a.called(), false, 'the upstream call waits for the hand-off');
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(a.called(), true);
    a.finish();
    await a.served;
    // The first call has ended: the next one is alone again.
    const b = t.request('b');
    assert.deepEqual(t.ids(), [['a'], ['b']]);
    b.finish();
    await b.served;
  });

  it('groups the records of calls that overlap another call into one write per turn', async () => {
    const t = setup();
    const a = t.request('a');
    const b = t.request('b');
    const c = t.request('c');
    assert.deepEqual(t.ids(), [['a']], 'b and c wait for the turn: a is in flight');
    await turn();
    assert.deepEqual(t.ids(), [['a'], ['b', 'c']]);
    await Promise.resolve();
    await Promise.resolve();
    assert.ok(b.called() && c.called(), 'upstream calls start after their write');
    for (const r of [a, b, c]) r.finish();
    await Promise.all([a.served, b.served, c.served]);
    const d = t.request('d');
    assert.deepEqual(t.ids().at(-1), ['d'], 'alone again once the others ended');
    d.finish();
    await d.served;
  });
});
