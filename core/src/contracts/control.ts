import { createToken } from '../kernel/serviceTokens';

/**
 * Operational control of the ai plugin's routing, for automation (the ops plugin) and operators.
 * Every change is cluster-wide: it is kept in the shared store and every gateway instance applies it
 * within `sync` of the change (at once on the instance that made it). Provided by the ai plugin.
 */
export interface AiControl {
  /** Deployments with their configured and effective state. */
  deployments(): AiDeploymentState[];
  /** Model aliases with their fallbacks and whether traffic is switched to them. */
  aliases(): AiAliasState[];
  /** Routing skips the deployment (on every instance) until restored. `reason` is kept for operators. */
  drain(deployment: string, reason: string): Promise<void>;
  restore(deployment: string): Promise<void>;
  /** Weight of a deployment within an alias (weighted strategy); null returns to the configured weight. */
  setWeight(alias: string, deployment: string, weight: number | null): Promise<void>;
  /** Holds the deployment's circuit breaker open or closed whatever its error rate; null lets it decide again. */
  forceBreaker(deployment: string, state: 'open' | 'closed' | null): Promise<void>;
  /** Sends the alias' traffic to its fallback aliases first (true) or back to its own deployments (false). */
  switchToFallback(alias: string, on: boolean): Promise<void>;
  /**
   * One synthetic request straight to the deployment (past routing, breaker and drain): a one-token
   * chat completion, or a one-word embedding for embedding-only providers.
   */
  probe(deployment: string, timeoutMs: number): Promise<ProbeResult>;
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

/** Suspension of an API key by automation (provided by the auth plugin): it stops working on every instance. */
export interface KeyControl {
  /** Revokes the key (audited with the reason); false when the key does not exist in the tenant. */
  suspendKey(tenantId: string, keyId: string, reason: string): Promise<boolean>;
}

export const KEY_CONTROL = createToken<KeyControl>('key-control');
