import { parseJson, type OAuthClientRow } from '../models';

/** Custom client metadata (oidc-provider `extraClientMetadata`) carrying AI Hub's view of the client. */
export const CLIENT_TENANT = 'urn:aihub:tenant_id';
export const CLIENT_ROLE = 'urn:aihub:role';
export const CLIENT_FIRST_PARTY = 'urn:aihub:first_party';
export const CLIENT_SCOPES = 'urn:aihub:scopes';
/** JSON array of the model aliases the client's tokens may call (absent: the tenant's models). */
export const CLIENT_MODELS = 'urn:aihub:allowed_models';
/** The API version the client's tokens default to (absent: the tenant's pin). */
export const CLIENT_API_VERSION = 'urn:aihub:api_version';
export const EXTRA_CLIENT_METADATA = [
  CLIENT_TENANT,
  CLIENT_ROLE,
  CLIENT_FIRST_PARTY,
  CLIENT_SCOPES,
  CLIENT_MODELS,
  CLIENT_API_VERSION,
];

/**
 * oidc-provider client metadata for a row of auth_oauth_clients. `scope` is the allow list of the
 * provider's own (OpenID) scopes; the API scopes a client may get are enforced by the resource
 * server definition (getResourceServerInfo returns `urn:aihub:scopes`), which filters tokens to them.
 */
export function clientMetadata(row: OAuthClientRow, secret: string | undefined): Record<string, unknown> {
  const grantTypes = parseJson<string[]>(row.grant_types, []);
  const apiScopes = parseJson<string[]>(row.scopes, []);
  const code = grantTypes.includes('authorization_code');
  const scope = [
    ...(code ? ['openid', 'email'] : []),
    ...(grantTypes.includes('refresh_token') ? ['offline_access'] : []),
  ];
  const metadata: Record<string, unknown> = {
    client_id: row.client_id,
    client_name: row.name,
    grant_types: grantTypes,
    response_types: code ? ['code'] : [],
    redirect_uris: code ? parseJson<string[]>(row.redirect_uris, []) : [],
    post_logout_redirect_uris: parseJson<string[]>(row.post_logout_redirect_uris, []),
    token_endpoint_auth_method: row.token_endpoint_auth_method,
    ...(scope.length ? { scope: scope.join(' ') } : {}),
    [CLIENT_TENANT]: row.tenant_id,
    [CLIENT_ROLE]: row.role,
    [CLIENT_FIRST_PARTY]: !!row.first_party,
    [CLIENT_SCOPES]: apiScopes.join(' '),
    ...(row.allowed_models ? { [CLIENT_MODELS]: row.allowed_models } : {}),
    ...(row.api_version ? { [CLIENT_API_VERSION]: row.api_version } : {}),
  };
  if (row.token_endpoint_auth_method !== 'none') metadata.client_secret = secret;
  return metadata;
}
