import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type KeyValueStore } from '@aihub/core/plugin-api';
import { createMemoryStore, createRedisStore } from '@aihub/core/testing';
import { claimScript, purgeScript, storeScript, unlockScript } from './scripts';

const REDIS_URL = process.env.AIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

for (const kind of ['memory', 'redis'] as const) {
  describe(`cache scripts (${kind})`, () => {
    const prefix = `aihub-test-${randomBytes(4).toString('hex')}:`;
    const store: KeyValueStore =
      kind === 'memory' ? createMemoryStore({ prefix }) : createRedisStore({ url: REDIS_URL, prefix });
    after(async () => {
      await store.deleteByPrefix('');
      await store.close();
    });

    it('claims: hit, lead (lock taken), busy, and miss without a lock', async () => {
      assert.deepEqual(await store.runScript(claimScript, ['e:a', 'l:a'], ['tok1', 5000]), [2]);
      assert.deepEqual(await store.runScript(claimScript, ['e:a', 'l:a'], ['tok2', 5000]), [3]);
      assert.deepEqual(await store.runScript(claimScript, ['e:a', 'l:a'], ['x', 0]), [0]);
      assert.equal(await store.runScript(unlockScript, ['l:a'], ['tok2']), 0, 'only the holder unlocks');
      assert.equal(await store.runScript(unlockScript, ['l:a'], ['tok1']), 1);
      await store.runScript(storeScript, ['e:a', 'i:t'], ['{"v":1}', 5000]);
      assert.deepEqual(await store.runScript(claimScript, ['e:a', 'l:a'], ['tok3', 5000]), [1, '{"v":1}']);
    });

    it("purges a tenant's entries through its index, all or by prefix, in batches", async () => {
      const full = (k: string) => `${prefix}${k}`;
      for (let i = 0; i < 7; i++) await store.runScript(storeScript, [`e:t2:m1:${i}`, 'i:t2'], ['x', 60_000]);
      for (let i = 0; i < 5; i++) await store.runScript(storeScript, [`e:t2:m2:${i}`, 'i:t2'], ['y', 60_000]);
      await store.runScript(storeScript, ['e:t3:m1:0', 'i:t3'], ['z', 60_000]);
      let removed = 0;
      let offset = 0;
      for (;;) {
        const [scanned, gone] = await store.runScript(purgeScript, ['i:t2'], [full('e:t2:m2:'), 3, offset]);
        removed += gone;
        offset += scanned - gone;
        if (scanned < 3) break;
      }
      assert.equal(removed, 5);
      assert.equal(await store.get('e:t2:m2:0'), null);
      assert.equal(await store.get('e:t2:m1:0'), 'x');
      const [, all] = await store.runScript(purgeScript, ['i:t2'], ['', 100, 0]);
      assert.equal(all, 7);
      assert.equal(await store.get('e:t2:m1:6'), null);
      assert.equal(await store.get('e:t3:m1:0'), 'z', 'other tenants untouched');
    });

    it('drops expired members from the index as new entries arrive', async () => {
      await store.runScript(storeScript, ['e:t4:old', 'i:t4'], ['o', 100]);
      await new Promise((r) => setTimeout(r, 150));
      await store.runScript(storeScript, ['e:t4:new', 'i:t4'], ['n', 60_000]);
      const [scanned] = await store.runScript(purgeScript, ['i:t4'], ['', 100, 0]);
      assert.equal(scanned, 1);
    });
  });
}
