import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { SCOPES, type TenantRole } from '@aihub/core/plugin-api';
import type { TenancyService } from '@aihub/plugin-tenancy';
import type { AuthConfig } from '../config';
import type { ServerSecrets } from '../secrets';
import {
  CLIENT_FIRST_PARTY,
  CLIENT_MODELS,
  CLIENT_API_VERSION,
  CLIENT_ROLE,
  CLIENT_SCOPES,
  CLIENT_TENANT,
  EXTRA_CLIENT_METADATA,
} from './clientMetadata';
import { parseJson } from '../models';
import { renderErrorPage, renderLogoutPage, renderLogoutSuccessPage } from './pages';
import type { OidcAccount, OidcClient, OidcModule, OidcToken, ProviderContext } from './oidcTypes';

/** What the provider configuration needs from the rest of the plugin. */
export interface ProviderDeps {
  config: AuthConfig;
  oidc: OidcModule;
  issuer: string;
  audience: string;
  /** The resource indicator (RFC 8707) of the gateway API; defaulted when a client sends none. */
  resource: string;
  secrets: ServerSecrets;
  tenancy: () => TenancyService;
  adapter: (name: string) => unknown;
  /** Tenant a user signed in to, per grant (set by the login page). */
  tenantOfGrant: (grantId: string) => Promise<string | undefined>;
  jwks: Jose.JWK[];
}

const KNOWN_SCOPES = new Set<string>([...SCOPES, 'openid', 'offline_access', 'email']);
const ROLE_ORDER: TenantRole[] = ['viewer', 'developer', 'admin', 'owner'];
const minRole = (a: TenantRole, b: TenantRole): TenantRole => (ROLE_ORDER.indexOf(a) <= ROLE_ORDER.indexOf(b) ? a : b);

