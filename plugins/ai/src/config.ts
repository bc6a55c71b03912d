import { byteSize } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { referenceIssues } from './configReferences';
import { PRESET_NAMES } from './providers/openai-compatible/presets';

export const PROVIDER_TYPES = [
  'openai',
  'azure-openai',
  'anthropic',
  'ollama',
  'openai-compatible',
  'gemini',
  'vertex-ai',
  'bedrock',
  'mock',
] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Prices in USD per million tokens (how providers publish them). */
export const priceSchema = z
  .object({
    input: z.number().min(0).describe('USD per 1M prompt (input) tokens'),
    output: z.number().min(0).default(0).describe('USD per 1M completion (output) tokens'),
    cachedInput: z
      .number()
      .min(0)
      .optional()
      .describe('USD per 1M cached prompt tokens (cache reads; default: the input price)'),
    cacheWrite: z
      .number()
      .min(0)
      .optional()
      .describe(
        "USD per 1M prompt tokens written to the provider's cache (Anthropic's 5-minute cache, Bedrock; default: the input price)",
      ),
    cacheWrite1h: z
      .number()
      .min(0)
      .optional()
      .describe("USD per 1M prompt tokens written to Anthropic's 1-hour cache (default: cacheWrite)"),
    tiers: z
      .array(
        z
          .object({
            above: z
              .number()
              .int()
              .min(0)
              .describe(
                'The tier applies to the whole request when its prompt (cached tokens included) has more tokens than this',
              ),
            input: z.number().min(0),
            output: z.number().min(0).default(0),
            cachedInput: z.number().min(0).optional(),
            cacheWrite: z.number().min(0).optional(),
            cacheWrite1h: z.number().min(0).optional(),
          })
          .strict(),
      )
      .optional()
      .describe(
        'Prices for long prompts (e.g. Gemini 2.5 Pro over 200k tokens), each in USD per 1M tokens like the base price',
      ),
  })
  .strict();
export type PriceConfig = z.output<typeof priceSchema>;

const timeoutsSchema = z
  .object({
    connectMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "TCP/TLS connect timeout; when set the provider gets its own connection pool (default: the gateway's shared pool, 10 s)",
      ),
    firstByteMs: z
      .number()
      .int()
      .positive()
      .default(120_000)
      .describe(
        'Longest wait for the first byte of the answer (streams: the first event; non-streaming answers arrive whole, so keep it above your longest generation); then the attempt fails as a timeout and is retried or falls back. Also the longest silence between stream chunks. Enforced by undici with ~0.5 s granularity',
      ),
    totalMs: z
      .number()
      .int()
      .positive()
      .default(600_000)
      .describe('Longest time one upstream attempt may take, streaming included'),
  })
  .strict();

const mockSchema = z
  .object({
    latencyMs: z.number().int().min(0).default(0).describe('Delay before the answer (streams: before the first chunk)'),
    chunkDelayMs: z.number().int().min(0).default(0).describe('Delay between stream chunks'),
    completionTokens: z
      .number()
      .int()
      .min(1)
      .default(16)
      .describe('Tokens (words) per answer, unless max_tokens is lower'),
    failureRate: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Share of requests answered with a 500, spread evenly (deterministic, not random)'),
    embeddingDimensions: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .default(16)
      .describe('Embedding vector size unless the request sets `dimensions`'),
  })
  .strict();

