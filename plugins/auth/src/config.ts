import { SCOPES } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { KEY_FORMAT_HELP, parseApiKey } from './keyFormat';

const scope = z.enum(SCOPES);

/** `''` reads as unset, so `${AIHUB_AUTH_KEY_SECRET:-}` in a config file means "not configured". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === null ? undefined : v), schema.optional());

/** Signature algorithms the authorization server can sign access and ID tokens with. */
export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

const apiKeysConfig = z
  .object({
    defaultScopes: z
      .array(scope)
      .min(1)
      .default(['ai:invoke'])
      .describe('Scopes a new API key gets when the request names none'),
    cacheMax: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(10_000)
      .describe('Most API keys (found and not found) kept in the in-process lookup cache'),
    cacheTtlMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .default(30_000)
      .describe(
        'How long a looked-up key stays cached; bounds how stale a key can be if a revocation message is lost (at most 30 s)',
      ),
    negativeCacheTtlMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .default(10_000)
      .describe('How long an unknown key id is remembered as unknown'),
    lastUsedIntervalMs: z
      .number()
      .int()
      .min(1_000)
      .default(60_000)
      .describe('last_used_at is written at most once per key per interval'),
    lastUsedFlushMs: z
      .number()
      .int()
      .min(100)
      .default(5_000)
      .describe('How often pending last_used_at updates are written (in the background)'),
    maxExpiresInDays: z.number().int().positive().default(3650).describe('Longest lifetime a key may be created with'),
  })
  .strict()
  .prefault({});

const oauthConfig = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('Mount the OAuth 2.0 / OpenID Connect authorization server under /oauth'),
    signingAlg: z
      .enum(SIGNING_ALGS)
      .default('RS256')
      .describe('Algorithm of generated signing keys (RS256 verifies fastest)'),
    signingKeyGraceSeconds: z
      .number()
      .int()
      .min(0)
      .default(86_400)
      .describe(
        'After a rotation, how long tokens signed by the previous key still verify (keep it above accessTokenTtlSeconds)',
      ),
    accessTokenTtlSeconds: z.number().int().min(30).max(86_400).default(900).describe('Lifetime of JWT access tokens'),
    refreshTokenTtlSeconds: z
      .number()
      .int()
      .min(60)
      .default(14 * 86_400)
      .describe('Lifetime of refresh tokens (each rotation issues a new one)'),
    authorizationCodeTtlSeconds: z
      .number()
      .int()
      .min(10)
      .max(600)
      .default(60)
      .describe('Lifetime of authorization codes'),
    sessionTtlSeconds: z
      .number()
      .int()
      .min(60)
      .default(86_400)
      .describe('Lifetime of the login session cookie at the authorization server'),
    interactionTtlSeconds: z
      .number()
      .int()
      .min(60)
      .max(3600)
      .default(600)
      .describe('How long a user has to complete the login page'),
    loginFailuresPerIpPerMinute: z
      .number()
      .int()
      .min(0)
      .default(20)
      .describe(
        "Failed sign-ins one client IP may make per minute, over all accounts, before the login page answers 429 (0: no limit). Set server.trustProxy behind a proxy, so the IP is the client's",
      ),
    loginLockout: z
      .object({
        threshold: z
          .number()
          .int()
          .min(1)
          .default(5)
          .describe('Failed sign-ins to one account from one client address before the first pause'),
        baseMs: z.number().int().min(100).default(30_000).describe('First pause; doubles with every further failure'),
        maxMs: z.number().int().min(100).default(900_000).describe('Longest pause'),
      })
      .strict()
      .prefault({})
      .refine((l) => l.maxMs >= l.baseMs, { message: 'maxMs must be at least baseMs', path: ['maxMs'] })
      .describe(
        'Backoff per account and client address on the login page (replaces the account-wide lock: an attacker elsewhere cannot lock the real user out). Set server.trustProxy behind a proxy',
      ),
    jwtCacheMax: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(10_000)
      .describe('Most verified access tokens cached in process (by token, until they expire)'),
    keyRefreshMinIntervalMs: z
      .number()
      .int()
      .min(100)
      .default(5_000)
      .describe('An unknown `kid` reloads signing keys from the database at most this often'),
    extraAlgorithms: z
      .array(z.enum(SIGNING_ALGS))
      .default([])
      .describe('Algorithms accepted on incoming JWTs besides signingAlg (while migrating algorithms)'),
    clockToleranceSeconds: z
      .number()
      .int()
      .min(0)
      .max(300)
      .default(5)
      .describe('Clock skew tolerated on exp/nbf/iat of incoming JWTs'),
  })
  .strict()
  .prefault({});