function clientString(client: OidcClient | undefined, key: string): string | undefined {
  const v = client?.[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * oidc-provider configuration. Deliberate choices:
 * - storage: the SQL adapter (no in-memory adapter); clients from auth_oauth_clients (secrets hashed);
 * - no dev interactions: the gateway's own login page (/oauth/interaction/:uid);
 * - access tokens are always JWTs for one resource server (the gateway), `aud` = config audience,
 *   carrying `tenant_id`, `role`, `scope`, `client_id` (+ `gid`, `superadmin` for user tokens);
 * - PKCE required for every authorization request (oidc-provider 9 only implements S256: `plain` is
 *   refused by the library itself, there is no `methods` option any more);
 * - refresh tokens rotate on every use; a reused one revokes the whole grant (oidc-provider does this;
 *   the adapter makes concurrent reuse fail the same way);
 * - only `code` responses, client_secret_basic/post or none (PKCE public clients); no HS* or
 *   encryption algorithms that would need the clear client secret.
 */
export function buildProviderConfig(deps: ProviderDeps): Record<string, unknown> {
  const { config, oidc, tenancy } = deps;
  const oauth = config.oauth;
  const alg = oauth.signingAlg;

  async function findAccount(_ctx: ProviderContext, sub: string, token?: OidcToken): Promise<OidcAccount | undefined> {
    if (typeof sub !== 'string' || sub.length > 64) return undefined;
    const user = await tenancy().getUser(sub);
    if (!user || user.status !== 'active') return undefined;
    // At a code or refresh-token exchange: the user must still belong to the tenant they signed in to.
    if (token?.grantId) {
      const tenantId = await deps.tenantOfGrant(token.grantId);
      if (!tenantId || (!user.superadmin && !(await tenancy().roleOf(sub, tenantId)))) return undefined;
    }
    return {
      accountId: sub,
      claims: () => ({ sub, email: user.email, email_verified: false }),
    };
  }

  async function extraTokenClaims(
    ctx: ProviderContext,
    token: OidcToken,
  ): Promise<Record<string, unknown> | undefined> {
    const client = token.client ?? ctx.oidc?.client;
    const clientTenant = clientString(client, CLIENT_TENANT);
    const clientRole = (clientString(client, CLIENT_ROLE) ?? 'viewer') as TenantRole;
    // The client's allowed models travel in its tokens (user tokens too: the client limits them).
    const modelsJson = clientString(client, CLIENT_MODELS);
    // So does its API version pin (the request's version: header > this pin > tenant pin > current).
    const pin = clientString(client, CLIENT_API_VERSION);
    const models = {
      ...(modelsJson ? { allowed_models: parseJson<string[]>(modelsJson, []) } : {}),
      ...(pin ? { api_version: pin } : {}),
    };
    if (token.kind === 'ClientCredentials') return { tenant_id: clientTenant, role: clientRole, ...models };
    if (!token.accountId || !token.grantId) return undefined;
    const tenantId = await deps.tenantOfGrant(token.grantId);
    const user = await tenancy().getUser(token.accountId);
    if (!tenantId || !user)
      return { tenant_id: tenantId ?? clientTenant, role: 'viewer', gid: token.grantId, ...models };
    const firstParty = client?.[CLIENT_FIRST_PARTY] === true;
    const superadmin = user.superadmin && firstParty;
    const userRole = superadmin ? 'owner' : ((await tenancy().roleOf(user.id, tenantId)) ?? 'viewer');
    return {
      tenant_id: tenantId,
      role: firstParty ? userRole : minRole(userRole, clientRole),
      gid: token.grantId,
      ...(superadmin ? { superadmin: true } : {}),
      ...models,
    };
  }

  return {
    adapter: deps.adapter,
    jwks: { keys: deps.jwks },
    findAccount,
    extraTokenClaims,
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    scopes: ['openid', 'offline_access', 'email'],
    extraParams: ['tenant'],
    extraClientMetadata: { properties: EXTRA_CLIENT_METADATA },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: alg,
    },
    enabledJWA: {
      idTokenSigningAlgValues: [alg],
      userinfoSigningAlgValues: [alg],
      introspectionSigningAlgValues: [alg],
      authorizationSigningAlgValues: [alg],
      requestObjectSigningAlgValues: [alg],
      clientAuthSigningAlgValues: [alg],
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Clients allowed the refresh_token grant get one with every code exchange (no offline_access dance).
    issueRefreshToken: async (_ctx: ProviderContext, client: OidcClient) => client.grantTypeAllowed('refresh_token'),
    cookies: {
      keys: deps.secrets.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
      names: { session: 'aihub_oidc_session', interaction: 'aihub_oidc_interaction', resume: 'aihub_oidc_resume' },
    },
    ttl: {
      AccessToken: oauth.accessTokenTtlSeconds,
      ClientCredentials: oauth.accessTokenTtlSeconds,
      AuthorizationCode: oauth.authorizationCodeTtlSeconds,
      IdToken: oauth.accessTokenTtlSeconds,
      RefreshToken: oauth.refreshTokenTtlSeconds,
      Grant: oauth.refreshTokenTtlSeconds,
      Session: oauth.sessionTtlSeconds,
      Interaction: oauth.interactionTtlSeconds,
    },
    routes: {
      authorization: '/oauth/authorize',
      token: '/oauth/token',
      jwks: '/oauth/jwks',
      introspection: '/oauth/introspect',
      revocation: '/oauth/revoke',
      userinfo: '/oauth/userinfo',
      end_session: '/oauth/logout',
      pushed_authorization_request: '/oauth/par',
      code_verification: '/oauth/device',
      device_authorization: '/oauth/device/auth',
      backchannel_authentication: '/oauth/backchannel',
      registration: '/oauth/register',
      challenge: '/oauth/challenge',
      credential: '/oauth/credential',
    },
    interactions: {
      url: (_ctx: ProviderContext, interaction: { uid: string }) => `/oauth/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client may introspect its own tokens, or (confidential clients) any token of its tenant.
        allowedPolicy: async (ctx: ProviderContext, client: OidcClient, token: OidcToken) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          const owner = await ctx.oidc?.provider.Client.find(token.clientId ?? '');
          return !!owner && clientString(owner, CLIENT_TENANT) === clientString(client, CLIENT_TENANT);
        },
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: ProviderContext, client: OidcClient, token: OidcToken) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new oidc.errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => deps.resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx: ProviderContext, resourceIndicator: string, client: OidcClient) => {
          if (resourceIndicator !== deps.resource && resourceIndicator !== deps.audience)
            throw new oidc.errors.InvalidTarget();
          // Unknown scope values are an error (RFC 6749 invalid_scope), not silently dropped; known
          // scopes the client may not have are narrowed away (the response says what was granted).
          const requested = ctx?.oidc?.params?.scope;
          if (typeof requested === 'string') {
            for (const scope of requested.split(' ')) {
              if (scope && !KNOWN_SCOPES.has(scope))
                throw new oidc.errors.InvalidScope('requested scope is not supported', scope.slice(0, 64));
            }
          }
          return {
            scope: clientString(client, CLIENT_SCOPES) ?? '',
            audience: deps.audience,
            accessTokenTTL: oauth.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: renderLogoutPage,
        postLogoutSuccessSource: renderLogoutSuccessPage,
      },
      userinfo: { enabled: true },
    },
    formats: {
      customizers: {
        // client_credentials without a `scope` parameter: the client's registered scopes (the token
        // endpoint response gets the same `scope`, see OAuthServer).
        jwt: async (ctx: ProviderContext, token: OidcToken, jwt: { payload: Record<string, unknown> }) => {
          if (token.kind === 'ClientCredentials' && !jwt.payload.scope && !ctx?.oidc?.params?.scope) {
            const scopes = clientString(token.client, CLIENT_SCOPES);
            if (scopes) jwt.payload.scope = scopes;
          }
        },
      },
    },
    renderError: renderErrorPage,
    conformIdTokenClaims: true,
    clockTolerance: oauth.clockToleranceSeconds,
  };
}