export const providerSchema = z
  .object({
    type: z
      .enum(PROVIDER_TYPES)
      .optional()
      .describe(
        'Adapter: openai, azure-openai, anthropic, ollama, openai-compatible (with `preset`), gemini, vertex-ai, bedrock or mock (default: the provider name when it is one of these)',
      ),
    preset: z
      .enum(PRESET_NAMES)
      .optional()
      .describe(
        'openai-compatible: the server it speaks to (vllm, groq, together, deepseek, openrouter, lmstudio, mistral), which sets the default baseUrl and its quirks',
      ),
    baseUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "API base URL: openai https://api.openai.com/v1, azure-openai https://<resource>.openai.azure.com, anthropic https://api.anthropic.com, ollama http://localhost:11434/v1, gemini https://generativelanguage.googleapis.com/v1beta, vertex-ai https://<location>-aiplatform.googleapis.com/v1, bedrock https://bedrock-runtime.<region>.amazonaws.com (openai-compatible: the preset's)",
      ),
    apiKey: z
      .string()
      .optional()
      .describe('Credential; set it from the environment (${OPENAI_API_KEY}). Never logged or returned'),
    project: z
      .string()
      .optional()
      .describe("vertex-ai: Google Cloud project id (default: the service account's project_id)"),
    location: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional()
      .describe('vertex-ai: region of the endpoint (default us-central1; europe-west4, …, or global)'),
    serviceAccount: z
      .string()
      .optional()
      .describe(
        'vertex-ai: the service-account key JSON (its content, from the environment: ${GOOGLE_SERVICE_ACCOUNT_JSON}) or the path of the file; the private key signs OAuth token requests. Never logged',
      ),
    region: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional()
      .describe('bedrock: AWS region (default: AWS_REGION or AWS_DEFAULT_REGION)'),
    accessKeyId: z.string().optional().describe('bedrock: AWS access key id (default: AWS_ACCESS_KEY_ID)'),
    secretAccessKey: z
      .string()
      .optional()
      .describe('bedrock: AWS secret access key (default: AWS_SECRET_ACCESS_KEY). Never logged'),
    sessionToken: z
      .string()
      .optional()
      .describe('bedrock: AWS session token of temporary credentials (default: AWS_SESSION_TOKEN). Never logged'),
    apiVersion: z
      .string()
      .optional()
      .describe(
        'azure-openai: api-version query parameter (default 2024-10-21); anthropic: anthropic-version header (default 2023-06-01)',
      ),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Extra headers sent with every upstream request (e.g. OpenAI-Organization)'),
    timeouts: timeoutsSchema.prefault({}).describe('Upstream timeouts'),
    maxConnections: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Largest number of open connections to this provider's origin; calls beyond it wait for a free one. When set the provider gets its own keep-alive pool (default: no limit, the gateway's shared pool; idle connections close after 30 s)",
      ),
    maxTokensDefault: z
      .number()
      .int()
      .positive()
      .default(4096)
      .describe('anthropic: max_tokens sent when the request sets none (the Messages API requires it)'),
    mock: mockSchema.prefault({}).describe('mock: behaviour of the in-process provider'),
  })
  .strict();
export type ProviderConfig = z.output<typeof providerSchema>;

export const deploymentSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._:/-]+$/)
      .optional()
      .describe('Deployment id in metrics, logs and breakers (default `<provider>/<model>`)'),
    provider: z.string().describe('A key of `providers`'),
    model: z.string().min(1).describe('Model name at the provider (azure-openai: the deployment name)'),
    weight: z.number().min(0).default(1).describe('Share of traffic under the weighted strategy'),
    priceOverride: priceSchema.optional().describe('Price of this deployment, over `pricing` and the built-in table'),
  })
  .strict();
export type DeploymentConfig = z.output<typeof deploymentSchema>;

export const modelSchema = z
  .object({
    deployments: z.array(deploymentSchema).min(1).describe('Where requests for this alias go'),
    strategy: z
      .enum(['weighted', 'least-latency', 'cheapest'])
      .default('weighted')
      .describe('How the first deployment is chosen; the others are fallbacks in the same order of preference'),
    fallbacks: z
      .array(z.string())
      .default([])
      .describe("Other aliases whose deployments are tried after this alias' own ones fail"),
    description: z.string().optional().describe('Shown nowhere but in config; for operators'),
  })
  .strict();
export type ModelConfig = z.output<typeof modelSchema>;

const variantSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .describe('Variant name (x-aihub-variant, metrics)'),
    model: z.string().optional().describe('An alias of `models` this variant routes to'),
    deployments: z.array(deploymentSchema).min(1).optional().describe('Or: deployments of its own'),
    weight: z.number().min(0).default(1).describe('Share of subjects assigned to this variant'),
  })
  .strict()
  .refine((v) => (v.model === undefined) !== (v.deployments === undefined), {
    message: 'set exactly one of `model` or `deployments`',
  });

export const experimentSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .describe('Experiment name (metrics, admin summary)'),
    alias: z.string().describe('The model name clients send; requests for it are split between the variants'),
    enabled: z.boolean().default(true).describe('false: the alias routes to the first variant only'),
    stickyBy: z
      .enum(['user', 'key'])
      .default('user')
      .describe(
        'Who always gets the same variant: the user (principal user, else the request `user` field, else the key) or the API key',
      ),
    variants: z.array(variantSchema).min(1).describe('The arms of the experiment'),
  })
  .strict();
export type ExperimentConfig = z.output<typeof experimentSchema>;

const DEFAULT_PROVIDERS = { mock: { type: 'mock' as const } };
const DEFAULT_MODELS = {
  'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
  'text-embedding-3-small': { deployments: [{ provider: 'mock', model: 'text-embedding-3-small' }] },
};

