import { CREDENTIAL_SUBJECTS, KEY_CONTROL, definePlugin } from '@aihub/core/plugin-api';
import { clientRoutes } from './admin/clientRoutes';
import { keyRoutes } from './admin/keyRoutes';
import { passwordRoute } from './admin/passwordRoute';
import { bootstrapKeyFrom, credentialsSink, printBootstrap, runBootstrap } from './bootstrap';
import { authConfig, type AuthConfig } from './config';
import { authHooks, type HookServices } from './hooks';
import { ApiKeyAuthenticator } from './keys/ApiKeyAuthenticator';
import { ApiKeyStore } from './keys/ApiKeyStore';
import { credentialNames } from './keys/credentialNames';
import { keyControl } from './keys/keyControl';
import { createAuthMetrics } from './metrics';
import { migrations } from './migrations';
import { defineModels } from './models';
import { ClientStore } from './oauth/ClientStore';
import { OAuthServer, issuerOf } from './oauth/OAuthServer';
import { FIRST_PARTY_CLIENTS, firstPartyClients } from './oauth/firstParty';
import { oauthRoutes } from './oauth/oauthRoutes';
import { ownerChangeListener } from './owners/cascade';
import { OwnerGuard } from './owners/OwnerGuard';
import { newAuthRuntime } from './runtime';
import { AuthFailureThrottle } from './throttle/AuthFailureThrottle';
import { resolveServerSecrets } from './secrets';

/**
 * API keys (HMAC-hashed, cached on the hot path, revocation on every instance within a second), the
 * OAuth 2.0 / OpenID Connect authorization server (oidc-provider) with JWT access tokens verified on
 * the hot path, the API-key and OAuth-client admin API, and the first-start bootstrap.
 */
