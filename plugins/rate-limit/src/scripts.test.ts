import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type KeyValueStore } from '@aihub/core/plugin-api';
import { createMemoryStore, createRedisStore } from '@aihub/core/testing';
import {
  ADMIT_CONCURRENCY,
  ADMIT_OK,
  ADMIT_REQUESTS,
  ADMIT_TOKENS,
  admitScript,
  renewScript,
  settleScript,
} from './scripts';

const REDIS_URL = process.env.AIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The Lua scripts and their JS twins must behave identically: one suite, both stores. */
for (const kind of ['memory', 'redis'] as const) {
  describe(`limiter scripts (${kind})`, () => {
    const prefix = `aihub-test-${randomBytes(4).toString('hex')}:`;
    const store: KeyValueStore =
      kind === 'memory' ? createMemoryStore({ prefix }) : createRedisStore({ url: REDIS_URL, prefix });
    after(async () => {
      await store.deleteByPrefix('');
      await store.close();
    });
    // A window long enough that a test never straddles two.
    const W = 3_600_000;
    const admit = (id: string, rpm: number, tpm: number, cost: number, conc: number, member = '', lease = 60_000) =>
      store.runScript(admitScript, [`r:${id}`, `t:${id}`, `c:${id}`], [W, rpm, tpm, cost, conc, member, lease]);

    it('admits up to the request limit, then refuses without consuming', async () => {
      for (let i = 1; i <= 3; i++) {
        const r = await admit('a', 3, 0, 0, 0);
        assert.equal(r[0], ADMIT_OK);
        assert.equal(r[1], i);
        assert.ok(r[4] > 0 && r[4] <= W);
      }
      const refused = await admit('a', 3, 0, 0, 0);
      assert.equal(refused[0], ADMIT_REQUESTS);
      assert.equal(refused[1], 3);
    });

    it('reserves tokens, refuses a reservation that does not fit, and consumes nothing of a refused request', async () => {
      assert.equal((await admit('b', 10, 1000, 600, 0))[0], ADMIT_OK);
      const refused = await admit('b', 10, 1000, 500, 0);
      assert.equal(refused[0], ADMIT_TOKENS);
      assert.equal(refused[2], 600);
      // The refused request did not count as a request either.
      const ok = await admit('b', 10, 1000, 400, 0);
      assert.equal(ok[0], ADMIT_OK);
      assert.equal(ok[1], 2);
      assert.equal(ok[2], 1000);
    });

    it('settles: refunds into the reservation window and releases the lease', async () => {
      const r = await admit('c', 0, 1000, 800, 1, 'm1');
      assert.equal(r[0], ADMIT_OK);
      assert.equal((await admit('c', 0, 1000, 100, 1, 'm2'))[0], ADMIT_CONCURRENCY);
      await store.runScript(settleScript, [`t:c:${r[5]}`, 'c:c'], [1, -500, 'm1']);
      const next = await admit('c', 0, 1000, 600, 1, 'm3');
      assert.equal(next[0], ADMIT_OK, 'refund made room and the lease was released');
      assert.equal(next[2], 900);
      assert.equal(next[3], 1);
    });

    it('does not resurrect an expired window when settling', async () => {
      await store.runScript(settleScript, ['t:gone:1'], [1, 50]);
      assert.equal(await store.get('t:gone:1'), null);
    });

    it('expires a lease nobody releases (crashed instance) and renews a live one', async () => {
      assert.equal((await admit('d', 0, 0, 0, 1, 'dead', 300))[0], ADMIT_OK);
      assert.equal((await admit('d', 0, 0, 0, 1, 'x', 300))[0], ADMIT_CONCURRENCY);
      await new Promise((r) => setTimeout(r, 350));
      assert.equal((await admit('d', 0, 0, 0, 1, 'live', 300))[0], ADMIT_OK, 'the dead lease expired');
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 150));
        assert.equal(await store.runScript(renewScript, ['c:d'], ['live', 300]), 1);
      }
      assert.equal(
        (await admit('d', 0, 0, 0, 1, 'y', 300))[0],
        ADMIT_CONCURRENCY,
        'the renewed lease is still held after 450 ms',
      );
      assert.equal(await store.runScript(renewScript, ['c:d'], ['never-admitted', 300]), 0);
    });
  });
}
