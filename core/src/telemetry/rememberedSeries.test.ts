import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import client, { Registry } from 'prom-client';
import { RememberedCounter, RememberedHistogram } from './rememberedSeries';

const BUCKETS = [0.01, 0.1, 1];

/** Two registries fed the same calls: prom-client's own metrics, and the remembered ones. */
function pair() {
  const make = (remembered: boolean) => {
    const registry = new Registry();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    const labelNames = ['model', 'provider', 'status'] as const;
    const counterConfig = { name: 'aihub_t_requests', help: 'requests', labelNames, registers: [registry] };
    const histConfig = {
      name: 'aihub_t_seconds',
      help: 'seconds',
      labelNames: ['provider'] as const,
      buckets: BUCKETS,
      registers: [registry],
    };
    const counter = remembered ? new RememberedCounter(counterConfig) : new client.Counter(counterConfig);
    const hist = remembered
      ? new RememberedHistogram(histConfig)
      : new client.Histogram({ ...histConfig, enableExemplars: true });
    const bare = remembered
      ? new RememberedCounter({ name: 'aihub_t_bare', help: 'no labels', registers: [registry] })
      : new client.Counter({ name: 'aihub_t_bare', help: 'no labels', registers: [registry] });
    return { registry, counter, hist, bare };
  };
  return [make(false), make(true)] as const;
}

type Side = ReturnType<typeof pair>[number];

/** Runs `fn` on both sides; both must throw alike or not at all. */
function both(sides: readonly Side[], fn: (s: Side) => void): void {
  const outcomes = sides.map((s) => {
    try {
      fn(s);
      return 'ok';
    } catch (err) {
      return `${(err as Error).constructor.name}: ${(err as Error).message}`;
    }
  });
  assert.equal(outcomes[1], outcomes[0]);
}

/** Exemplar timestamps differ between the two registries; everything else must not. */
const stable = (text: string) => text.replace(/ \d+\.\d+$/gm, ' <ts>');

describe('RememberedCounter / RememberedHistogram', () => {
  it('render exactly what prom-client renders for the same calls, including refused ones', async () => {
    const sides = pair();
    for (let i = 0; i < 50; i++) {
      const status = i % 7 === 0 ? 'error' : 'success';
      both(sides, (s) => s.counter.inc({ model: 'gpt-4o-mini', provider: i % 2 ? 'a' : 'b', status }));
      both(sides, (s) => s.counter.inc({ model: 'gpt-4o-mini', provider: 'a', status }, i));
      both(sides, (s) => s.hist.observe({ labels: { provider: i % 3 ? 'a' : 'b' }, value: i / 10 }));
      both(sides, (s) => s.bare.inc());
    }
    // Values prom-client refuses, on a remembered label set too: the same errors, nothing counted.
    both(sides, (s) => s.counter.inc({ model: 'gpt-4o-mini', provider: 'a', status: 'success' }, -1));
    both(sides, (s) => s.counter.inc({ model: 'gpt-4o-mini', provider: 'a', status: 'success' }, '3' as never));
    both(sides, (s) => s.hist.observe({ labels: { provider: 'a' }, value: Number.POSITIVE_INFINITY }));
    // An extra label, and a missing one, after the set without them was remembered.
    both(sides, (s) =>
      s.counter.inc({ model: 'gpt-4o-mini', provider: 'a', status: 'success', tenant: 't1' } as never),
    );
    both(sides, (s) => s.counter.inc({ model: 'gpt-4o-mini', provider: 'a' } as never));
    both(sides, (s) => s.hist.observe({ labels: { provider: 'a', region: 'eu' } as never, value: 1 }));
    // A number and its string are one series for prom-client.
    both(sides, (s) => s.counter.inc({ model: 'm', provider: 'p', status: 200 as never }));
    both(sides, (s) => s.counter.inc({ model: 'm', provider: 'p', status: '200' }));
    // Exemplars still go through prom-client.
    both(sides, (s) =>
      s.hist.observe({ labels: { provider: 'a' }, value: 0.05, exemplarLabels: { trace_id: 'abc' } as never }),
    );
    assert.equal(stable(await sides[1].registry.metrics()), stable(await sides[0].registry.metrics()));
    assert.match(
      await sides[1].registry.metrics(),
      /aihub_t_requests_total\{model="gpt-4o-mini",provider="a",status="success"\} \d+/,
    );
    assert.match(
      await sides[1].registry.metrics(),
      /aihub_t_seconds_bucket\{le="0.1",provider="a"\} 2 # \{trace_id="abc"\}/,
    );
  });

  it('stop updating a series prom-client dropped (reset, resetMetrics, remove)', async () => {
    const sides = pair();
    const calls = (s: Side) => {
      s.counter.inc({ model: 'x', provider: 'a', status: 'success' }, 2);
      s.hist.observe({ labels: { provider: 'a' }, value: 0.5 });
    };
    both(sides, calls);
    both(sides, (s) => s.counter.reset());
    both(sides, calls);
    both(sides, (s) => s.registry.resetMetrics());
    both(sides, calls);
    both(sides, calls);
    both(sides, (s) => s.counter.remove({ model: 'x', provider: 'a', status: 'success' }));
    both(sides, (s) => s.hist.remove({ provider: 'a' }));
    both(sides, calls);
    const remembered = await sides[1].registry.metrics();
    assert.equal(stable(remembered), stable(await sides[0].registry.metrics()));
    // After the last remove, one round of calls: the value starts again from 2, not from 6.
    assert.match(remembered, /aihub_t_requests_total\{model="x",provider="a",status="success"\} 2\n/);
    assert.match(remembered, /aihub_t_seconds_count\{provider="a"\} 1\n/);
  });
});
