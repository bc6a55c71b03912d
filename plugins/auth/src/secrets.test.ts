import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServerSecrets } from './secrets';

const a = new ServerSecrets('a'.repeat(40), 'config');
const b = new ServerSecrets('b'.repeat(40), 'config');

test('HMAC verification is keyed by the server secret', () => {
  const stored = a.hmac('secret-value');
  assert.equal(a.verify('secret-value', stored), true);
  assert.equal(a.verify('secret-valuf', stored), false);
  assert.equal(b.verify('secret-value', stored), false, 'another server secret does not verify');
  assert.equal(a.verify('secret-value', stored.subarray(0, 16)), false, 'a truncated hash never verifies');
});

test('encryption is authenticated and bound to its label', () => {
  const blob = a.encrypt('{"d":"private"}', 'kid-1');
  assert.ok(!blob.includes('private'));
  assert.equal(a.decrypt(blob, 'kid-1'), '{"d":"private"}');
  assert.throws(() => a.decrypt(blob, 'kid-2'), 'swapped to another row');
  assert.throws(() => b.decrypt(blob, 'kid-1'), 'another server secret');
  const [v, iv, tag, ct] = blob.split('.');
  const flipped = Buffer.from(ct, 'base64url');
  flipped[0] ^= 1;
  assert.throws(() => a.decrypt([v, iv, tag, flipped.toString('base64url')].join('.'), 'kid-1'), 'tampered ciphertext');
  assert.notEqual(a.encrypt('x', 'l'), a.encrypt('x', 'l'), 'random IV per encryption');
});

test('derived keys differ per purpose', () => {
  assert.notEqual(a.cookieKeys[0], b.cookieKeys[0]);
  assert.notEqual(a.cookieKeys[0], a.hmac('oidc-cookies').toString('base64url'));
});
