import { z } from 'zod';

const positive = (what: string) => z.number().int().positive().optional().describe(what);

/** Limits of one policy; an absent dimension falls through to the next less specific level. */
export const limitsSchema = z
  .object({
    requestsPerMinute: positive('Requests allowed per window (per minute at the default windowSeconds)'),
    tokensPerMinute: positive(
      'Tokens (prompt + completion) allowed per window; reserved before the call, reconciled after',
    ),
    concurrentRequests: positive('Requests allowed in flight at the same time'),
  })
  .strict();

const failMode = z
  .enum(['open', 'closed'])
  .optional()
  .describe('When the store (Redis) is unreachable: open lets requests through, closed answers 503');

const configPolicy = limitsSchema.extend({ failMode }).strict();

export const rateLimitConfig = z
  .object({
    defaults: limitsSchema
      .prefault({})
      .describe('Global default limits, counted per tenant (level "global"); the least specific level'),
    models: z
      .record(z.string().min(1), configPolicy)
      .default({})
      .describe('Per-model limits by requested model name, counted per tenant and model (level "model")'),
    plans: z
      .record(z.string().min(1), configPolicy)
      .default({})
      .describe(
        'Per-plan bounds by tenant plan: the ceiling for every limit a tenant gets (values above it are clamped) and what tenant admins may set; used as the tenant limit when nothing more specific exists (level "plan")',
      ),
    failMode: z
      .enum(['open', 'closed'])
      .default('open')
      .describe('Default store-outage behaviour; models and plans may override it (model, then plan, then this)'),
    tags: z
      .array(z.string().min(1))
      .default(['ai'])
      .describe(
        'Route tags to limit. Routes tagged "ai" get requests, tokens and concurrency; other tags get requests and concurrency',
      ),
    windowSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe(
        'Length of the fixed window the per-minute values are counted in; keep 60 in production (tests shorten it)',
      ),
    tokens: z
      .object({
        defaultCompletionTokens: z
          .number()
          .int()
          .min(0)
          .default(1024)
          .describe('Completion tokens reserved when a request sets neither max_tokens nor max_completion_tokens'),
        bytesPerToken: z
          .number()
          .positive()
          .default(4)
          .describe(
            'Prompt estimate: UTF-8 bytes per token (with OpenAI tokenizers ≈4–5 for English, ≈3.6 for CJK, ≈2.5 for code: 4 errs high on prose, low on code); reconciled with the real usage after the call',
          ),
      })
      .strict()
      .prefault({})
      .describe('Token reservation before the upstream call'),
    concurrency: z
      .object({
        leaseSeconds: z
          .number()
          .int()
          .min(5)
          .default(60)
          .describe(
            "Lease of an in-flight request's slot; live requests renew it every third of it, so a crashed instance's slots free up after this long",
          ),
      })
      .strict()
      .prefault({})
      .describe('Concurrency leases'),
    policyCacheSeconds: z
      .number()
      .min(0)
      .default(30)
      .describe(
        'How long tenant, team, key and user policies from the database are cached per instance (admin changes are pushed to every instance at once)',
      ),
    headers: z.boolean().default(true).describe('Send RateLimit-* and x-ratelimit-* headers on limited routes'),
    warnIntervalSeconds: z
      .number()
      .min(1)
      .default(30)
      .describe('At most one "store unreachable" warning per this many seconds (the metric counts every error)'),
  })
  .strict();

export type RateLimitConfig = z.output<typeof rateLimitConfig>;
export type Limits = z.output<typeof limitsSchema>;
export type ConfigPolicy = z.output<typeof configPolicy>;
