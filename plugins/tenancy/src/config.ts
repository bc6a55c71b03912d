import { z } from 'zod';

const limits = z
  .object({
    requestsPerMinute: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Largest requests-per-minute limit a tenant on this plan may set'),
    tokensPerMinute: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Largest tokens-per-minute limit a tenant on this plan may set'),
    concurrentRequests: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Largest concurrent-requests limit a tenant on this plan may set'),
  })
  .strict();

const budgets = z
  .object({
    dailyHardMicros: z.number().int().nonnegative().optional().describe('Largest daily hard budget (micro-dollars)'),
    dailySoftMicros: z.number().int().nonnegative().optional().describe('Largest daily soft budget (micro-dollars)'),
    monthlyHardMicros: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Largest monthly hard budget (micro-dollars)'),
    monthlySoftMicros: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('Largest monthly soft budget (micro-dollars)'),
  })
  .strict();

const plan = z
  .object({
    limits: limits.default({}).describe('Upper bounds for the tenant settings `limits` (absent = unbounded)'),
    budgets: budgets.default({}).describe('Upper bounds for the tenant settings `budgets` (absent = unbounded)'),
  })
  .strict();

export const tenancyConfig = z
  .object({
    directoryTtlMs: z
      .number()
      .int()
      .min(0)
      .max(5000)
      .default(5000)
      .describe(
        'How long a tenant lookup is cached in memory (ms, at most 5000). Changes are pushed to every instance at once; the TTL is a safety net',
      ),
    directoryMaxEntries: z
      .number()
      .int()
      .positive()
      .default(50_000)
      .describe('Most tenants kept in the in-memory directory cache'),
    defaultPlan: z.string().min(1).max(64).default('free').describe('Plan of tenants created without one'),
    plans: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'plan names are lower-case letters, digits, - and _'),
        plan,
      )
      .default({
        free: { limits: {}, budgets: {} },
        pro: { limits: {}, budgets: {} },
        enterprise: { limits: {}, budgets: {} },
      })
      .describe(
        "Plans by name with the bounds their tenants' limits and budgets may not exceed (rate-limit and usage read them)",
      ),
    lockout: z
      .object({
        threshold: z.number().int().positive().default(5).describe('Failed logins before the account is locked'),
        baseMs: z
          .number()
          .int()
          .positive()
          .default(60_000)
          .describe('First lock duration; doubles with every further failure'),
        maxMs: z.number().int().positive().default(3_600_000).describe('Longest lock duration'),
      })
      .strict()
      .prefault({})
      .describe(
        "Deprecated, no longer used for sign-in: a whole-account lock let anyone lock out an admin. Sign-in backoff is the auth plugin's `oauth.loginLockout`, per account and client address. Kept so existing configs still validate",
      ),
    password: z
      .object({
        minLength: z
          .number()
          .int()
          .min(8)
          .max(128)
          .default(12)
          .describe('Shortest password accepted for new passwords'),
        scryptN: z
          .number()
          .int()
          .refine((n) => n >= 1024 && n <= 1_048_576 && (n & (n - 1)) === 0, 'a power of two between 1024 and 1048576')
          .default(32768)
          .describe('scrypt cost N for new hashes (stored in each hash, so it can be raised later)'),
        maxConcurrentHashes: z
          .number()
          .int()
          .min(1)
          .max(64)
          .default(2)
          .describe(
            "scrypt derivations running at once in this process (each holds 128·N·r bytes and one of libuv's threadpool threads, 4 by default, which DNS lookups, fs, zlib and SQLite also need)",
          ),
        maxQueuedHashes: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(32)
          .describe(
            'Derivations waiting for a slot; past this, sign-ins and password changes answer 503 password_hashing_busy with Retry-After',
          ),
      })
      .strict()
      .prefault({})
      .describe('Password hashing (scrypt, per-user salt; parameters stored in the hash)'),
    invitations: z
      .object({
        ttlHours: z
          .number()
          .int()
          .min(1)
          .max(8760)
          .default(168)
          .describe('How long an invitation can be accepted (hours; default 7 days)'),
        publicUrl: z
          .string()
          .url()
          .max(2000)
          .refine(
            (u) => /^https?:\/\//.test(u) && !u.endsWith('/') && !u.includes('?') && !u.includes('#'),
            'an http(s) URL without a trailing slash, query or fragment',
          )
          .optional()
          .describe(
            "The gateway's public base URL for accept links, like the auth plugin's issuer (default http://localhost:<port>)",
          ),
        consolePath: z
          .string()
          .regex(/^\/([A-Za-z0-9._~-]+\/)*$/, 'a path that starts and ends with /')
          .default('/admin/')
          .describe('Where the admin console is served; accept links are <publicUrl><consolePath>invite?token=…'),
      })
      .strict()
      .prefault({})
      .describe('Member invitations: expiry and the accept link shown with a new invitation'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (!(cfg.defaultPlan in cfg.plans))
      ctx.addIssue({
        code: 'custom',
        path: ['defaultPlan'],
        message: `"${cfg.defaultPlan}" is not one of the configured plans (${Object.keys(cfg.plans).join(', ')})`,
      });
    if (cfg.lockout.maxMs < cfg.lockout.baseMs)
      ctx.addIssue({ code: 'custom', path: ['lockout', 'maxMs'], message: 'must be at least lockout.baseMs' });
  });

export type TenancyConfig = z.output<typeof tenancyConfig>;
