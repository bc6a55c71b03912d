import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEY_SECRET_LENGTH, generateApiKey, generateClientId, generateClientSecret, isKeyId, parseApiKey, randomBase62 } from './keyFormat';

test('generated keys parse back into their id and secret', () => {
  for (let i = 0; i < 200; i++) {
    const { id, secret, key } = generateApiKey();
    assert.match(key, /^ahk_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
    assert.deepEqual(parseApiKey(key), { id, secret });
    assert.equal(isKeyId(id), true);
  }
});

test('anything not shaped like a key is refused', () => {
  const good = generateApiKey().key;
  const bad = [
    '',
    'ahk_',
    good.replace('ahk_', 'ahx_'),
    good.slice(0, 16) + '-' + good.slice(17),
    good.slice(0, 5) + '!' + good.slice(6),
    good + '!',
    `ahk_${'a'.repeat(12)}_${'b'.repeat(31)}`,
    `ahk_${'a'.repeat(12)}_${'b'.repeat(129)}`,
    `ahk_${'a'.repeat(11)}_${'b'.repeat(43)}`,
    `ahk_${'a'.repeat(12)}_${'b'.repeat(42)}_`,
    `ahk_${'a'.repeat(12)}_${'é'.repeat(43)}`,
  ];
  for (const value of bad) assert.equal(parseApiKey(value), undefined, value);
  assert.ok(parseApiKey(`ahk_${'a'.repeat(12)}_${'b'.repeat(32)}`), '32 characters is the shortest accepted secret');
});

test('base62 is uniform enough and secrets are long', () => {
  const counts = new Map<string, number>();
  const sample = randomBase62(62 * 400);
  for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 62);
  for (const n of counts.values()) assert.ok(n > 250 && n < 550, `count ${n}`);
  assert.equal(KEY_SECRET_LENGTH, 43);
  assert.match(generateClientId(), /^ahc_[0-9A-Za-z]{20}$/);
  assert.match(generateClientSecret(), /^ahcs_[0-9A-Za-z]{43}$/);
});
