import { z } from 'zod';

const micros = z.number().int().min(0);

export const webhookConfig = z
  .object({
    url: z
      .union([z.literal(''), z.url()])
      .optional()
      .describe('Where budget alerts are POSTed (JSON). Empty or unset: alerts are only logged and counted'),
    secret: z
      .union([z.literal(''), z.string().min(16)])
      .optional()
      .describe(
        'Shared secret: each delivery carries `x-aihub-signature: t=<unix>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`',
      ),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(6)
      .describe('Deliveries tried per alert before it is marked failed'),
    initialBackoffMs: z
      .number()
      .int()
      .positive()
      .default(1000)
      .describe('Wait before the first retry; doubles each attempt (with jitter)'),
    maxBackoffMs: z.number().int().positive().default(60_000).describe('Longest wait between two attempts'),
    timeoutMs: z.number().int().positive().default(5000).describe('Timeout of one delivery attempt'),
  })
  .strict();

export const usageConfig = z
  .object({
    consumer: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('Consume usage records in this instance (turn off on instances that should only serve traffic)'),
        batchSize: z
          .number()
          .int()
          .min(1)
          .max(5000)
          .default(500)
          .describe('Largest batch read from the queue and written in one transaction'),
        blockMs: z.number().int().positive().default(1000).describe('How long one queue read waits for records'),
        lingerMs: z
          .number()
          .int()
          .min(0)
          .default(200)
          .describe(
            'After a batch smaller than batchSize, wait this long before reading again, so light traffic is written in fewer, larger transactions (0: write at once)',
          ),
        claimIdleMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe('Records a dead consumer held for this long are taken over by another'),
        retryInitialMs: z
          .number()
          .int()
          .positive()
          .default(200)
          .describe('First wait before retrying a batch while the database is unreachable (doubles up to retryMaxMs)'),
        retryMaxMs: z
          .number()
          .int()
          .positive()
          .default(5000)
          .describe('Longest wait between two retries of a batch while the database is unreachable'),
      })
      .strict()
      .prefault({})
      .describe('The queue consumer that writes usage rows'),
    writeAhead: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            'Before an AI request goes upstream, write a pending usage record durably (one queue write, batched across concurrent requests), so a gateway killed mid-request still bills it',
          ),
        onFailure: z
          .enum(['continue', 'reject'])
          .default('continue')
          .describe(
            'When the pending record cannot be written (queue backend down): continue (serve, metering relies on the buffered final record) or reject with 503',
          ),
      })
      .strict()
      .prefault({})
      .describe('No-loss metering of AI requests (see README)'),
    pending: z
      .object({
        timeoutMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            'A write-ahead (pending) record with no final record after this long is billed as interrupted; default server.requestTimeoutMs + 60 s',
          ),
        sweepIntervalMs: z.number().int().positive().default(5000).describe('How often pending records are checked'),
      })
      .strict()
      .prefault({})
      .describe('Write-ahead (pending) records of requests in flight (see README: no-loss metering)'),
    budgets: z
      .object({
        enforce: z.boolean().default(true).describe('Reject requests once a hard budget is spent (false: only alert)'),
        failOpen: z
          .boolean()
          .default(true)
          .describe(
            'When spend counters cannot be read (store down), let requests through (true) or answer 503 (false)',
          ),
        overridesRefreshMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe(
            'How often budget overrides are re-read from the database (changes through the API apply at once on every instance)',
          ),
        reconcileIntervalMs: z
          .number()
          .int()
          .positive()
          .default(60_000)
          .describe('How often spend counters are recomputed from the database'),
        counterCheckMs: z
          .number()
          .int()
          .positive()
          .default(5000)
          .describe(
            'How often the store is checked for lost counters (Redis flush or restart), which triggers a reconcile',
          ),
        defaults: z
          .object({
            dailyHardMicros: micros
              .optional()
              .describe('Daily hard limit (micro-dollars): requests are refused once spent'),
            dailySoftMicros: micros.optional().describe('Daily soft limit: an alert fires once when reached'),
            monthlyHardMicros: micros.optional().describe('Monthly hard limit'),
            monthlySoftMicros: micros.optional().describe('Monthly soft limit'),
          })
          .strict()
          .optional()
          .describe('Tenant budget used when neither tenant settings nor an override sets one (micro-dollars)'),
        webhook: webhookConfig.prefault({}).describe('Optional webhook for budget alerts'),
      })
      .strict()
      .prefault({})
      .describe('Budgets (tenant → team → key, daily and monthly, UTC)'),
    api: z
      .object({
        maxRangeDays: z.number().int().positive().default(366).describe('Longest from..to range the usage API accepts'),
        exportPageSize: z
          .number()
          .int()
          .min(100)
          .max(10_000)
          .default(2000)
          .describe('Rows read per database round trip while streaming a CSV export'),
      })
      .strict()
      .prefault({})
      .describe('Usage, export and invoice API'),
  })
  .strict();

export type UsageConfig = z.output<typeof usageConfig>;
export type WebhookConfig = z.output<typeof webhookConfig>;
