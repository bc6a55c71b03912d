import { describe, expect, it } from 'vitest';
import { formatDuration, REQUEST_URL_DEFAULTS, toApiQuery, traceLink } from './request-filters';

describe('request explorer filters', () => {
  it('turns the URL state into the API query: dollars to micro-dollars, empty filters left out', () => {
    expect(toApiQuery(REQUEST_URL_DEFAULTS)).toEqual({ limit: 25 });
    expect(
      toApiQuery({
        ...REQUEST_URL_DEFAULTS,
        status: 'error',
        model: ' gpt-4o ',
        min_cost: '0.0015',
        max_cost: '$2',
        min_latency_ms: '100',
        cache_hit: 'false',
        from: '2025-03-10T00:00:00.000Z',
        cursor: 'abc',
        limit: 50,
      }),
    ).toEqual({
      status: 'error',
      model: 'gpt-4o',
      min_cost_micros: 1500,
      max_cost_micros: 2_000_000,
      min_latency_ms: 100,
      cache_hit: 'false',
      from: '2025-03-10T00:00:00.000Z',
      cursor: 'abc',
      limit: 50,
    });
  });

  it('filters by error code (e.g. the refusals of unknown models), trimmed', () => {
    expect(toApiQuery({ ...REQUEST_URL_DEFAULTS, status: 'error', error_code: ' model_not_found ' })).toEqual({
      status: 'error',
      error_code: 'model_not_found',
      limit: 25,
    });
  });

  it('drops values the API would refuse instead of failing the page', () => {
    expect(
      toApiQuery({
        ...REQUEST_URL_DEFAULTS,
        status: 'weird',
        min_cost: 'abc',
        max_latency_ms: 'x',
        cache_hit: 'maybe',
      }),
    ).toEqual({ limit: 25 });
  });

  it('links a trace only with a template and a valid trace id', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(traceLink('http://jaeger:16686/trace/{traceId}', id)).toBe(`http://jaeger:16686/trace/${id}`);
    expect(traceLink(null, id)).toBeNull();
    expect(traceLink('http://jaeger/trace/{traceId}', null)).toBeNull();
    expect(traceLink('http://jaeger/trace/{traceId}', 'not-hex"><script>')).toBeNull();
  });

  it('formats durations with fractions where they matter', () => {
    expect(formatDuration(1.256)).toBe('1.26 ms');
    expect(formatDuration(250.4)).toBe('250 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(null)).toBe('—');
  });
});
