import type { Counter } from 'prom-client';
import type { PluginMeter } from '@aihub/core/plugin-api';

type Child = ReturnType<Counter<string>['labels']>;

/**
 * The plugin's metrics. Label children are bound once here, so counting on the hot path is a
 * property access and an add, with no label-object hashing per request. No tenant or key ids in
 * labels (cardinality).
 */
export interface AuthMetrics {
  apiKeyOk: Child;
  apiKeyInvalid: Child;
  apiKeyExpired: Child;
  apiKeyRevoked: Child;
  apiKeySuspended: Child;
  apiKeyCacheHit: Child;
  apiKeyCacheMiss: Child;
  jwtOk: Child;
  jwtInvalid: Child;
  jwtExpired: Child;
  jwtRevoked: Child;
  jwtCacheHit: Child;
  jwtCacheMiss: Child;
  missing: Child;
  insufficientScope: Child;
  /** Credentials refused because of their owner (removed, disabled, not a member any more). */
  ownerRefused: Counter<'reason'>;
  /** Credentials refused with 429 because their client address failed too often. */
  throttled: Child;
  login: Counter<'result'>;
  tokens: Counter<'grant_type'>;
  signingKeyRotations: Counter<string>;
}

export function createAuthMetrics(meter: PluginMeter): AuthMetrics {
  const decisions = meter.counter(
    'auth_decisions_total',
    'Authentication and authorization decisions by credential kind and result',
    ['method', 'result'],
  );
  const cache = meter.counter('auth_cache_lookups_total', 'Hot-path credential cache lookups', ['cache', 'result']);
  return {
    apiKeyOk: decisions.labels('api_key', 'ok'),
    apiKeyInvalid: decisions.labels('api_key', 'invalid'),
    apiKeyExpired: decisions.labels('api_key', 'expired'),
    apiKeyRevoked: decisions.labels('api_key', 'revoked'),
    apiKeySuspended: decisions.labels('api_key', 'suspended'),
    apiKeyCacheHit: cache.labels('api_key', 'hit'),
    apiKeyCacheMiss: cache.labels('api_key', 'miss'),
    jwtOk: decisions.labels('jwt', 'ok'),
    jwtInvalid: decisions.labels('jwt', 'invalid'),
    jwtExpired: decisions.labels('jwt', 'expired'),
    jwtRevoked: decisions.labels('jwt', 'revoked'),
    jwtCacheHit: cache.labels('jwt', 'hit'),
    jwtCacheMiss: cache.labels('jwt', 'miss'),
    missing: decisions.labels('none', 'missing'),
    insufficientScope: decisions.labels('any', 'insufficient_scope'),
    ownerRefused: meter.counter(
      'auth_owner_refusals_total',
      "Credentials refused because of their owner's current state",
      ['reason'],
    ),
    throttled: decisions.labels('any', 'throttled'),
    login: meter.counter('auth_logins_total', 'Login page attempts by result', ['result']),
    tokens: meter.counter('auth_tokens_issued_total', 'OAuth access tokens issued by grant type', ['grant_type']),
    signingKeyRotations: meter.counter('auth_signing_key_rotations_total', 'Signing key rotations'),
  };
}
