import { z } from 'zod';
import { ruleSchema } from './rules';

const webhookSchema = z
  .object({
    url: z.url().describe('Where decisions are POSTed'),
    /** HMAC-SHA256 key; the signature is in `x-aihub-signature: t=<unix>,v1=<hex>` over `<t>.<body>`. */
    secret: z.string().min(16, 'a webhook secret has at least 16 characters').optional(),
    /** `json`: the decision as JSON; `slack`: a Slack incoming-webhook body (`text` and blocks). */
    format: z.enum(['json', 'slack']).default('json'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  })
  .strict();

export const opsConfig = z
  .object({
    /** Evaluate rules at all (off: the API still lists rules and events). */
    enabled: z.boolean().default(true).describe('Evaluate rules and act'),
    /** Decide and record every decision, never act (for trying rules in production). */
    dryRun: z.boolean().default(false).describe('Decide and record, never act'),
    evaluateIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(5_000)
      .describe('How often the leader evaluates the rules'),
    sampleIntervalMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(5_000)
      .describe('How often each instance publishes its per-deployment figures'),
    /** At most this many actions (not counting restores after probes) per window, cluster-wide. */
    maxActions: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(10)
      .describe('Actions allowed per actionWindowSeconds, cluster-wide'),
    actionWindowSeconds: z.number().int().min(1).max(86_400).default(600).describe('Window of maxActions'),
    probe: z
      .object({
        enabled: z.boolean().default(true).describe('Probe drained deployments and restore them when healthy'),
        intervalMs: z
          .number()
          .int()
          .min(100)
          .max(3_600_000)
          .default(30_000)
          .describe('How often each drained deployment is probed'),
        /** Consecutive successful probes before a drained deployment is restored; a failure starts the count again. */
        successes: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(3)
          .describe('Consecutive successful probes before a restore (a failure starts again)'),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('A probe slower than this fails'),
      })
      .strict()
      .default({ enabled: true, intervalMs: 30_000, successes: 3, timeoutMs: 10_000 })
      .describe('Probing of deployments drained by rules'),
    spendAnomaly: z
      .object({
        historyHours: z
          .number()
          .int()
          .min(6)
          .max(24 * 14)
          .default(24)
          .describe('Hours of history the last hour is compared with'),
        /** Hourly spend below this (micro-dollars) is never an anomaly, whatever its z-score. */
        minSpendMicros: z
          .number()
          .int()
          .min(0)
          .default(1_000_000)
          .describe('An hour below this spend (micro-dollars) is never an anomaly'),
      })
      .strict()
      .default({ historyHours: 24, minSpendMicros: 1_000_000 })
      .describe('Spend anomaly signal: robust z-score of the last hour against the tenant’s hourly history'),
    webhooks: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), webhookSchema)
      .default({})
      .describe('Named webhooks rules may send to'),
    rules: z.array(ruleSchema).default([]).describe('Rules from config (read-only through the API)'),
    /** Events older than this are deleted. */
    eventRetentionDays: z.number().int().min(1).max(3650).default(30).describe('How long decisions are kept'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.rules.forEach((r, i) => {
      if (seen.has(r.name))
        ctx.addIssue({ code: 'custom', message: `rule "${r.name}" is defined twice`, path: ['rules', i, 'name'] });
      seen.add(r.name);
      if (r.action.webhook && !c.webhooks[r.action.webhook])
        ctx.addIssue({
          code: 'custom',
          message: `webhook "${r.action.webhook}" is not configured under webhooks`,
          path: ['rules', i, 'action', 'webhook'],
        });
    });
  });

export type OpsConfig = z.output<typeof opsConfig>;
export type WebhookConfig = z.output<typeof webhookSchema>;
