/**
 * Contracts shared between plugins: request-state keys, service tokens and record shapes. They live
 * in core so plugins cooperate (auth → rate-limit → ai → usage) without importing each other.
 */
import type { Context } from 'koa';
import { defineStateKey } from '../kernel/state';
import { createToken } from '../kernel/serviceTokens';

export * from './control';

export type TenantRole = 'owner' | 'admin' | 'developer' | 'viewer';
export const TENANT_ROLES: readonly TenantRole[] = ['owner', 'admin', 'developer', 'viewer'];

export interface LimitSettings {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  concurrentRequests?: number;
}

export interface BudgetSettings {
  /** Hard limit in micro-dollars: requests are rejected once spend reaches it. */
  dailyHardMicros?: number;
  dailySoftMicros?: number;
  monthlyHardMicros?: number;
  monthlySoftMicros?: number;
}

/** Who is calling. Set by the auth plugin in `request.authenticate`. */
export interface Principal {
  kind: 'api_key' | 'oauth_token' | 'session';
  /** Key id, OAuth client id or user id. */
  subject: string;
  /** The tenant the caller acts in; null for a platform superadmin outside any tenant. */
  tenantId: string | null;
  keyId?: string;
  userId?: string;
  teamId?: string;
  clientId?: string;
  scopes: string[];
  role?: TenantRole;
  superadmin?: boolean;
  /** Per-key overrides read by rate-limit and usage. */
  limits?: LimitSettings;
  budgets?: BudgetSettings;
  /** Model aliases this credential may call (an API key's allowed_models); absent = every model the tenant may use. */
  allowedModels?: readonly string[];
  /** The API version pinned on the credential (an API key's `api_version`): answers default to it. */
  apiVersion?: string;
}

export interface PiiPolicy {
  /** Redact e-mails, phone and card numbers in prompts before they leave the gateway. */
  redactPrompts?: boolean;
  /** Behavior events: properties/traits to hash or drop. */
  hashFields?: string[];
  dropFields?: string[];
}

/** Per-tenant settings later plugins read. Unknown keys are kept for plugins that add their own. */
export interface TenantSettings {
  /** Model aliases the tenant may use; absent or containing `*` means all. */
  allowedModels?: string[];
  limits?: LimitSettings;
  budgets?: BudgetSettings;
  pii?: PiiPolicy;
  systemPrompt?: string;
  promptTemplates?: Record<string, string>;
  cache?: { enabled?: boolean; ttlSeconds?: number };
  retentionDays?: number;
  /** The API version the tenant's requests default to (pinned at creation; after a key's own pin). */
  apiVersion?: string;
  [key: string]: unknown;
}

/** The tenant of the request. Set by the tenancy plugin in `request.tenant`. */
export interface TenantContext {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  plan: string;
  settings: TenantSettings;
}

export const PrincipalKey = defineStateKey<Principal>('aihub.principal');
export const TenantKey = defineStateKey<TenantContext>('aihub.tenant');

/** Token usage of the AI call, set by the ai plugin (or the cache on a hit) once known. */
export interface AiUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  /** True when counted with a tokenizer because the provider reported none. */
  estimated: boolean;
  /** Prompt tokens written to the provider's cache (Anthropic, Bedrock); inside promptTokens. */
  cacheWriteTokens?: number;
  /** Reasoning tokens; inside completionTokens. */
  reasoningTokens?: number;
}

/** What the ai plugin knows about the call, for rate-limit reconciliation, cache and logs. */
export interface AiCallInfo {
  /** The gateway-generated id of the request (kernel `uid`): the usage idempotency key. */
  requestId?: string;
  /** Prompt tokens estimated before the call (for write-ahead records and limits). */
  estimatedPromptTokens?: number;
  /** Cost estimated before the call, micro-dollars. */
  estimatedCostMicros?: number | null;
  endpoint: 'chat.completions' | 'embeddings' | 'completions' | 'messages' | 'responses';
  /** The model the client asked for (alias). */
  model: string;
  stream: boolean;
  provider?: string;
  deployment?: string;
  resolvedModel?: string;
  variant?: string;
  experiment?: string;
  usage?: AiUsage;
  costMicros?: number | null;
  cacheHit?: boolean;
}

export const AiCallKey = defineStateKey<AiCallInfo>('aihub.ai-call');

/** Tokens a limiter reserved before the call, reconciled with real usage after. */
export const TokenReservationKey = defineStateKey<number>('aihub.token-reservation');

/** The topic usage records are published on (consumed by the usage plugin). */
export const USAGE_TOPIC = 'usage';

/**
 * One record per finished AI request; `requestId` is the idempotency key and is the gateway's own
 * unique id (kernel `uid`), not the caller's x-request-id (kept in `clientRequestId`).
 */
