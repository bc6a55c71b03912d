import { SCOPES, type GatewayContext } from '@aihub/core/plugin-api';
import type { AuthConfig } from '../config';
import type { AuthRuntime } from '../runtime';
import { CLIENT_SCOPES, CLIENT_TENANT } from './clientMetadata';
import { Denylist } from './Denylist';
import { JwtVerifier } from './JwtVerifier';
import { loadOidcProvider, type OidcModule, type OidcProvider, type ProviderContext } from './oidcTypes';
import { buildProviderConfig } from './providerConfig';
import { SigningKeyStore, type SigningKey } from './SigningKeys';
import { TENANT_CONTEXT, adapterFactory, purgeExpired, type AdapterDeps } from './SqlAdapter';

/** Channel telling every instance to reload signing keys after a rotation. */
export const SIGNING_KEYS_CHANNEL = 'auth:signing-keys';

/** The issuer: config, or http://localhost:<port>. */
export function issuerOf(config: AuthConfig, port: number): string {
  return config.issuer ?? `http://localhost:${port}`;
}

/**
 * The OAuth 2.0 / OIDC authorization server: an oidc-provider instance mounted into the gateway,
 * its signing keys, the JWT verifier of the hot path and the deny list. The signing keys, verifier
 * and deny list start with the plugin; oidc-provider is imported and the provider built at the
 * first request that needs it (`provider()`; issue 20: ~9 MB of idle RSS, see loadOidcProvider), so
 * verifying tokens never waits for it. A built provider is rebuilt whenever the key set changes
 * (rotation here or on another instance, a key passing its grace); one not built yet is built with
 * the key set current then.
 */
export class OAuthServer {
  readonly issuer: string;
  readonly audience: string;
  readonly resource: string;
  readonly keyStore: SigningKeyStore;
  readonly denylist: Denylist;
  readonly verifier: JwtVerifier;
  /** oidc-provider's module, once imported (see provider()). */
  private oidc?: OidcModule;
  private built?: OidcProvider;
  private callback?: (req: GatewayContext['req'], res: GatewayContext['res']) => Promise<void>;
  /** The first build, while oidc-provider is being imported (shared by concurrent requests). */
  private building?: Promise<OidcProvider>;
  /** The key set the provider is (or will be) built with: the verifier's. */
  private keys: SigningKey[] = [];
  private readonly adapterDeps: Omit<AdapterDeps, 'oidc'>;
  private unsubscribe?: () => Promise<void>;
  private retireTimer?: NodeJS.Timeout;
  private purgeTimer?: NodeJS.Timeout;
  private reloading?: Promise<void>;

  constructor(private readonly rt: AuthRuntime) {
    const { ctx } = rt;
    const cfg = ctx.config;
    const now = () => ctx.clock.now();
    this.issuer = issuerOf(cfg, ctx.coreConfig.server.port);
    this.audience = cfg.audience ?? this.issuer;
    this.resource = this.issuer;
    this.keyStore = new SigningKeyStore(rt.models, rt.secrets, ctx.database, now, cfg.oauth.signingAlg, (m, meta) =>
      ctx.logger.warn(m, meta),
    );
    this.denylist = new Denylist(rt.models, ctx.sharedStore, now, (err) =>
      ctx.logger.warn('auth: could not share a token revocation', { err }),
    );
    const algorithms = [...new Set([cfg.oauth.signingAlg, ...cfg.oauth.extraAlgorithms])];
    this.verifier = new JwtVerifier(
      {
        issuer: this.issuer,
        audience: this.audience,
        algorithms,
        clockToleranceSeconds: cfg.oauth.clockToleranceSeconds,
        cacheMax: cfg.oauth.jwtCacheMax,
        keyRefreshMinIntervalMs: cfg.oauth.keyRefreshMinIntervalMs,
      },
      () => this.reload(),
      this.denylist,
      rt.metrics,
      now,
    );
    this.adapterDeps = {
      models: rt.models,
      clients: rt.clients,
      now,
      onGrantRevoked: (grantId) => void this.denyGrant(grantId),
    };
  }

