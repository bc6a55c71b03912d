/**
 * Password hashing with scrypt (node:crypto): a random 16-byte salt per hash and the parameters in the
 * stored string, `scrypt$N$r$p$<salt>$<hash>` (base64url), so the cost can be raised later without
 * invalidating existing hashes. Verification is constant-time, and `dummyVerify` spends the same
 * effort when there is no user, so login timing does not tell whether an e-mail is registered.
 *
 * Every derivation (hash, verify, dummy) goes through one process-wide limiter: at most
 * `maxConcurrent` scrypt runs at once (each holds ~33.5 MB and a libuv threadpool thread for
 * 50-100 ms at N=32768), the rest wait in a bounded FIFO queue, and past that the call fails fast
 * with `password_hashing_busy` (503, Retry-After). Without the bound a distributed login flood fills
 * all 4 threadpool threads with scrypt, and dns.lookup, fs, zlib and SQLite queue behind them.
 * Known and unknown users share the limiter, so waiting in it does not tell them apart either.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { TenancyErrors } from './errors';

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const R = 8;
const P = 1;
/** Longer inputs are refused without hashing them at full length (a DoS guard). */
export const MAX_PASSWORD_LENGTH = 1024;

let defaultN = 32768;
let maxConcurrent = 2;
let maxQueued = 32;
let running = 0;
const waiting: (() => void)[] = [];
/** Test seam: told when a real scrypt call starts and when it ends (never set in production). */
let observer: ((event: 'start' | 'end') => void) | undefined;

/**
 * Sets the scrypt cost used for new hashes and for `dummyVerify`, and the process-wide bound on
 * concurrent derivations and waiting ones (the plugin calls it at start; the last call wins).
 */
export function configurePasswordHashing(options: { N: number; maxConcurrent?: number; maxQueued?: number }): void {
  defaultN = options.N;
  if (options.maxConcurrent !== undefined) maxConcurrent = Math.max(1, Math.floor(options.maxConcurrent));
  if (options.maxQueued !== undefined) maxQueued = Math.max(0, Math.floor(options.maxQueued));
  // A raised bound lets waiting derivations start now.
  while (running < maxConcurrent && waiting.length > 0) {
    running++;
    waiting.shift()!();
  }
}

/** Derivations running and waiting now (for diagnostics and tests). */
export function passwordHashingLoad(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}

/** Test seam: observes every real scrypt call (start and end); `undefined` removes the observer. */
export function observeScryptForTest(fn: ((event: 'start' | 'end') => void) | undefined): void {
  observer = fn;
}

/** Waits for a slot; throws `password_hashing_busy` at once when the queue is full. */
function acquire(): Promise<void> | undefined {
  if (running < maxConcurrent) {
    running++;
    return undefined;
  }
  if (waiting.length >= maxQueued)
    throw TenancyErrors.create(
      'password_hashing_busy',
      'Too many passwords are being checked or set right now; try again in a few seconds.',
      { headers: { 'retry-after': '1' }, expose: true },
    );
  // The slot is handed over by release() (running is not decremented in between).
  return new Promise((resolve) => waiting.push(resolve));
}

/** Hands the slot to the next waiting derivation, or frees it (also when the bound was lowered). */
function release(): void {
  if (running <= maxConcurrent && waiting.length > 0) waiting.shift()!();
  else running--;
}

async function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  length: number,
): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  const normalized = password.normalize('NFKC');
  await acquire();
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      observer?.('start');
      scrypt(normalized, salt, length, options, (err, key) => {
        observer?.('end');
        if (err) reject(err);
        else resolve(key);
      });
    });
  } finally {
    release();
  }
}

/** Hashes a password for storage. */
export async function hashPassword(password: string, N = defaultN): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, N, R, P, KEY_LENGTH);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Parses a stored hash, refusing parameters outside sane bounds (a corrupt row must not pin the CPU). */
export function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(N) || N < 1024 || N > 1_048_576 || (N & (N - 1)) !== 0) return undefined;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 128) return undefined;
  return { N, r, p, salt, key };
}

const DUMMY_SALT = randomBytes(SALT_LENGTH);

/**
 * Costs what verifying a real password costs and resolves false. Call it when the user does not
 * exist (or has no password) so the response time does not reveal that.
 */
export async function dummyVerify(password = 'dummy-password'): Promise<false> {
  const key = await derive(password.slice(0, MAX_PASSWORD_LENGTH), DUMMY_SALT, defaultN, R, P, KEY_LENGTH);
  timingSafeEqual(key, key);
  return false;
}

/** True when `password` matches the stored hash; false for a wrong password, no hash or a corrupt one. */
export async function verifyPasswordHash(stored: string | null | undefined, password: string): Promise<boolean> {
  const parsed = stored ? parseHash(stored) : undefined;
  if (!parsed || typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH)
    return dummyVerify(typeof password === 'string' ? password : undefined);
  const key = await derive(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made with weaker parameters than the current ones (rehash on next login). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N < defaultN || parsed.r < R || parsed.key.length < KEY_LENGTH;
}

/** The lock duration after `failedLogins` consecutive failures: none below the threshold, then base·2^k, capped. */
export function lockDurationMs(
  failedLogins: number,
  policy: { threshold: number; baseMs: number; maxMs: number },
): number {
  if (failedLogins < policy.threshold) return 0;
  const doublings = Math.min(failedLogins - policy.threshold, 40);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** doublings);
}
