import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  KEY_SECRET_LENGTH,
  generateApiKey,
  generateClientId,
  generateClientSecret,
  isKeyId,
  keyChecksum,
  parseApiKey,
  randomBase62,
} from './keyFormat';

test('generated keys parse back into their id and secret', () => {
  for (let i = 0; i < 200; i++) {
    const { id, secret, key } = generateApiKey();
    assert.match(key, /^ahk_[0-9A-Za-z]{18}_[0-9A-Za-z]{43}$/);
    assert.equal(key.slice(16, 22), keyChecksum(id, secret));
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

test('issue 13 finding 8: keys carry a checksum; a typo or a forgery is refused by the parser, old keys still parse', () => {
  const { id, secret, key } = generateApiKey();
  // Every single-character change anywhere after the prefix breaks the checksum (CRC32 catches them all).
  for (let i = 4; i < key.length; i++) {
    if (key[i] === '_') continue;
    const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
    assert.equal(parseApiKey(typo), undefined, `typo at ${i}`);
  }
  // Random well-formed forgeries: about one in 2^32 would pass; none of these does.
  let passed = 0;
  for (let i = 0; i < 2000; i++) if (parseApiKey(`ahk_${randomBase62(18)}_${randomBase62(43)}`)) passed++;
  assert.equal(passed, 0);
  // The original format (existing keys, AIHUB_BOOTSTRAP_ADMIN_KEY values) has no checksum and still parses.
  const old = `ahk_${id}_${secret}`;
  assert.deepEqual(parseApiKey(old), { id, secret });
  assert.deepEqual(parseApiKey(`ahk_${'a'.repeat(12)}_${'b'.repeat(32)}`), {
    id: 'a'.repeat(12),
    secret: 'b'.repeat(32),
  });
  // Both formats give the same id at offsets 4–16 (what `cut -c5-16` and the key list search read).
  assert.equal(key.slice(4, 16), old.slice(4, 16));
  assert.equal(keyChecksum(id, secret).length, 6);
  assert.equal(keyChecksum('0'.repeat(12), '0'.repeat(43)).length, 6);
});