const ownersConfig = z
  .object({
    cacheTtlMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(30_000)
      .describe(
        "How long a user's state (status, superadmin, roles) is cached for re-validating their keys and tokens; changes are announced at once, this bounds staleness if an announcement is lost",
      ),
    cacheMax: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(10_000)
      .describe('Most users whose state is cached in process'),
  })
  .strict()
  .prefault({});

const authFailuresConfig = z
  .object({
    perMinute: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe(
        "Failed authentications (401s) one client address may make per minute before its refusals become 429 with Retry-After (0: no limit). Cached valid credentials from that address are still served. Set server.trustProxy behind a proxy, so the address is the client's",
      ),
    maxClients: z
      .number()
      .int()
      .min(100)
      .max(10_000_000)
      .default(100_000)
      .describe('Most client addresses tracked in process'),
  })
  .strict()
  .prefault({});

const bootstrapConfig = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        'On first start against an empty database, create a superadmin, a default tenant and a superadmin API key',
      ),
    adminEmail: optional(z.string().email().max(254)).describe(
      'E-mail of the bootstrap superadmin (AIHUB_BOOTSTRAP_ADMIN_EMAIL; default admin@aihub.local)',
    ),
    adminKey: optional(
      z
        .string()
        .max(200)
        .refine((k) => parseApiKey(k.trim()) !== undefined, {
          message: `AIHUB_BOOTSTRAP_ADMIN_KEY / bootstrap.adminKey is not a valid key: ${KEY_FORMAT_HELP}`,
        }),
    ).describe(
      'Full value of the bootstrap API key, `ahk_<12 base62>_<32–128 base62>` or the checksummed `ahk_<12 base62><6 base62 CRC32>_<32–128 base62>` (AIHUB_BOOTSTRAP_ADMIN_KEY); random when unset',
    ),
    tenantSlug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
      .default('default')
      .describe('Slug of the tenant created at bootstrap'),
    print: z.boolean().default(true).describe('Print the bootstrap credentials once to stdout (never to the log)'),
  })
  .strict()
  .prefault({});

export const authConfig = z
  .object({
    keySecret: optional(
      z.string().min(32, 'use at least 32 characters of random data, e.g. `openssl rand -base64 48`'),
    ).describe(
      'Server secret (≥ 32 chars): keys the HMAC of API keys and OAuth client secrets, and encrypts signing keys. Required when NODE_ENV=production; without it a development secret is generated under the data directory',
    ),
    issuer: optional(
      z
        .string()
        .url()
        .refine(
          (u) => !u.endsWith('/') && !u.includes('?') && !u.includes('#'),
          'the issuer is a URL without a trailing slash, query or fragment',
        ),
    ).describe('OAuth issuer identifier: the public base URL of the gateway (default http://localhost:<port>)'),
    audience: optional(z.string().min(1).max(200)).describe(
      '`aud` of issued access tokens and the one accepted on incoming JWTs (default: the issuer)',
    ),
    apiKeys: apiKeysConfig.describe('API key lookup cache and bookkeeping'),
    oauth: oauthConfig.describe('OAuth 2.0 / OpenID Connect authorization server'),
    bootstrap: bootstrapConfig.describe('First-start bootstrap'),
    owners: ownersConfig.describe(
      "Re-validation of users' keys and tokens against the user's current status, superadmin flag and role",
    ),
    authFailures: authFailuresConfig.describe('Throttling of failed authentications per client address'),
  })
  .strict();

export type AuthConfig = z.output<typeof authConfig>;
