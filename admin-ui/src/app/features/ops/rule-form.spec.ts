import { emptyRuleForm, formToRule, formatSeconds, ruleToForm, type RuleFormValue } from './rule-form';

const valid = (): RuleFormValue => ({
  ...emptyRuleForm(),
  name: 'drain-failing',
  when: { signal: 'error_ratio', subject: ' primary ', above: '0.5', windowSeconds: '60', minSamples: '4' },
});

describe('formToRule', () => {
  it('builds the API body with numbers, trimmed text, and only the chosen action’s fields', () => {
    const v = valid();
    v.action = { ...v.action, alias: 'left over', weight: '7', webhook: 'also left' };
    expect(formToRule(v)).toEqual({
      body: {
        name: 'drain-failing',
        enabled: true,
        dryRun: false,
        cooldownSeconds: 300,
        when: { signal: 'error_ratio', subject: 'primary', above: 0.5, windowSeconds: 60, minSamples: 4 },
        action: { type: 'drain', probe: true },
      },
    });
  });

  it('refuses what the server refuses, each on its field', () => {
    const v = valid();
    v.name = 'Has Spaces';
    v.when.above = 'lots';
    v.when.windowSeconds = '2';
    v.when.minSamples = '1.5';
    v.cooldownSeconds = '';
    const r = formToRule(v);
    expect('invalid' in r && r.invalid.map((i) => `${i.path}:${i.key}`)).toEqual([
      'name:name',
      'when.above:number',
      'when.windowSeconds:integer',
      'when.minSamples:integer',
      'cooldownSeconds:required',
    ]);
  });

  it('asks for the fields each action needs (set_weight alias + weight, force_breaker state, webhook name)', () => {
    const need = (type: RuleFormValue['action']['type']) => {
      const v = valid();
      v.action.type = type;
      const r = formToRule(v);
      return 'invalid' in r ? r.invalid.map((i) => i.path) : [];
    };
    expect(need('set_weight')).toEqual(['action.alias', 'action.weight']);
    expect(need('force_breaker')).toEqual(['action.state']);
    expect(need('webhook')).toEqual(['action.webhook']);
    expect(need('switch_fallback')).toEqual([]);
  });

  it('keeps a weight of 0 (move all traffic away) and sends switch_fallback’s direction', () => {
    const v = valid();
    v.action = { ...v.action, type: 'set_weight', target: 'primary', alias: 'chat', weight: '0' };
    const r = formToRule(v);
    expect('body' in r && r.body.action).toEqual({ type: 'set_weight', target: 'primary', alias: 'chat', weight: 0 });
    v.action = { ...v.action, type: 'switch_fallback', target: 'chat', on: false };
    const s = formToRule(v);
    expect('body' in s && s.body.action).toEqual({ type: 'switch_fallback', target: 'chat', on: false });
  });

  it('round-trips a stored rule through the form', () => {
    const rule = {
      name: 'hold-open',
      description: 'slow upstream',
      enabled: false,
      dryRun: true,
      cooldownSeconds: 600,
      when: { signal: 'latency_p95_ms' as const, above: 2000, windowSeconds: 120, minSamples: 50 },
      action: { type: 'force_breaker' as const, target: 'primary', state: 'open' as const },
    };
    expect(formToRule(ruleToForm(rule))).toEqual({ body: rule });
  });
});

describe('formatSeconds', () => {
  it('uses the largest exact unit', () => {
    expect(formatSeconds(45)).toBe('45 s');
    expect(formatSeconds(300)).toBe('5 min');
    expect(formatSeconds(90)).toBe('90 s');
    expect(formatSeconds(7200)).toBe('2 h');
    expect(formatSeconds(86_400)).toBe('1 d');
    expect(formatSeconds(0)).toBe('0 s');
  });
});
