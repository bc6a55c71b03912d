import { z } from 'zod';
import { isDay } from '../time';

export const dayParam = z.string().refine(isDay, 'use a UTC date YYYY-MM-DD');
export const monthParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'use a month YYYY-MM');
export const idParam = z.string().min(1).max(128);

export const tenantParams = z.object({ tenantId: idParam }).strict();

export const GROUP_DIMENSIONS = ['day', 'model', 'provider', 'key', 'team'] as const;
export type GroupDimension = (typeof GROUP_DIMENSIONS)[number];

const groupBy = z
  .string({ error: 'give group_by once, as a comma-separated list' })
  .transform((s) => s.split(',').map((x) => x.trim()))
  .pipe(
    z
      .array(z.enum(GROUP_DIMENSIONS, { error: `each group_by value must be one of ${GROUP_DIMENSIONS.join(', ')}` }))
      .min(1, 'group_by must name at least one of day, model, provider, key, team (leave it out for day)')
      .max(5)
      .refine((dims) => new Set(dims).size === dims.length, 'group_by must not repeat a dimension'),
  )
  .describe('Comma-separated: day, model, provider, key, team');

/**
 * A filter value: given once, not empty, no NUL (PostgreSQL cannot compare with one). A repeated
 * parameter arrives as an array and is refused by the string type.
 */
export const filter = (max: number, what: string) =>
  z
    .string({ error: `give ${what} once, as a single value` })
    .min(1, `${what} must not be empty; leave it out to include all`)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
const day = (what: string) => z.string({ error: `give ${what} once, as a UTC date YYYY-MM-DD` }).pipe(dayParam);

/** Filters shared by the usage, export and invoice routes. */
export const usageFilters = {
  from: day('from').optional().describe('First UTC day, inclusive (default: 29 days before `to`)'),
  to: day('to').optional().describe('Last UTC day, inclusive (default: today)'),
  model: filter(200, 'model').optional().describe('Only this model (as requested by the client)'),
  provider: filter(64, 'provider').optional(),
  key_id: filter(128, 'key_id').optional(),
  team_id: filter(128, 'team_id').optional(),
};

/** Unknown parameters are refused (strict): a misspelled filter must not silently widen the answer. */
export const usageQuery = z.object({ ...usageFilters, group_by: groupBy.optional() }).strict();

export const exportQuery = z
  .object({
    ...usageFilters,
    granularity: z
      .enum(['request', 'day'])
      .default('request')
      .describe('request: one line per request; day: daily rollups'),
    status: z
      .enum(['success', 'error', 'cancelled'])
      .optional()
      .describe('Only requests with this status (granularity=request)'),
  })
  .strict();

const metrics = z.object({
  requests: z.number(),
  success_requests: z.number(),
  error_requests: z.number(),
  cancelled_requests: z.number(),
  cache_hits: z.number(),
  stream_requests: z.number(),
  estimated_requests: z.number(),
  unpriced_requests: z.number(),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cached_tokens: z.number(),
  total_tokens: z.number(),
  cost_micros: z.number(),
  cost_usd: z.string(),
  avg_latency_ms: z.number().nullable(),
});

export const usageResponse = z.object({
  object: z.literal('usage'),
  tenant_id: z.string(),
  from: z.string(),
  to: z.string(),
  group_by: z.array(z.string()),
  totals: metrics,
  data: z.array(
    metrics.extend({
      day: z.string().optional(),
      model: z.string().nullable().optional(),
      provider: z.string().nullable().optional(),
      key_id: z.string().nullable().optional(),
      key_name: z.string().nullable().optional().describe("With group_by key: the key's name (null when deleted)"),
      team_id: z.string().nullable().optional(),
    }),
  ),
});

const budgetField = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional();

/** PUT body: the override of one level (fields left out or null inherit: settings, config defaults, then the plan's bound). */
export const budgetBody = z
  .object({
    daily_hard_micros: budgetField.describe('Daily hard limit in micro-dollars: requests are refused once spent'),
    daily_soft_micros: budgetField.describe('Daily soft limit: an alert fires once when reached'),
    monthly_hard_micros: budgetField,
    monthly_soft_micros: budgetField,
  })
  .strict()
  .refine(
    (b) => b.daily_soft_micros == null || b.daily_hard_micros == null || b.daily_soft_micros <= b.daily_hard_micros,
    {
      message: 'daily_soft_micros must not exceed daily_hard_micros',
      path: ['daily_soft_micros'],
    },
  )
  .refine(
    (b) =>
      b.monthly_soft_micros == null || b.monthly_hard_micros == null || b.monthly_soft_micros <= b.monthly_hard_micros,
    {
      message: 'monthly_soft_micros must not exceed monthly_hard_micros',
      path: ['monthly_soft_micros'],
    },
  );
export type BudgetBody = z.output<typeof budgetBody>;

const budgetShape = z
  .object({
    daily_hard_micros: z.number().nullable(),
    daily_soft_micros: z.number().nullable(),
    monthly_hard_micros: z.number().nullable(),
    monthly_soft_micros: z.number().nullable(),
  })
  .nullable();

const spendShape = z.object({
  period_key: z.string(),
  spent_micros: z.number(),
  spent_usd: z.string(),
  hard_limit_micros: z.number().nullable(),
  soft_limit_micros: z.number().nullable(),
  remaining_micros: z.number().nullable(),
  resets_at: z.string(),
});

export const budgetResponse = z.object({
  object: z.literal('budget'),
  level: z.enum(['tenant', 'team', 'key']),
  tenant_id: z.string(),
  target_id: z.string(),
  source: z.enum(['override', 'settings', 'default', 'plan', 'none']),
  effective: budgetShape,
  override: budgetShape,
  settings: budgetShape,
  spend: z.object({ daily: spendShape, monthly: spendShape }),
});
