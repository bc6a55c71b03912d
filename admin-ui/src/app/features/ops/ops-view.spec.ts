import { controlView, eventsQuery, formatWeights, type OpsState } from './ops-view';

describe('eventsQuery', () => {
  it('sends the filters the API supports and drops values it would refuse', () => {
    expect(
      eventsQuery({ rule: ' drain-failing ', action: 'drain', outcome: 'acted', cursor: 'abc', limit: 25 }),
    ).toEqual({
      rule: 'drain-failing',
      action: 'drain',
      outcome: 'acted',
      cursor: 'abc',
      limit: 25,
    });
    expect(eventsQuery({ rule: '', action: 'explode', outcome: 'maybe', cursor: '', limit: 500 })).toEqual({
      limit: 200,
    });
  });
});

describe('controlView', () => {
  const state: OpsState = {
    object: 'ops.state',
    enabled: true,
    dry_run: false,
    leader: 'a',
    instance: 'a',
    probe: { enabled: true, intervalMs: 30_000, successes: 3 },
    deployments: [
      {
        id: 'p',
        provider: 'm',
        model: 'a',
        aliases: ['chat'],
        breaker: 'open',
        forcedBreaker: 'open',
        drained: null,
        probing: false,
      },
      {
        id: 's',
        provider: 'm',
        model: 'b',
        aliases: ['chat'],
        breaker: 'closed',
        forcedBreaker: null,
        drained: { reason: 'ops rule x: failing', at: '2026-01-01T00:00:00Z' },
        probing: true,
      },
    ],
    aliases: [
      { alias: 'chat', fallbacks: ['backup'], switchedToFallback: true, weights: { p: 3, s: 0 } },
      { alias: 'backup', fallbacks: [], switchedToFallback: false, weights: { b: 1 } },
    ],
  };
  it('lists drained deployments, forced breakers, switched aliases and weighted aliases', () => {
    const v = controlView(state);
    expect(v.drained.map((d) => d.id)).toEqual(['s']);
    expect(v.forced.map((d) => d.id)).toEqual(['p']);
    expect(v.switched.map((a) => a.alias)).toEqual(['chat']);
    expect(v.weighted.map((a) => a.alias)).toEqual(['chat']);
    expect(formatWeights(v.weighted[0].weights)).toBe('p 3 · s 0');
  });
});
