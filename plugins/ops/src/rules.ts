import { z } from 'zod';

/**
 * The signals a rule can watch. Per deployment (cluster-wide, merged from every instance's upstream
 * metrics): `error_ratio` (failed upstream attempts / attempts), `latency_p95_ms` (upstream time to
 * the answer; for streams to the first event, i.e. time to first byte), `breaker_open` (instances
 * whose breaker is open). Per model alias: `ttft_p95_ms` (streaming time to first token). Per
 * tenant: `spend_anomaly` (robust z-score of the last hour's spend against its own hourly history),
 * `budget_alert` (1 soft, 2 hard, per budget alert the usage plugin fires; subject the tenant, or the
 * key for key budgets). Cluster: `queue_lag` (usage records not yet written), `health_failing`
 * (1 per failing readiness check, subject the check).
 */
export const SIGNALS = [
  'error_ratio',
  'latency_p95_ms',
  'ttft_p95_ms',
  'breaker_open',
  'budget_alert',
  'spend_anomaly',
  'queue_lag',
  'health_failing',
] as const;
export type SignalName = (typeof SIGNALS)[number];

export const ACTIONS = [
  'drain',
  'restore',
  'set_weight',
  'force_breaker',
  'switch_fallback',
  'suspend_key',
  'resume_key',
  'webhook',
] as const;
export type ActionType = (typeof ACTIONS)[number];

const name = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_.-]{0,63}$/,
    'a name is 1 to 64 lowercase letters, digits, _ . - (starting with a letter or digit)',
  );

export const conditionSchema = z
  .object({
    signal: z.enum(SIGNALS),
    /** Only this subject (deployment, alias, tenant, key or check); absent = every subject. */
    subject: z.string().min(1).max(200).optional(),
    /** Fires when the value is above this (strictly). */
    above: z.number().finite(),
    /** Window of the deployment and alias signals, seconds. */
    windowSeconds: z.number().int().min(5).max(3600).default(60),
    /** Ratio and percentile signals need at least this many observations in the window (no decision on three requests). */
    minSamples: z.number().int().min(1).max(1_000_000).default(20),
  })
  .strict();

export const actionSchema = z
  .object({
    type: z.enum(ACTIONS),
    /**
     * The deployment / alias / key acted on; absent = the signal's subject (suspend_key and
     * resume_key: the key of a key budget alert, whose tenant the signal names).
     */
    target: z.string().min(1).max(200).optional(),
    /** set_weight: the alias whose weight changes (the target is then the deployment). */
    alias: z.string().min(1).max(200).optional(),
    /** set_weight: the new weight (0 moves all weighted traffic away). */
    weight: z.number().min(0).max(1_000_000).optional(),
    /** force_breaker: hold open, closed, or release (`auto`). */
    state: z.enum(['open', 'closed', 'auto']).optional(),
    /** switch_fallback: to the fallback (true, default) or back (false). */
    on: z.boolean().optional(),
    /** webhook: a webhook name of the plugin config. */
    webhook: z.string().min(1).max(64).optional(),
    /** drain: probe the drained deployment and restore it when healthy (default true). */
    probe: z.boolean().optional(),
  })
  .strict()
  .superRefine((a, c) => {
    if (a.type === 'set_weight' && (a.weight === undefined || !a.alias))
      c.addIssue({ code: 'custom', message: 'set_weight needs alias and weight', path: ['weight'] });
    if (a.type === 'force_breaker' && !a.state)
      c.addIssue({ code: 'custom', message: 'force_breaker needs state (open, closed or auto)', path: ['state'] });
    if (a.type === 'webhook' && !a.webhook)
      c.addIssue({ code: 'custom', message: 'webhook needs the name of a configured webhook', path: ['webhook'] });
  });

export const ruleSchema = z
  .object({
    name,
    description: z.string().max(500).optional(),
    enabled: z.boolean().default(true),
    when: conditionSchema,
    action: actionSchema,
    /** After acting on a subject, the rule does not act on it again for this long (cluster-wide). */
    cooldownSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(300),
    /** Decide and record, never act (also when the plugin's dryRun is off). */
    dryRun: z.boolean().default(false),
  })
  .strict();

export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;
