import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeId, newId } from './ids';

describe('ids', () => {
  it('are prefixed, 26 base32 characters, and sort in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newId('ten', 1_700_000_000_000));
    for (const id of ids) assert.match(id, /^ten_[0-9a-hjkmnp-tv-z]{26}$/);
    assert.deepEqual([...ids].sort(), ids);
    assert.equal(new Set(ids).size, ids.length);
    const later = newId('ten', 1_700_000_000_001);
    assert.ok(later > ids[ids.length - 1]);
    assert.ok(looksLikeId(later));
    assert.ok(!looksLikeId("ten_' OR 1=1"));
  });

  it('stay ordered when the clock steps back', () => {
    const a = newId('usr', 1_800_000_000_000);
    const b = newId('usr', 1_799_999_999_000);
    assert.ok(b > a);
  });
});
