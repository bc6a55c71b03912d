import {
  ACCESS_CONTROL,
  AUDIT_LOG,
  type AccessControl,
  type AuditLog,
  type PluginContext,
} from '@aihub/core/plugin-api';
import { TENANCY, type TenancyService } from '@aihub/plugin-tenancy';
import type { AuthConfig } from './config';
import type { TokenVerifier } from './hooks';
import type { ApiKeyAuthenticator } from './keys/ApiKeyAuthenticator';
import type { ApiKeyStore } from './keys/ApiKeyStore';
import type { AuthMetrics } from './metrics';
import type { AuthModels } from './models';
import type { ClientStore } from './oauth/ClientStore';
import type { OAuthServer } from './oauth/OAuthServer';
import { LoginThrottle } from './oauth/loginThrottle';
import type { OwnerGuard } from './owners/OwnerGuard';
import type { AuthFailureThrottle } from './throttle/AuthFailureThrottle';
import type { ServerSecrets } from './secrets';

/**
 * Per-gateway state of the plugin: `start` builds it and returns it, so it is `ctx.runtime`. Hooks
 * and routes are collected before `start` runs: they read it when a request arrives.
 */
export interface AuthRuntime {
  ctx: PluginContext<AuthConfig>;
  metrics: AuthMetrics;
  models: AuthModels;
  secrets: ServerSecrets;
  keys: ApiKeyStore;
  apiKeys: ApiKeyAuthenticator;
  clients: ClientStore;
  /** Undefined when OAuth is disabled. */
  oauth?: OAuthServer;
  /** JWT access-token verification on the hot path (undefined when OAuth is disabled). */
  tokens?: TokenVerifier;
  /** Re-validates users' keys and tokens against the user's current state (set in start). */
  owners: OwnerGuard;
  /** Failed authentications per client address on the API (set in start). */
  failures: AuthFailureThrottle;
  /** Failed sign-ins per client IP (the login page). */
  loginThrottle: LoginThrottle;
  /** True once start() finished. */
  started: boolean;
  /** Removes the owner-change listener (on stop). */
  stopOwnerEvents?: () => void;
  tenancy(): TenancyService;
  access(): AccessControl;
  audit(): AuditLog | undefined;
}

/** The auth plugin's context: `ctx.runtime` is the AuthRuntime its `start` built. */
export type AuthContext = PluginContext<AuthConfig, AuthRuntime>;

/**
 * The runtime's first part, which `start` fills in as it opens each service (the rest of the fields
 * are set before `start` returns it).
 */
export function newAuthRuntime(ctx: PluginContext<AuthConfig>, metrics: AuthMetrics): AuthRuntime {
  let tenancy: TenancyService | undefined;
  let access: AccessControl | undefined;
  let audit: AuditLog | null | undefined;
  const rt: Partial<AuthRuntime> = {
    ctx,
    metrics,
    started: false,
    loginThrottle: new LoginThrottle(
      ctx.store,
      ctx.config.oauth.loginFailuresPerIpPerMinute,
      ctx.config.oauth.loginLockout,
    ),
    tenancy: () => (tenancy ??= ctx.get(TENANCY)),
    access: () => (access ??= ctx.get(ACCESS_CONTROL)),
    audit: () => (audit === undefined ? (audit = ctx.tryGet(AUDIT_LOG) ?? null) : audit) ?? undefined,
  };
  return rt as AuthRuntime;
}
