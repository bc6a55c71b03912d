import { controlView, eventsQuery, formatWeights, weightRows, type OpsState } from './ops-view';

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
        probe: null,
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
        probe: {
          streak: 1,
          required: 3,
          lastResult: 'ok',
          lastStatus: 200,
          lastError: null,
          lastAt: '2026-01-01T00:01:00Z',
        },
      },
    ],
    aliases: [
      {
        alias: 'chat',
        fallbacks: ['backup'],
        switchedToFallback: true,
        weights: { p: 3, s: 0 },
        configuredWeights: { p: 3, s: 1 },
        overridden: ['s'],
      },
      {
        alias: 'backup',
        fallbacks: [],
        switchedToFallback: false,
        weights: { b: 1 },
        configuredWeights: { b: 1 },
        overridden: [],
      },
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
  it('tells an overridden weight from a configured one', () => {
    expect(weightRows(state.aliases[0])).toEqual([
      { deployment: 'p', weight: 3, configured: 3, overridden: false },
      { deployment: 's', weight: 0, configured: 1, overridden: true },
    ]);
  });
});
