import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findUnstorable, sanitizeStorable, sanitizeText } from './storable';

describe('findUnstorable', () => {
  it('finds NUL, lone surrogates and non-finite numbers at any depth, keys included, with their JSON path', () => {
    assert.equal(
      findUnstorable({ a: 'fine', b: [1, { c: 'ok \ud83d\ude00' }] }),
      undefined,
      'a surrogate pair is fine',
    );
    assert.deepEqual(findUnstorable({ event: 'a\u0000b' })?.path, 'event');
    assert.deepEqual(
      findUnstorable({ properties: { items: [{ name: 'x\u0000' }] } })?.path,
      'properties.items[0].name',
    );
    assert.equal(findUnstorable({ p: { 'odd key': '\udc00' } })?.code, 'lone_surrogate');
    assert.equal(findUnstorable({ p: { 'odd key': '\udc00' } })?.path, 'p["odd key"]');
    assert.deepEqual(findUnstorable({ p: { 'k\u0000': 1 } }), {
      path: 'p["k\\u0000"]',
      code: 'nul_character',
      message: findUnstorable({ p: { 'k\u0000': 1 } })!.message,
    });
    assert.equal(findUnstorable(JSON.parse('{"n":1e400}'))?.code, 'non_finite_number');
    assert.equal(findUnstorable({ n: NaN }, 'properties')?.path, 'properties.n');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    assert.equal(findUnstorable(deep)?.code, 'too_deep');
  });
});

describe('sanitizeStorable', () => {
  it('replaces what the database refuses and lists where', () => {
    const input = { model: 'gpt\u0000x', keyId: 'k\ud800', cost: Infinity, nested: { ['a\u0000']: ['ok', '\udfff'] } };
    const { value, replaced } = sanitizeStorable(input);
    assert.deepEqual(value, {
      model: 'gpt\uFFFDx',
      keyId: 'k\uFFFD',
      cost: null,
      nested: { 'a\uFFFD': ['ok', '\uFFFD'] },
    });
    assert.deepEqual(replaced.sort(), ['cost', 'keyId', 'model', 'nested["a\\u0000"]', 'nested["a\\u0000"][1]'].sort());
    const clean = { a: 'b' };
    assert.equal(sanitizeStorable(clean).value, clean, 'a clean value is not copied');
  });

  it('always yields a storable value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (json, text) => {
        const { value } = sanitizeStorable({ json, text, n: Number.NaN });
        assert.equal(findUnstorable(value, '', Number.POSITIVE_INFINITY), undefined);
        assert.equal(findUnstorable(sanitizeText(text)), undefined);
      }),
      { numRuns: 300 },
    );
  });
});
