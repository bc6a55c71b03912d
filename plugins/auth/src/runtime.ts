import { ACCESS_CONTROL, AUDIT_LOG, type AccessControl, type AuditLog, type PluginContext } from '@aihub/core/plugin-api';
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
 * Per-gateway state of the plugin. Hooks and routes are collected before `start` runs, so they hold
 * the runtime and read its services when a request arrives. Keyed by the plugin context: two
 * gateways in one process (tests) each get their own.
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
  tenancy(): TenancyService;
  access(): AccessControl;
  audit(): AuditLog | undefined;
}

const runtimes = new WeakMap<object, Partial<AuthRuntime>>();

/** The runtime of this gateway's auth plugin (filled during start). */
export function runtimeOf(ctx: PluginContext<AuthConfig>): AuthRuntime {
  let rt = runtimes.get(ctx);
  if (!rt) {
    let tenancy: TenancyService | undefined;
    let access: AccessControl | undefined;
    let audit: AuditLog | null | undefined;
    rt = {
      ctx,
      started: false,
      loginThrottle: new LoginThrottle(ctx.store, ctx.config.oauth.loginFailuresPerIpPerMinute, ctx.config.oauth.loginLockout),
      tenancy: () => (tenancy ??= ctx.get(TENANCY)),
      access: () => (access ??= ctx.get(ACCESS_CONTROL)),
      audit: () => (audit === undefined ? (audit = ctx.tryGet(AUDIT_LOG) ?? null) : audit) ?? undefined,
    };
    runtimes.set(ctx, rt);
  }
  return rt as AuthRuntime;
}
