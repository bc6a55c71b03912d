import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dummyVerify, hashPassword, lockDurationMs, needsRehash, parseHash, verifyPasswordHash } from './password';

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$hash with a fresh salt per hash', async () => {
    const a = await hashPassword('correct horse battery staple', 1024);
    const b = await hashPassword('correct horse battery staple', 1024);
    assert.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(parseHash(a)?.N, 1024);
  });

  it('verifies the right password only', async () => {
    const h = await hashPassword('correct horse battery staple', 1024);
    assert.equal(await verifyPasswordHash(h, 'correct horse battery staple'), true);
    assert.equal(await verifyPasswordHash(h, 'correct horse battery stapl'), false);
    assert.equal(await verifyPasswordHash(h, ''), false);
    assert.equal(await verifyPasswordHash(null, 'x'), false);
    assert.equal(
      await verifyPasswordHash('scrypt$99999999$8$1$AAAA$BBBB', 'x'),
      false,
      'corrupt parameters are refused, not run',
    );
    assert.equal(await verifyPasswordHash('bcrypt$whatever', 'x'), false);
    assert.equal(await verifyPasswordHash(h, 'x'.repeat(100_000)), false);
  });

  it('treats canonically equivalent Unicode passwords alike (NFKC)', async () => {
    const h = await hashPassword('caf\u00e9-passw0rd', 1024);
    assert.equal(await verifyPasswordHash(h, 'cafe\u0301-passw0rd'), true);
  });

  it('spends about as long on a missing user as on a wrong password', async () => {
    const h = await hashPassword('correct horse battery staple');
    const time = async (fn: () => Promise<unknown>) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await fn();
        runs.push(performance.now() - t0);
      }
      return runs.sort((x, y) => x - y)[2];
    };
    const real = await time(() => verifyPasswordHash(h, 'wrong password here'));
    const dummy = await time(() => dummyVerify('wrong password here'));
    assert.equal(await dummyVerify(), false);
    assert.ok(dummy > real / 3 && dummy < real * 3, `dummy ${dummy.toFixed(1)} ms vs real ${real.toFixed(1)} ms`);
    assert.ok(real > 5, `a verification should cost real work (took ${real.toFixed(1)} ms)`);
  });

  it('flags hashes made with weaker parameters', async () => {
    assert.equal(needsRehash(await hashPassword('x', 1024)), true);
    assert.equal(needsRehash(await hashPassword('x')), false);
  });
});

describe('lockout backoff', () => {
  const policy = { threshold: 5, baseMs: 60_000, maxMs: 3_600_000 };
  it('locks from the threshold on, doubling up to the maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => lockDurationMs(n, policy)),
      [0, 0, 0, 0],
    );
    assert.deepEqual(
      [5, 6, 7, 8].map((n) => lockDurationMs(n, policy)),
      [60_000, 120_000, 240_000, 480_000],
    );
    assert.equal(lockDurationMs(11, policy), 3_600_000);
    assert.equal(lockDurationMs(1000, policy), 3_600_000);
  });
});