  async start(): Promise<void> {
    await this.denylist.start();
    let keys = await this.keyStore.ensureActive();
    const wanted = this.rt.ctx.config.oauth.signingAlg;
    if (keys[0].alg !== wanted) {
      // signingAlg changed in config: a new key of that algorithm; the old one verifies for the grace period.
      this.rt.ctx.logger.info(`auth: signing algorithm changed to ${wanted}; rotating the signing key`);
      await this.keyStore.rotate(this.rt.ctx.config.oauth.signingKeyGraceSeconds);
      keys = await this.keyStore.ensureActive();
      await this.rt.ctx.sharedStore.publish(SIGNING_KEYS_CHANNEL, keys[0].kid);
    }
    await this.apply(keys);
    this.unsubscribe = await this.rt.ctx.sharedStore.subscribe(SIGNING_KEYS_CHANNEL, () => void this.reload());
    this.purgeTimer = setInterval(() => {
      purgeExpired(this.rt.models, this.rt.ctx.clock.now()).catch((err) =>
        this.rt.ctx.logger.warn('auth: could not purge expired OAuth rows', { err }),
      );
    }, 10 * 60_000);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.retireTimer);
    clearInterval(this.purgeTimer);
    await this.unsubscribe?.().catch(() => {});
    await this.denylist.stop();
  }

  /** Reloads keys from the database and rebuilds the provider (shared by concurrent callers). */
  reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const keys = await this.keyStore.load();
        await this.apply(keys[0]?.status === 'active' ? keys : await this.keyStore.ensureActive());
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }

  /** New active key; the previous one verifies for `graceSeconds` more. Every instance reloads. */
  async rotate(graceSeconds: number): Promise<SigningKey> {
    const key = await this.keyStore.rotate(graceSeconds);
    await this.reload();
    this.rt.metrics.signingKeyRotations.inc();
    await this.rt.ctx.sharedStore.publish(SIGNING_KEYS_CHANNEL, key.kid);
    return key;
  }

  private async apply(keys: SigningKey[]): Promise<void> {
    // A provider already built gets the new key set now (its JWKS and signing key); built first, so a
    // bad key set leaves the previous provider and verifier in place.
    let provider = this.built && this.build(this.oidc!, keys);
    await this.verifier.setKeys(keys);
    this.keys = keys;
    // The first request's build finished while the verifier took the keys: it has the previous set.
    if (!provider && this.built) provider = this.build(this.oidc!, keys);
    if (provider) this.install(provider);
    // Rebuild when the next retiring key leaves its grace period, so the JWKS stops listing it.
    clearTimeout(this.retireTimer);
    const next = Math.min(...keys.filter((k) => k.status === 'retiring').map((k) => k.retireAt));
    if (Number.isFinite(next)) {
      this.retireTimer = setTimeout(
        () => void this.reload().catch(() => {}),
        Math.min(Math.max(next - this.rt.ctx.clock.now(), 0) + 50, 2 ** 31 - 1),
      );
      this.retireTimer.unref();
    }
  }

  /**
   * The provider, built at the first call: oidc-provider is imported then, once, on the authorization
   * server's first request after start (~170 ms for that request; Node 24's loader holds the event
   * loop for ~140 ms of it, Node 20's ~20 ms). API requests with a JWT are verified without it. Later
   * calls get the current provider at once.
   */
  provider(): Promise<OidcProvider> {
    if (this.built) return Promise.resolve(this.built);
    this.building ??= loadOidcProvider()
      .then((oidc) => {
        this.oidc = oidc;
        // A rotation while importing updated this.keys: built with the current set.
        this.built ??= this.install(this.build(oidc, this.keys));
        return this.built;
      })
      .finally(() => (this.building = undefined));
    return this.building;
  }

  private install(provider: OidcProvider): OidcProvider {
    this.built = provider;
    this.callback = provider.callback() as never;
    return provider;
  }

  private build(oidc: OidcModule, keys: SigningKey[]): OidcProvider {
    const { ctx } = this.rt;
    const config = buildProviderConfig({
      config: ctx.config,
      oidc,
      issuer: this.issuer,
      audience: this.audience,
      resource: this.resource,
      secrets: this.rt.secrets,
      tenancy: () => this.rt.tenancy(),
      adapter: adapterFactory({ ...this.adapterDeps, oidc }),
      tenantOfGrant: (grantId) => this.tenantOfGrant(grantId),
      jwks: keys.map((k) => k.privateJwk),
    });
    const provider = new oidc.Provider(this.issuer, config);
    provider.proxy = ctx.coreConfig.server.trustProxy;
    (provider as unknown as { silent: boolean }).silent = true;
    provider.use((c, next) => this.afterRoute(c, next));
    provider.on('server_error', (_c: unknown, err: unknown) => ctx.logger.error('auth: OAuth server error', { err }));
    return provider;
  }

  /**
   * Koa handler for every /oauth/* and /.well-known/* route: the provider answers on the raw response
   * (the request body is read by the provider, so it waits unread while the first request builds it).
   */
  handle = async (ctx: GatewayContext): Promise<void> => {
    if (!this.callback) await this.provider();
    ctx.respond = false;
    await this.callback!(ctx.req, ctx.res);
  };

  /**
   * After oidc-provider's route ran: JWT access tokens at the introspection and revocation endpoints
   * (oidc-provider answers `unsupported_token_type` for structured tokens, after authenticating the
   * client), the `scope` of default-scoped client_credentials responses, and token metrics.
   */
  private async afterRoute(ctx: ProviderContext, next: () => Promise<void>): Promise<void> {
    await next();
    const oidc = ctx.oidc;
    if (!oidc) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (
      (oidc.route === 'introspection' || oidc.route === 'revocation') &&
      ctx.status === 400 &&
      body?.error === 'unsupported_token_type' &&
      oidc.client
    ) {
      const token = oidc.params?.token;
      if (typeof token === 'string')
        await (oidc.route === 'introspection' ? this.introspectJwt(ctx, token) : this.revokeJwt(ctx, token));
      return;
    }
    if (oidc.route === 'token' && ctx.status === 200 && body && typeof body.access_token === 'string') {
      const grantType = typeof oidc.params?.grant_type === 'string' ? oidc.params.grant_type : 'unknown';
      if (grantType === 'client_credentials' && body.scope === undefined && !oidc.params?.scope) {
        const scopes = oidc.client?.[CLIENT_SCOPES];
        if (typeof scopes === 'string' && scopes) body.scope = scopes;
      }
      this.rt.metrics.tokens.inc({
        grant_type: ['client_credentials', 'authorization_code', 'refresh_token'].includes(grantType)
          ? grantType
          : 'other',
      });
    }
  }

  /** RFC 7662 for our JWT access tokens: the caller's own tokens, or (confidential) its tenant's. */
  private async introspectJwt(ctx: ProviderContext, token: string): Promise<void> {
    ctx.status = 200;
    ctx.body = { active: false };
    const client = ctx.oidc!.client!;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await this.verifier.verifySignature(token));
    } catch {
      return;
    }
    const tokenClient = payload.client_id;
    const sameClient = tokenClient === client.clientId;
    const sameTenant = client.clientAuthMethod !== 'none' && payload.tenant_id === client[CLIENT_TENANT];
    if (!sameClient && !sameTenant) return;
    if (
      this.denylist.denies(
        payload.jti as string,
        payload.gid as string | undefined,
        tokenClient as string,
        payload.tenant_id as string | undefined,
      )
    )
      return;
    ctx.body = {
      active: true,
      token_type: 'Bearer',
      client_id: tokenClient,
      sub: payload.sub,
      scope: payload.scope,
      exp: payload.exp,
      iat: payload.iat,
      nbf: payload.nbf,
      iss: payload.iss,
      aud: payload.aud,
      jti: payload.jti,
      tenant_id: payload.tenant_id,
      role: payload.role,
    };
  }

  /** RFC 7009 for our JWT access tokens: denied by `jti` until it expires, on every instance. */
  private async revokeJwt(ctx: ProviderContext, token: string): Promise<void> {
    const client = ctx.oidc!.client!;
    ctx.status = 200;
    ctx.body = '';
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await this.verifier.verifySignature(token));
    } catch {
      // Invalid or expired tokens: nothing to revoke, and RFC 7009 answers 200 anyway.
      return;
    }
    if (payload.client_id !== client.clientId) {
      if (client.clientAuthMethod === 'none') return;
      ctx.status = 400;
      ctx.body = {
        error: 'invalid_request',
        error_description: 'client is not authorized to revoke the presented token',
      };
      return;
    }
    await this.denylist.add(`jti:${payload.jti as string}`, (payload.exp as number) * 1000);
  }

  /** A revoked grant: its unexpired access tokens stop working everywhere. */
  async denyGrant(grantId: string): Promise<void> {
    const oauth = this.rt.ctx.config.oauth;
    await this.denylist.add(
      `gid:${grantId}`,
      this.rt.ctx.clock.now() + (oauth.accessTokenTtlSeconds + oauth.clockToleranceSeconds + 5) * 1000,
    );
  }

  /** A deleted tenant: every unexpired access token issued for it stops working everywhere. */
  async denyTenant(tenantId: string): Promise<void> {
    const oauth = this.rt.ctx.config.oauth;
    await this.denylist.add(
      `tid:${tenantId}`,
      this.rt.ctx.clock.now() + (oauth.accessTokenTtlSeconds + oauth.clockToleranceSeconds + 5) * 1000,
    );
  }

  /** A deleted client: its unexpired access tokens stop working everywhere. */
  async denyClient(clientId: string): Promise<void> {
    const oauth = this.rt.ctx.config.oauth;
    await this.denylist.add(
      `cid:${clientId}`,
      this.rt.ctx.clock.now() + (oauth.accessTokenTtlSeconds + oauth.clockToleranceSeconds + 5) * 1000,
    );
  }

  /** Records the tenant a user signed in to for a grant (read when tokens are issued). */
  async setTenantOfGrant(grantId: string, tenantId: string): Promise<void> {
    const ttl = this.rt.ctx.config.oauth.refreshTokenTtlSeconds;
    await this.rt.models.OidcPayload.upsert({
      kind: TENANT_CONTEXT,
      id: grantId,
      payload: JSON.stringify({ tenantId }),
      grant_id: grantId,
      client_id: null,
      uid: null,
      user_code: null,
      expires_at: new Date(this.rt.ctx.clock.now() + ttl * 1000),
      consumed_at: null,
    });
  }

  async tenantOfGrant(grantId: string): Promise<string | undefined> {
    const row = await this.rt.models.OidcPayload.findOne({ where: { kind: TENANT_CONTEXT, id: grantId }, raw: true });
    if (!row) return undefined;
    try {
      return (JSON.parse((row as unknown as { payload: string }).payload) as { tenantId?: string }).tenantId;
    } catch {
      return undefined;
    }
  }

  /** Scopes a client may hold on the gateway API (for the consent page). */
  static apiScopes(requested: string | undefined): string[] {
    const all = new Set<string>(SCOPES);
    return (requested ?? '').split(' ').filter((s) => all.has(s));
  }
}