export default definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'auth',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'API keys, OAuth 2.0 / OIDC authorization server, JWT access tokens',
  dependsOn: ['tenancy'],
  config: authConfig,
  routePrefix: '',
  migrations,
  provides: [CREDENTIAL_SUBJECTS, FIRST_PARTY_CLIENTS, KEY_CONTROL],
  // `start` comes first: TypeScript infers `ctx.runtime` (the AuthRuntime) from what it returns.
  async start(ctx) {
    const cfg: AuthConfig = ctx.config;
    // Fail before anything is written when the bootstrap key from the environment is malformed.
    if (cfg.bootstrap.enabled) bootstrapKeyFrom(cfg.bootstrap.adminKey ?? process.env.AIHUB_BOOTSTRAP_ADMIN_KEY);
    // The same counters the hooks count with: the meter hands back a metric already registered.
    const rt = newAuthRuntime(ctx, createAuthMetrics(ctx.meter));
    rt.secrets = await resolveServerSecrets(cfg.keySecret, ctx.coreConfig);
    if (rt.secrets.source !== 'config') {
      ctx.logger.warn(
        rt.secrets.source === 'ephemeral'
          ? 'auth.keySecret is not set: using a random secret for this process (in-memory database); API keys stop working on restart'
          : 'auth.keySecret is not set: using a development secret stored in the data directory; set keySecret (the same on every instance) in production',
      );
    }
    rt.models = defineModels(ctx.database.sequelize, ctx.table);
    const now = () => ctx.clock.now();
    rt.keys = new ApiKeyStore(rt.models, rt.secrets, now);
    rt.clients = new ClientStore(rt.models, rt.secrets, ctx.database, now);
    rt.apiKeys = new ApiKeyAuthenticator(
      rt.keys,
      rt.secrets,
      ctx.sharedStore,
      rt.metrics,
      cfg.apiKeys,
      now,
      (err, what) => ctx.logger.warn(`auth: could not ${what}`, { err }),
    );
    rt.keys.onCreated = (id) => rt.apiKeys.remember(id);
    await rt.apiKeys.start();
    const tenancy = rt.tenancy();
    rt.owners = new OwnerGuard((userId) => tenancy.ownerState(userId), rt.metrics, {
      ttlMs: cfg.owners.cacheTtlMs,
      max: cfg.owners.cacheMax,
    });
    rt.stopOwnerEvents = tenancy.onOwnerChange(ownerChangeListener(rt));
    rt.failures = new AuthFailureThrottle(
      { perMinute: cfg.authFailures.perMinute, maxClients: cfg.authFailures.maxClients },
      ctx.store,
      now,
      (err) => ctx.logger.warn('auth: could not count a failed authentication on the shared store', { err }),
    );
    if (cfg.oauth.enabled) {
      rt.oauth = new OAuthServer(rt);
      await rt.oauth.start();
      rt.tokens = rt.oauth.verifier;
    }
    // A terminal, else a 0600 file in the data dir: never the log stream (see credentialsSink).
    const banner = cfg.bootstrap.print
      ? credentialsSink({ dataDir: ctx.coreConfig.dataDir, logger: ctx.logger }).write
      : () => {};
    printBootstrap(await runBootstrap(rt), issuerOf(cfg, ctx.coreConfig.server.port), banner);
    rt.started = true;
    return rt;
  },
  register(bind, ctx) {
    // Automation (the ops plugin) suspends keys through this.
    bind.bindConstant(KEY_CONTROL, keyControl(ctx));
    // The console (and any first-party app) registers its public client through this (after start).
    bind.bindConstant(FIRST_PARTY_CLIENTS, firstPartyClients(ctx));
    // Limits and budgets may be set only for keys and OAuth clients of the tenant (read when a route asks, after start).
    bind.bindConstant(CREDENTIAL_SUBJECTS, {
      async exists(tenantId, kind, id) {
        if (kind !== 'key') return undefined;
        const rt = ctx.runtime;
        return (await rt.keys.get(tenantId, id)) !== undefined || (await rt.clients.get(tenantId, id)) !== undefined;
      },
      // Names of keys and OAuth clients for usage answers (usage shows key_id): two indexed reads per page.
      names: (tenantId, kind, ids) =>
        kind === 'key' ? credentialNames(ctx.runtime.models, tenantId, ids) : Promise.resolve(new Map()),
    });
  },
  hooks(ctx) {
    // The services exist once the plugin started; the hooks read them per request.
    const services: HookServices = {
      get apiKeys() {
        return ctx.runtime.apiKeys;
      },
      get tokens() {
        return ctx.runtime.tokens;
      },
      get owners() {
        return ctx.runtime.owners;
      },
      get failures() {
        return ctx.runtime.failures;
      },
    };
    return authHooks(services, createAuthMetrics(ctx.meter));
  },
  routes(router, ctx) {
    const rt = () => ctx.runtime;
    keyRoutes(router, rt);
    clientRoutes(router, rt);
    passwordRoute(router, rt);
    if (ctx.config.oauth.enabled) oauthRoutes(router, rt);
  },
  health: (ctx) => [
    {
      name: 'auth',
      // Ready once the key cache and (when enabled) the authorization server with an active signing key are up.
      check: async () => {
        const rt = ctx.runtime;
        if (!rt.started) throw new Error('auth is starting');
        return {
          api_keys_cached: rt.apiKeys.size,
          oauth: rt.oauth
            ? { issuer: rt.oauth.issuer, jwts_cached: rt.oauth.verifier.cacheSize, denylist: rt.oauth.denylist.size }
            : 'disabled',
        };
      },
    },
  ],
  async stop(ctx) {
    const rt = ctx.runtime;
    rt.stopOwnerEvents?.();
    await rt.oauth?.stop();
    await rt.apiKeys?.stop();
  },
});

export { authConfig, type AuthConfig } from './config';
export { parseApiKey, generateApiKey, KEY_PREFIX } from './keyFormat';
export {
  FIRST_PARTY_CLIENTS,
  PLATFORM_CLIENT_TENANT,
  type FirstPartyClients,
  type FirstPartyClientSpec,
} from './oauth/firstParty';
