import { createToken } from '../kernel/serviceTokens';

/**
 * Operational control of the ai plugin's routing, for automation (the ops plugin) and operators.
 * Every change is a revision of the ai plugin's model catalog (one history with the admin API's
 * edits: listed, diffed and rolled back with them), stored in the database and applied by every
 * gateway instance within seconds (at once on the instance that made it). Provided by the ai plugin.
 */
export interface AiControl {
  /** Deployments with their configured and effective state. */
  deployments(): AiDeploymentState[];
  /** Model aliases with their fallbacks and whether traffic is switched to them. */
  aliases(): AiAliasState[];
  /** Routing skips the deployment (on every instance) until restored. `reason` is kept for operators. */
  drain(deployment: string, reason: string, origin?: ControlOrigin): Promise<ControlChange>;
  restore(deployment: string, origin?: ControlOrigin): Promise<ControlChange>;
  /** Weight of a deployment within an alias (weighted strategy); null returns to the configured weight. */
  setWeight(alias: string, deployment: string, weight: number | null, origin?: ControlOrigin): Promise<ControlChange>;
  /** Holds the deployment's circuit breaker open or closed whatever its error rate; null lets it decide again. */
  forceBreaker(deployment: string, state: 'open' | 'closed' | null, origin?: ControlOrigin): Promise<ControlChange>;
  /** Sends the alias' traffic to its fallback aliases first (true) or back to its own deployments (false). */
  switchToFallback(alias: string, on: boolean, origin?: ControlOrigin): Promise<ControlChange>;
  /**
   * One synthetic request straight to the deployment (past routing, breaker and drain): a one-token
   * chat completion, or a one-word embedding for embedding-only providers.
   */
  probe(deployment: string, timeoutMs: number): Promise<ProbeResult>;
}

/**
 * Who asked for a control change and why, recorded on the catalog revision it makes. Optional: without
 * it the author is read from a drain's reason (`ops rule <name>: …` → `ops:<name>`) or is `ops`.
 */
export interface ControlOrigin {
  /** e.g. `ops:<rule>`, `probe`, or the operator's principal id. */
  author?: string;
  reason?: string;
}

/** The outcome of a control change. */
export interface ControlChange {
  /** The catalog revision recording the change, or the newest one when the state already was so. */
  revision: number;
  /** False when nothing changed (no revision was stored). */
  changed: boolean;
}

export interface AiDeploymentState {
  id: string;
  provider: string;
  model: string;
  /** Aliases whose own deployments include it. */
  aliases: string[];
  breaker: 'closed' | 'half-open' | 'open';
  /** The breaker state forced by control, if any. */
  forcedBreaker: 'open' | 'closed' | null;
  drained: { reason: string; at: string } | null;
}

export interface AiAliasState {
  alias: string;
  fallbacks: string[];
  switchedToFallback: boolean;
  /** Effective weights per deployment of the alias (configured unless overridden). */
  weights: Record<string, number>;
  /**
   * The configured weight per deployment (the catalog's, without control overrides): a deployment
   * whose `weights` entry differs from it, or is overridden to the same value, is listed in `overridden`.
   */
  configuredWeights: Record<string, number>;
  /** Deployments whose weight is overridden by control (`setWeight`), whatever the value. */
  overridden: string[];
}

export interface ProbeResult {
  ok: boolean;
  /** The upstream's HTTP status when it answered. */
  status: number | null;
  latencyMs: number;
  /** What failed (`status`, `timeout`, `connection`), null on success. */
  error: string | null;
}

export const AI_CONTROL = createToken<AiControl>('ai-control');

/**
 * Reversible suspension of API keys by automation (provided by the auth plugin). A suspended key is
 * refused (403 `api_key_suspended`) on every instance within a second but keeps its id, secret and
 * settings; resuming it makes it work again. Revocation stays an admin's act.
 */
export interface KeyControl {
  /**
   * Suspends the key, audited as `api_key.suspend` with the reason (also told to the key's callers).
   * Idempotent: an already suspended key keeps its first suspension. False when the key does not
   * exist in the tenant; throws for a revoked key.
   * @param by Who suspends it, kept on the key (`suspended_by`), e.g. `ops:<rule>`; default `automation`.
   */
  suspendKey(tenantId: string, keyId: string, reason: string, by?: string): Promise<boolean>;
  /**
   * Lifts a suspension automation made (`suspended_by` `ops:<rule>` or the default `automation`),
   * audited as `api_key.resume`. Idempotent: a key that is not suspended is left as it is. False when
   * the key does not exist in the tenant; throws for a revoked key, and for a key an admin (anyone
   * else) suspended — that hold is lifted only through the admin API, the error says by whom.
   */
  resumeKey(tenantId: string, keyId: string): Promise<boolean>;
}

export const KEY_CONTROL = createToken<KeyControl>('key-control');
