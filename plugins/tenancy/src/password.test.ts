import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { GatewayError } from '@aihub/core/plugin-api';
import {
  configurePasswordHashing,
  dummyVerify,
  hashPassword,
  lockDurationMs,
  needsRehash,
  observeScryptForTest,
  parseHash,
  passwordHashingLoad,
  verifyPasswordHash,
} from './password';

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

describe('the process-wide bound on scrypt derivations', () => {
  afterEach(() => {
    observeScryptForTest(undefined);
    configurePasswordHashing({ N: 32768, maxConcurrent: 2, maxQueued: 32 });
  });

  /** Counts real scrypt calls in flight (from the calls themselves, not the limiter's bookkeeping). */
  function watchScrypt(): { peak: () => number; started: () => number } {
    let now = 0;
    let peak = 0;
    let started = 0;
    observeScryptForTest((event) => {
      if (event === 'start') {
        started++;
        peak = Math.max(peak, ++now);
      } else now--;
    });
    return { peak: () => peak, started: () => started };
  }

  it('never runs more than maxConcurrent at once; the rest wait their turn and all finish', async () => {
    configurePasswordHashing({ N: 4096, maxConcurrent: 2, maxQueued: 64 });
    const h = await hashPassword('correct horse battery staple');
    const watch = watchScrypt();
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2 ? verifyPasswordHash(h, 'correct horse battery staple') : dummyVerify('wrong password'),
      ),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 24 }, (_, i) => i % 2 === 1),
    );
    assert.equal(watch.started(), 24);
    assert.equal(watch.peak(), 2, 'two derivations at a time, never more');
    assert.deepEqual(passwordHashingLoad(), { running: 0, waiting: 0 });

    configurePasswordHashing({ N: 4096, maxConcurrent: 3 });
    const again = watchScrypt();
    await Promise.all(Array.from({ length: 12 }, () => dummyVerify()));
    assert.equal(again.peak(), 3, 'the bound follows the configuration');
  });

  it('fails fast with password_hashing_busy (503, Retry-After) once the queue is full, then recovers', async () => {
    configurePasswordHashing({ N: 16384, maxConcurrent: 1, maxQueued: 2 });
    const watch = watchScrypt();
    const settled = await Promise.allSettled(Array.from({ length: 7 }, () => dummyVerify()));
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    assert.equal(ok.length, 3, 'one running and two waiting');
    assert.equal(refused.length, 4);
    for (const err of refused) {
      assert.ok(GatewayError.is(err), String(err));
      assert.equal(err.code, 'password_hashing_busy');
      assert.equal(err.status, 503);
      assert.equal(err.headers?.['retry-after'], '1');
      assert.equal(err.expose, true);
    }
    assert.equal(watch.started(), 3, 'refused calls never reach scrypt');
    assert.deepEqual(passwordHashingLoad(), { running: 0, waiting: 0 });
    // Hashing new passwords shares the bound; with the queue drained it works again.
    const h = await hashPassword('correct horse battery staple');
    assert.equal(await verifyPasswordHash(h, 'correct horse battery staple'), true);
  });

  it('a known user with a wrong password and an unknown e-mail still cost alike under contention', async () => {
    configurePasswordHashing({ N: 16384, maxConcurrent: 2, maxQueued: 64 });
    const h = await hashPassword('correct horse battery staple');
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    // Interleaved, all queued at once: both kinds wait in the same FIFO queue.
    const known: Promise<number>[] = [];
    const unknown: Promise<number>[] = [];
    for (let i = 0; i < 8; i++) {
      known.push(timed(() => verifyPasswordHash(h, 'wrong password here')));
      unknown.push(timed(() => dummyVerify('wrong password here')));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const k = median(await Promise.all(known));
    const u = median(await Promise.all(unknown));
    assert.ok(u > k / 2 && u < k * 2, `unknown ${u.toFixed(1)} ms vs known ${k.toFixed(1)} ms`);
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
