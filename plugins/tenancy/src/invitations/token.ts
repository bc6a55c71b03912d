import { createHash, randomBytes } from 'node:crypto';

/** `aihi_` + 43 base64url characters (256 random bits). */
export const TOKEN_PREFIX = 'aihi_';
const TOKEN_SHAPE = /^aihi_[A-Za-z0-9_-]{43}$/;

/** A new invitation token. Shown once; only its hash is stored. */
export function newInvitationToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Whether a string can be a token at all (checked before any hashing or query). */
export function looksLikeInvitationToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

/**
 * SHA-256 of the token, hex. A plain hash suffices (no salt, no slow KDF): the token has 256 bits of
 * entropy, so its hash cannot be reversed by guessing, and the lookup by hash stays one indexed query.
 */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