export interface UsageRecord {
  requestId: string;
  /** The caller's x-request-id, when it sent one (correlation only). */
  clientRequestId?: string | null;
  /** ISO-8601 UTC time the request started. */
  timestamp: string;
  tenantId: string | null;
  keyId: string | null;
  userId: string | null;
  teamId: string | null;
  /** The API version (AIHub-Version) the request was served at; null in records from before versions. */
  apiVersion?: string | null;
  endpoint: AiCallInfo['endpoint'];
  model: string;
  resolvedModel: string | null;
  provider: string | null;
  deployment: string | null;
  experiment: string | null;
  variant: string | null;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  totalTokens: number;
  estimated: boolean;
  /** Prompt tokens written to the provider's cache (priced at its cache-write rate); inside promptTokens. */
  cacheWriteTokens?: number | null;
  /** Reasoning ("thinking") tokens; inside completionTokens, priced as output. */
  reasoningTokens?: number | null;
  /** Integer micro-dollars; null when the model has no price (then `priced` is false). */
  costMicros: number | null;
  priced: boolean;
  /** Cost split by token type (micro-dollars), for invoices with a unit price per type. */
  inputCostMicros?: number | null;
  cachedCostMicros?: number | null;
  outputCostMicros?: number | null;
  latencyMs: number;
  ttftMs: number | null;
  /** `pending`: a write-ahead record published before the upstream call, replaced by the final one. */
  status: 'success' | 'error' | 'cancelled' | 'pending';
  httpStatus: number;
  errorCode: string | null;
  cacheHit: boolean;
  stream: boolean;
  /**
   * The gateway's own time on the request in ms (fractional): the total minus the time spent
   * waiting on upstreams (and, for a stream, measured when the stream was handed to the client).
   */
  overheadMs?: number | null;
  /** The W3C trace id (32 hex digits) when the request's trace was sampled; else null. */
  traceId?: string | null;
  /** Each upstream attempt in order (at most MAX_RECORDED_ATTEMPTS; `attemptCount` says how many there were). */
  attempts?: AttemptRecord[];
  /** How many attempts (and breaker skips) the request made, including any beyond the recorded ones. */
  attemptCount?: number;
}

/** Attempts kept per usage record: a request that retried more is summarised by `attemptCount`. */
export const MAX_RECORDED_ATTEMPTS = 16;

/**
 * One try of a request on one deployment (or one deployment skipped because its breaker was open).
 * `next` is what the gateway did after a failure: try the same deployment again (`retry`), move on to
 * the next deployment (`fallback`), or give up (null, also on success).
 */
export interface AttemptRecord {
  deployment: string;
  provider: string;
  /** The provider's model name. */
  model: string;
  outcome: 'success' | 'error' | 'timeout' | 'breaker_open' | 'cancelled';
  /** The upstream's HTTP status, when it answered one. */
  status: number | null;
  /** What failed (`status`, `connection`, `stream_error`, `timeout`, `breaker_open`, `cancelled`), null on success. */
  code: string | null;
  next: 'retry' | 'fallback' | null;
  /** Time of the attempt in ms (0 for a breaker skip). */
  latencyMs: number;
}

export interface AuditEntry {
  tenantId: string | null;
  /** `api_key.create`, `tenant.update`, `rate_limit.update`, … */
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Append-only audit log, provided by the tenancy plugin. */
export interface AuditLog {
  record(ctx: Context | null, entry: AuditEntry): Promise<void>;
}
export const AUDIT_LOG = createToken<AuditLog>('audit-log');

/**
 * Server-side authorization for admin routes, provided by the tenancy plugin. `authorize` throws a
 * GatewayError (401, 403, or 404 when the tenant is not the caller's, so existence never leaks).
 */
export interface AccessControl {
  authorize(ctx: Context, permission: string, tenantId?: string | null): void;
  can(ctx: Context, permission: string, tenantId?: string | null): boolean;
}
export const ACCESS_CONTROL = createToken<AccessControl>('access-control');

/** Read access to tenants for other plugins (cached). Provided by the tenancy plugin. */
export interface TenantDirectory {
  get(tenantId: string): Promise<TenantContext | undefined>;
  invalidate(tenantId: string): void;
}
export const TENANT_DIRECTORY = createToken<TenantDirectory>('tenant-directory');

/**
 * API-key and OAuth scopes. A credential needs the scope for the surface it calls, and for admin
 * routes also a role that grants the permission (see docs/rbac.md).
 */
export const SCOPES = ['ai:invoke', 'events:write', 'admin:read', 'admin:write'] as const;
export type Scope = (typeof SCOPES)[number];

/** Admin permissions checked by AccessControl; the role matrix lives in the tenancy plugin. */
export const PERMISSIONS = [
  'tenants:create', // platform: create tenants (superadmin)
  'tenants:read',
  'tenants:write',
  'tenants:delete',
  'users:read',
  'users:write',
  'teams:read',
  'teams:write',
  'members:read',
  'members:write',
  'keys:read',
  'keys:write',
  'oauth-clients:read',
  'oauth-clients:write',
  'audit:read',
  'settings:write',
  'limits:read',
  'limits:write',
  'cache:purge',
  'usage:read',
  'budgets:write',
  'events:read',
  'events:delete',
  'experiments:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];
