import { MAX_RECORDED_ATTEMPTS } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { filter, idParam } from './schemas';

export const requestParams = z.object({ tenantId: idParam, requestId: idParam }).strict();

/**
 * An instant in explicit UTC (`2025-01-02T03:04:05Z`, optional fraction, `Z` or `+00:00`): a range
 * that silently meant the server's local time would show different requests to different people.
 */
const utcInstant = (what: string) =>
  z
    .string({ error: `give ${what} once, as a UTC instant like 2025-01-02T03:04:05Z` })
    .regex(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|\+00:00)$/,
      `${what} must be a UTC instant like 2025-01-02T03:04:05Z (ending in Z)`,
    )
    .refine((s) => Number.isFinite(Date.parse(s)), `${what} is not a valid date`)
    .transform((s) => new Date(s).toISOString());

const nonNegative = (what: string, unit: string) =>
  z.coerce
    .number({ error: `${what} must be a number of ${unit}` })
    .refine((n) => Number.isFinite(n) && n >= 0, `${what} must be a number of ${unit}, 0 or more`);

export const requestListQuery = z
  .object({
    status: z
      .enum(['success', 'error', 'cancelled'], { error: 'status must be success, error or cancelled' })
      .optional(),
    model: filter(200, 'model').optional().describe('Only this model (as the client asked for it)'),
    key_id: filter(128, 'key_id').optional(),
    team_id: filter(128, 'team_id').optional(),
    provider: filter(64, 'provider').optional(),
    error_code: filter(64, 'error_code')
      .optional()
      .describe(
        'Only requests answered with this error code (e.g. model_not_found, rate_limit_exceeded, budget_exceeded)',
      ),
    min_latency_ms: nonNegative('min_latency_ms', 'milliseconds').optional(),
    max_latency_ms: nonNegative('max_latency_ms', 'milliseconds').optional(),
    min_cost_micros: z.coerce
      .number()
      .int('min_cost_micros must be whole micro-dollars')
      .min(0, 'min_cost_micros must be 0 or more')
      .optional()
      .describe('Micro-dollars (1 USD = 1000000); unpriced requests never match a cost bound'),
    max_cost_micros: z.coerce
      .number()
      .int('max_cost_micros must be whole micro-dollars')
      .min(0, 'max_cost_micros must be 0 or more')
      .optional(),
    cache_hit: z.enum(['true', 'false'], { error: 'cache_hit must be true or false' }).optional(),
    from: utcInstant('from').optional().describe('First instant, inclusive (UTC, e.g. 2025-01-02T00:00:00Z)'),
    to: utcInstant('to').optional().describe('End instant, exclusive (UTC)'),
    cursor: z.string().max(400).optional().describe('next_cursor of the previous page (with the same filters)'),
    limit: z.coerce
      .number()
      .int('limit must be a whole number')
      .min(1, 'limit must be 1 to 200')
      .max(200, 'limit must be 1 to 200')
      .optional()
      .describe('Page size (default 50)'),
  })
  .strict()
  .refine(
    (q) => q.min_latency_ms === undefined || q.max_latency_ms === undefined || q.min_latency_ms <= q.max_latency_ms,
    { message: 'min_latency_ms is above max_latency_ms', path: ['min_latency_ms'] },
  )
  .refine(
    (q) => q.min_cost_micros === undefined || q.max_cost_micros === undefined || q.min_cost_micros <= q.max_cost_micros,
    { message: 'min_cost_micros is above max_cost_micros', path: ['min_cost_micros'] },
  );

export type RequestListQuery = z.output<typeof requestListQuery>;

export const requestItem = z.object({
  request_id: z
    .string()
    .describe("The gateway's id of the request (the x-request-id it answered with, unless the caller sent its own)"),
  created_at: z.string(),
  endpoint: z.string(),
  model: z.string(),
  resolved_model: z.string().nullable(),
  provider: z.string().nullable(),
  deployment: z.string().nullable().describe('The deployment that answered (or was tried last)'),
  key_id: z.string().nullable(),
  key_name: z
    .string()
    .nullable()
    .describe("The API key's (or OAuth client's) name; null without a key or when the key was deleted"),
  team_id: z.string().nullable(),
  user_id: z.string().nullable(),
  experiment: z.string().nullable(),
  variant: z.string().nullable(),
  status: z.enum(['success', 'error', 'cancelled']),
  http_status: z.number(),
  error_code: z.string().nullable(),
  latency_ms: z.number(),
  ttft_ms: z.number().nullable(),
  overhead_ms: z
    .number()
    .nullable()
    .describe(
      "The gateway's own time (total minus upstream waits), as in x-aihub-overhead-ms; null before it was recorded",
    ),
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  cached_tokens: z.number(),
  cache_write_tokens: z
    .number()
    .describe("Prompt tokens written to the provider's prompt cache (part of prompt_tokens; Anthropic, Bedrock)"),
  reasoning_tokens: z
    .number()
    .describe('Completion tokens the model spent reasoning, not shown in the answer (part of completion_tokens)'),
  total_tokens: z.number(),
  estimated: z.boolean(),
  priced: z.boolean(),
  cost_micros: z.number().nullable(),
  cost_usd: z.string().nullable(),
  cache_hit: z.boolean(),
  stream: z.boolean(),
  attempt_count: z.number().describe('Upstream attempts and breaker skips'),
  trace_id: z.string().nullable().describe('Set when the request was traced (sampled)'),
});

export const requestListView = z.object({
  object: z.literal('list'),
  data: z.array(requestItem),
  next_cursor: z
    .string()
    .nullable()
    .describe('Pass as `cursor` (with the same filters) for the next page; null on the last page'),
  has_more: z
    .boolean()
    .describe('Whether another page follows (there is no total: counting would cost more than the page)'),
});

export const attemptView = z.object({
  deployment: z.string(),
  provider: z.string(),
  model: z.string(),
  outcome: z
    .enum(['success', 'error', 'timeout', 'breaker_open', 'cancelled'])
    .describe('breaker_open: skipped, its circuit breaker was open'),
  status: z.number().nullable().describe("The upstream's HTTP status"),
  code: z.string().nullable(),
  next: z.enum(['retry', 'fallback']).nullable().describe('What the gateway did after this attempt'),
  latency_ms: z.number(),
});

export const requestDetailView = requestItem.extend({
  object: z.literal('request'),
  input_cost_micros: z.number().nullable(),
  cached_cost_micros: z.number().nullable(),
  output_cost_micros: z.number().nullable(),
  attempts: z
    .array(attemptView)
    .describe(`In order; at most ${MAX_RECORDED_ATTEMPTS} (attempt_count says how many there were)`),
});
