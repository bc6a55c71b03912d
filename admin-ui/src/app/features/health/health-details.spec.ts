import { isHealthDetails, sortChecks, type HealthCheck } from './health-details';

const check = (plugin: string, name: string, ok: boolean): HealthCheck => ({
  plugin,
  name,
  ok,
  kind: 'readiness',
  latencyMs: 1,
});

describe('health details', () => {
  it('recognises an answer, including a 503 body', () => {
    expect(isHealthDetails({ status: 'failing', checks: [] })).toBe(true);
    expect(isHealthDetails({ type: 'about:blank', status: 403 })).toBe(false);
    expect(isHealthDetails(null)).toBe(false);
  });
  it('lists failing checks first, then by plugin and name', () => {
    const sorted = sortChecks([
      check('core', 'redis', true),
      check('ai', 'breakers', false),
      check('core', 'database', true),
    ]);
    expect(sorted.map((c) => `${c.plugin}:${c.name}`)).toEqual(['ai:breakers', 'core:database', 'core:redis']);
  });
});
