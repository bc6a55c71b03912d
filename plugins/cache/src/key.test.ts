import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheKey, canonicalJson, keyPrefix, normalizedRequest } from './key';

const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };

describe('cache key', () => {
  it('is the same for key order, ignored fields and default-valued parameters', () => {
    const k = cacheKey('t1', 'gpt-4o', body);
    assert.equal(
      cacheKey('t1', 'gpt-4o', {
        temperature: 0,
        messages: [{ content: 'hi', role: 'user' }],
        model: 'gpt-4o',
        user: 'u',
        stream: true,
        stream_options: { include_usage: true },
        metadata: { x: '1' },
        n: 1,
        top_p: 1,
      }),
      k,
    );
  });

  it('differs for tenant, model and every answer-changing parameter', () => {
    const k = cacheKey('t1', 'gpt-4o', body);
    assert.notEqual(cacheKey('t2', 'gpt-4o', body), k);
    assert.notEqual(cacheKey('t1', 'gpt-4o-mini', body), k);
    for (const extra of [
      { max_tokens: 5 },
      { seed: 1 },
      { stop: ['x'] },
      { n: 2 },
      { tools: [] },
      { tool_choice: 'none' },
      { response_format: { type: 'json_object' } },
      { top_p: 0.5 },
      { some_new_param: true },
    ]) {
      assert.notEqual(cacheKey('t1', 'gpt-4o', { ...body, ...extra }), k, JSON.stringify(extra));
    }
    assert.notEqual(cacheKey('t1', 'gpt-4o', { ...body, messages: [{ role: 'user', content: 'hi ' }] }), k);
    assert.notEqual(cacheKey('t1', 'gpt-4o', body, 'exp/b'), k, 'experiment variants keep their own entries');
    assert.notEqual(cacheKey('t1', 'gpt-4o', body, 'exp/b'), cacheKey('t1', 'gpt-4o', body, 'exp/a'));
  });

  it("leads with the encoded tenant and model so one model never matches another model's purge prefix", () => {
    const k = cacheKey('t:1', 'llama3:8b', body);
    assert.ok(k.startsWith(keyPrefix('t:1', 'llama3:8b')));
    assert.ok(!k.startsWith(keyPrefix('t:1', 'llama3')));
    assert.ok(k.startsWith(keyPrefix('t:1')));
    assert.ok(!k.startsWith(keyPrefix('t')));
  });

  it('writes canonical JSON', () => {
    assert.equal(
      canonicalJson({ b: [2, { d: 1, c: null }], a: 'x', u: undefined }),
      '{"a":"x","b":[2,{"c":null,"d":1}]}',
    );
    assert.equal(normalizedRequest({ model: 'm', user: 'u', temperature: 0 }), '{"temperature":0}');
  });
});
