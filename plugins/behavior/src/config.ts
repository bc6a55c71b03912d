import { z } from 'zod';

export const behaviorConfig = z
  .object({
    ingest: z
      .object({
        maxBatchEvents: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(2500)
          .describe('Most events accepted in one /v1/batch call'),
        maxBatchBytes: z
          .number()
          .int()
          .positive()
          .default(500 * 1024)
          .describe('Largest /v1/batch body in bytes (Segment: 500 KB)'),
        maxEventBytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024)
          .describe('Largest single event in bytes, JSON-encoded (Segment: 32 KB)'),
        maxFutureSkewMs: z
          .number()
          .int()
          .nonnegative()
          .default(24 * 3600_000)
          .describe('Event timestamps later than now + this are set to the receive time'),
      })
      .strict()
      .prefault({})
      .describe(
        'Ingestion limits of /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias and /v1/batch',
      ),
    consumer: z
      .object({
        enabled: z.boolean().default(true).describe('Consume events into the database in this instance'),
        batchSize: z
          .number()
          .int()
          .min(1)
          .max(5000)
          .default(1000)
          .describe('Events read from the queue and written per transaction'),
        blockMs: z.number().int().positive().default(1000).describe('How long one queue read waits for events'),
        lingerMs: z
          .number()
          .int()
          .min(0)
          .default(100)
          .describe(
            'After a batch smaller than batchSize, wait this long before reading again, so light traffic is written in fewer, larger transactions (0: write at once)',
          ),
        claimIdleMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe('Events a dead consumer held this long are taken over'),
        retryInitialMs: z
          .number()
          .int()
          .positive()
          .default(200)
          .describe('First wait before retrying a batch while the database is unreachable'),
        retryMaxMs: z.number().int().positive().default(5000).describe('Longest wait between retries'),
      })
      .strict()
      .prefault({})
      .describe('The queue consumer that writes events and profiles'),
    retention: z
      .object({
        intervalMs: z.number().int().positive().default(3_600_000).describe('How often expired events are deleted'),
        batchSize: z
          .number()
          .int()
          .min(100)
          .max(100_000)
          .default(5000)
          .describe('Rows deleted per statement (keeps locks short)'),
        defaultDays: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Retention for tenants whose settings set no retentionDays (unset: keep forever)'),
      })
      .strict()
      .prefault({})
      .describe('Per-tenant retention (TenantKey.settings.retentionDays) and the deletion job'),
    analytics: z
      .object({
        sessionInactivityMinutes: z
          .number()
          .int()
          .positive()
          .default(30)
          .describe('Default inactivity that ends a session'),
        maxRangeDays: z.number().int().positive().default(366).describe('Longest from..to range of an analytics query'),
        maxScanEvents: z
          .number()
          .int()
          .positive()
          .default(2_000_000)
          .describe('Funnels, sessions and retention stop with 422 when a query would read more events than this'),
        dailyUserSets: z
          .boolean()
          .default(true)
          .describe(
            'Count distinct users of trends, top events and retention from the per-day user sets (false: from the raw events, as before; the sets are kept either way)',
          ),
      })
      .strict()
      .prefault({})
      .describe('Analytics API'),
  })
  .strict();

export type BehaviorConfig = z.output<typeof behaviorConfig>;
