import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerToken, isJwtShaped } from './hooks';

test('bearerToken: case-insensitive scheme, trimmed, nothing else', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer   abc  '), 'abc');
  assert.equal(bearerToken('BEARER abc'), 'abc');
  assert.equal(bearerToken('Bearer '), undefined);
  assert.equal(bearerToken('Bearer    '), undefined);
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearerabc'), undefined);
  assert.equal(bearerToken('Token abc123'), undefined);
});

test('isJwtShaped: exactly three non-empty parts', () => {
  assert.equal(isJwtShaped('a.b.c'), true);
  assert.equal(isJwtShaped('a.b.'), false);
  assert.equal(isJwtShaped('.b.c'), false);
  assert.equal(isJwtShaped('a..c'), false);
  assert.equal(isJwtShaped('a.b'), false);
  assert.equal(isJwtShaped('a.b.c.d'), false);
  assert.equal(isJwtShaped('abc'), false);
});
