import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rateLimitConfig } from './config';
import { resolve, type Subject } from './resolve';

const config = rateLimitConfig.parse({
  defaults: { requestsPerMinute: 600, tokensPerMinute: 100_000 },
  models: { 'gpt-4o': { requestsPerMinute: 100, concurrentRequests: 20, failMode: 'closed' } },
  plans: { free: { requestsPerMinute: 60, tokensPerMinute: 50_000 }, pro: { failMode: 'open' } },
});

const base: Subject = { tenantId: 't1', stored: new Map() };

describe('resolve (most specific policy per dimension)', () => {
  it('falls back to the global defaults, counted per tenant', () => {
    const r = resolve(config, base);
    assert.deepEqual(r.requests, { level: 'global', limit: 600, subject: 't1' });
    assert.deepEqual(r.tokens, { level: 'global', limit: 100_000, subject: 't1' });
    assert.equal(r.concurrency, undefined);
    assert.equal(r.failClosed, false);
  });

  it('uses a model limit over the global one, counted per tenant and model', () => {
    const r = resolve(config, { ...base, model: 'gpt-4o' });
    assert.deepEqual(r.requests, { level: 'model', limit: 100, subject: 't1:m:gpt-4o' });
    assert.deepEqual(r.concurrency, { level: 'model', limit: 20, subject: 't1:m:gpt-4o' });
    assert.equal(r.tokens?.level, 'global');
    assert.equal(r.failClosed, true, 'the model policy fails closed');
  });

  it('ranks key > user > team > tenant per dimension, stored policies before Principal/settings values', () => {
    const stored = new Map([
      ['team:g1', { requestsPerMinute: 30, tokensPerMinute: 3000 }],
      ['user:u1', { tokensPerMinute: 2000 }],
      ['tenant:t1', { concurrentRequests: 4 }],
      ['key:k1', { requestsPerMinute: 10 }],
    ]);
    const r = resolve(config, {
      ...base,
      keyId: 'k1',
      userId: 'u1',
      teamId: 'g1',
      stored,
      principalLimits: { requestsPerMinute: 99, tokensPerMinute: 1000 },
      tenantLimits: { concurrentRequests: 9 },
    });
    assert.deepEqual(
      r.requests,
      { level: 'key', limit: 10, subject: 't1:k:k1' },
      'stored key policy beats the Principal value',
    );
    assert.deepEqual(
      r.tokens,
      { level: 'key', limit: 1000, subject: 't1:k:k1' },
      'Principal key limit beats the user policy',
    );
    assert.deepEqual(
      r.concurrency,
      { level: 'tenant', limit: 4, subject: 't1' },
      'stored tenant policy beats settings',
    );
  });

  it('uses team and user levels when the key sets nothing', () => {
    const stored = new Map([
      ['team:g1', { requestsPerMinute: 30 }],
      ['user:u1', { tokensPerMinute: 2000 }],
    ]);
    const r = resolve(config, { ...base, keyId: 'k1', userId: 'u1', teamId: 'g1', stored });
    assert.deepEqual(r.requests, { level: 'team', limit: 30, subject: 't1:g:g1' });
    assert.deepEqual(r.tokens, { level: 'user', limit: 2000, subject: 't1:u:u1' });
  });

  it('caps every value at the plan bound and fills dimensions the levels leave open', () => {
    const r = resolve(config, {
      ...base,
      plan: 'free',
      keyId: 'k1',
      principalLimits: { requestsPerMinute: 500, tokensPerMinute: 10 },
    });
    assert.deepEqual(r.requests, { level: 'plan', limit: 60, subject: 't1:k:k1' }, 'clamped, still counted per key');
    assert.deepEqual(r.tokens, { level: 'key', limit: 10, subject: 't1:k:k1' }, 'below the bound: unchanged');
    const open = resolve(rateLimitConfig.parse({ plans: { free: { concurrentRequests: 3 } } }), {
      ...base,
      plan: 'free',
    });
    assert.deepEqual(open.concurrency, { level: 'plan', limit: 3, subject: 't1' });
    assert.equal(open.requests, undefined);
  });

  it('applies PLAN_BOUNDS where no level sets a value and caps config defaults with them, never the tenant’s own levels', () => {
    const planLimits = { requestsPerMinute: 30, concurrentRequests: 4 };
    const r = resolve(config, { ...base, planLimits });
    assert.deepEqual(
      r.requests,
      { level: 'plan', limit: 30, subject: 't1' },
      'the global default (600) is above the plan',
    );
    assert.deepEqual(
      r.concurrency,
      { level: 'plan', limit: 4, subject: 't1' },
      'nothing set: the plan bound, not unlimited',
    );
    assert.equal(r.tokens?.level, 'global', 'no bound for tokens: the default stands');
    const own = resolve(config, { ...base, planLimits, stored: new Map([['tenant:t1', { requestsPerMinute: 500 }]]) });
    assert.deepEqual(
      own.requests,
      { level: 'tenant', limit: 500, subject: 't1' },
      'a stored value (a superadmin may exceed the plan) is not clamped',
    );
    const empty = resolve(config, { ...base, planLimits, stored: new Map([['tenant:t1', {}]]) });
    assert.equal(empty.requests?.limit, 30, 'an empty policy inherits');
  });

  it('takes the fail mode from the model, then the plan, then the global setting', () => {
    assert.equal(resolve(config, { ...base, plan: 'pro', model: 'gpt-4o' }).failClosed, true);
    const c = rateLimitConfig.parse({ failMode: 'closed', plans: { pro: { failMode: 'open' } } });
    assert.equal(resolve(c, { ...base, plan: 'pro' }).failClosed, false);
    assert.equal(resolve(c, base).failClosed, true);
  });

  it('ignores non-positive values (absent means inherit)', () => {
    const r = resolve(config, { ...base, keyId: 'k', principalLimits: { requestsPerMinute: 0 } });
    assert.equal(r.requests?.level, 'global');
  });
});