export const aiConfig = z
  .object({
    requireAuth: z
      .boolean()
      .default(true)
      .describe(
        'Routes require an authenticated caller with the ai:invoke scope (enforced by the auth plugin when loaded)',
      ),
    bodyLimit: byteSize
      .default(10 * 1024 * 1024)
      .describe(
        'Largest chat/embeddings request body in bytes or as "10mb" (default 10 MiB: images inline as base64 make them big); larger gets 413',
      ),
    providers: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'provider names are lowercase letters, digits and -'),
        providerSchema,
      )
      .prefault(DEFAULT_PROVIDERS)
      .describe('Upstream providers by name (default: the in-process mock)'),
    models: z
      .record(z.string().min(1), modelSchema)
      .prefault(DEFAULT_MODELS)
      .describe(
        'Model aliases clients may request, each routed to deployments (default: gpt-4o-mini and text-embedding-3-small on the mock)',
      ),
    experiments: z.array(experimentSchema).default([]).describe('A/B experiments splitting an alias between variants'),
    pricing: z
      .record(z.string(), priceSchema)
      .default({})
      .describe('Prices by model (the provider model or the alias), over the built-in table of @pydantic/genai-prices'),
    retry: z
      .object({
        maxAttempts: z
          .number()
          .int()
          .min(1)
          .max(10)
          .default(2)
          .describe('Attempts per deployment (first try included) on 429, 5xx, timeouts and connection errors'),
        baseDelayMs: z
          .number()
          .int()
          .min(0)
          .default(100)
          .describe('Backoff before the 2nd attempt; doubles each time, with jitter'),
        maxDelayMs: z.number().int().min(0).default(2000).describe('Backoff cap'),
        maxRetryAfterMs: z
          .number()
          .int()
          .min(0)
          .default(5000)
          .describe('Longest Retry-After honoured; a longer one moves on to a fallback instead of waiting'),
      })
      .strict()
      .prefault({})
      .describe('Retries on the same deployment, before falling back to the next'),
    breaker: z
      .object({
        enabled: z
          .boolean()
          .default(true)
          .describe('One circuit breaker per deployment; open breakers are skipped by routing'),
        volumeThreshold: z
          .number()
          .int()
          .min(1)
          .default(10)
          .describe('Calls in the window before the breaker may open'),
        errorThresholdPercentage: z
          .number()
          .min(1)
          .max(100)
          .default(50)
          .describe('Failure share that opens the breaker'),
        resetTimeoutMs: z.number().int().positive().default(30_000).describe('Open time before a half-open trial call'),
        rollingWindowMs: z.number().int().positive().default(10_000).describe('Statistics window'),
      })
      .strict()
      .prefault({})
      .describe('Circuit breakers (opossum), one per deployment'),
    transforms: z
      .object({
        systemPrompt: z
          .boolean()
          .default(true)
          .describe("Inject the tenant's settings.systemPrompt as the first system message"),
        templates: z
          .boolean()
          .default(true)
          .describe(
            "Allow named prompt templates from the tenant's settings.promptTemplates (metadata.aihub_template)",
          ),
        pii: z
          .boolean()
          .default(true)
          .describe('Allow PII redaction of prompts for tenants with settings.pii.redactPrompts'),
        redactPromptsByDefault: z
          .boolean()
          .default(false)
          .describe('Redact PII in prompts of requests without a tenant, or whose tenant does not say'),
      })
      .strict()
      .prefault({})
      .describe('Per-tenant content transforms this gateway allows'),
    feedback: z
      .object({
        trackRequests: z
          .enum(['all', 'experiments', 'off'])
          .default('all')
          .describe('Which requests are recorded (ai_requests) so feedback can be given on them'),
        flushIntervalMs: z
          .number()
          .int()
          .positive()
          .default(250)
          .describe('Recorded requests are inserted in batches this often'),
        maxBatch: z.number().int().positive().default(500).describe('Largest insert batch'),
        retentionDays: z
          .number()
          .int()
          .min(0)
          .default(90)
          .describe('Recorded requests older than this are deleted (hourly); 0 keeps them. Feedback rows are kept'),
      })
      .strict()
      .prefault({})
      .describe('Feedback on answers (POST /v1/feedback) and the request records behind it'),
    catalog: z
      .object({
        encryptionKey: z
          .string()
          .refine(
            (k) => Buffer.from(k, 'base64').length === 32,
            'the key is 32 random bytes in base64 (openssl rand -base64 32)',
          )
          .optional()
          .describe(
            'AES-256-GCM key sealing provider credentials stored through the admin API (32 bytes, base64; set it from the environment: ${AIHUB_CATALOG_KEY}). Without it the API refuses credentials',
          ),
        encryptionKeyId: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,32}$/)
          .default('k1')
          .describe('Id stored beside each sealed credential, so a rotated key is found again'),
        previousKeys: z
          .record(z.string(), z.string())
          .default({})
          .describe('Older keys by id (base64), still used to open credentials sealed before a rotation'),
        pollIntervalMs: z
          .number()
          .int()
          .min(100)
          .default(1000)
          .describe('How often each instance checks the catalog revision (a safety net beside the Redis notification)'),
        keepRevisions: z
          .number()
          .int()
          .min(2)
          .max(1_000_000)
          .default(1000)
          .describe(
            'How many catalog revisions to keep (admin edits and operational control changes alike); older ones are pruned as new ones are stored, so they can no longer be diffed or rolled back to',
          ),
      })
      .strict()
      .prefault({})
      .describe(
        'The live catalog: providers, models, experiments and prices changed through the admin API over this file',
      ),
    responses: z
      .object({
        retentionDays: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe(
            'Responses stored by POST /v1/responses (store: true, the default) can be read and continued from (previous_response_id) for this many days, then are deleted',
          ),
      })
      .strict()
      .prefault({})
      .describe('The OpenAI Responses API ingress (POST /v1/responses) and its stored responses'),
    health: z
      .object({
        failReadinessWhenModelUnavailable: z
          .boolean()
          .default(false)
          .describe(
            'Fail readiness when every deployment of some alias has an open breaker (off: other instances share the same upstreams, so leaving the pool does not help)',
          ),
      })
      .strict()
      .prefault({})
      .describe('The readiness check of the providers'),
  })
  .strict()
  // Runs even when other parts have schema problems, so bad references are in the same report.
  .superRefine(
    (cfg, ctx) => {
      for (const issue of referenceIssues(cfg, PROVIDER_TYPES)) ctx.addIssue({ code: 'custom', ...issue });
    },
    { when: () => true },
  );

export type AiConfig = z.output<typeof aiConfig>;
