import { API_VERSIONS, createToken } from '@aihub/core/plugin-api';
import type { OAuthClientRow } from '../models';
import type { AuthContext } from '../runtime';
import { issuerOf } from './OAuthServer';

/**
 * The tenant id of platform-level first-party clients (the console). No tenant has it (tenant ids
 * are generated), so no tenant's client list shows these clients and no tenant admin can change them;
 * users pick the tenant they sign in to (`tenant` parameter, else their own).
 */
export const PLATFORM_CLIENT_TENANT = '_platform';

/** A first-party public client: authorization code + refresh token, PKCE, no secret. */
export interface FirstPartyClientSpec {
  /** Stable id (≤ 64 characters, e.g. `aihub-console`): the app sends it, so it cannot be random. */
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** API scopes the client may receive (the user's role still decides what they can do). */
  scopes: string[];
}

/** Registers the first-party clients of other plugins (the console) with the authorization server. */
export interface FirstPartyClients {
  /** The authorization server's issuer (the default public URL of the gateway). */
  readonly issuer: string;
  /**
   * Creates the client, or brings an existing one to this spec (redirect URIs follow the configured
   * base path and public URL). Idempotent; safe when several instances start at once.
   */
  ensureFirstPartyClient(spec: FirstPartyClientSpec): Promise<void>;
}

export const FIRST_PARTY_CLIENTS = createToken<FirstPartyClients>('auth-first-party-clients');

/** The service bound by the auth plugin; it reads the runtime when called (after the plugin started). */
export function firstPartyClients(ctx: AuthContext): FirstPartyClients {
  return {
    get issuer() {
      return issuerOf(ctx.config, ctx.coreConfig.server.port);
    },
    async ensureFirstPartyClient(spec) {
      const rt = ctx.runtime;
      if (!rt.oauth)
        throw new Error(
          'auth.oauth.enabled is false: the console needs the OAuth server of the auth plugin to sign users in',
        );
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(spec.clientId))
        throw new Error(
          `first-party client id ${JSON.stringify(spec.clientId)} must be 1–64 letters, digits, '.', '_' or '-'`,
        );
      const at = new Date(ctx.clock.now());
      const wanted = {
        tenant_id: PLATFORM_CLIENT_TENANT,
        name: spec.name,
        secret_hash: null,
        token_endpoint_auth_method: 'none' as const,
        grant_types: JSON.stringify(['authorization_code', 'refresh_token']),
        redirect_uris: JSON.stringify(spec.redirectUris),
        post_logout_redirect_uris: JSON.stringify(spec.postLogoutRedirectUris),
        scopes: JSON.stringify(spec.scopes),
        role: 'owner' as const,
        first_party: true,
        // The app is built for this gateway's current admin API: pinned to it (and moved on by every
        // upgrade), so a tenant's older pin never downgrades its answers or, past a sunset, refuses them.
        api_version: API_VERSIONS[API_VERSIONS.length - 1],
      };
      const { OAuthClient } = rt.models;
      const existing = (await OAuthClient.findByPk(spec.clientId, { raw: true })) as OAuthClientRow | null;
      if (!existing) {
        try {
          await OAuthClient.create({
            client_id: spec.clientId,
            ...wanted,
            created_by: 'console',
            created_at: at,
            updated_at: at,
          });
          return;
        } catch (err) {
          // Another instance created it first: fall through to the update.
          if (!(await OAuthClient.findByPk(spec.clientId))) throw err;
        }
      }
      const same =
        existing &&
        (Object.keys(wanted) as (keyof typeof wanted)[]).every((k) => String(existing[k]) === String(wanted[k]));
      if (!same) await OAuthClient.update({ ...wanted, updated_at: at }, { where: { client_id: spec.clientId } });
    },
  };
}
