import type { paths } from '../../api/schema';

type ClientsPath = paths['/admin/v1/tenants/{tenantId}/oauth-clients'];

/** An OAuth client as the admin API lists it (never its secret), from the generated OpenAPI types. */
export type OAuthClient = ClientsPath['get']['responses'][200]['content']['application/json']['data'][number];
export type CreateClientBody = ClientsPath['post']['requestBody']['content']['application/json'];

export const CLIENT_SCOPES = ['ai:invoke', 'events:write', 'admin:read', 'admin:write'] as const;
export const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;

/** Redirect URIs typed one per line (or comma-separated): trimmed, blanks dropped, duplicates removed. */
export function parseUris(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\n,]+/)
        .map((u) => u.trim())
        .filter(Boolean),
    ),
  ];
}

/** What the create form collects. */
export interface ClientFormValue {
  name: string;
  kind: 'machine' | 'web' | 'spa';
  redirect_uris: string;
  scopes: string[];
}

/**
 * The create body for the three kinds of client the form offers: a machine (client_credentials,
 * confidential), a web app (authorization code + refresh, confidential), a SPA or CLI (the same,
 * public: no secret, PKCE).
 */
export function toCreateClientBody(v: ClientFormValue): CreateClientBody {
  const scopes = v.scopes.length ? { scopes: v.scopes as CreateClientBody['scopes'] } : {};
  if (v.kind === 'machine') return { name: v.name.trim(), grant_types: ['client_credentials'], ...scopes };
  return {
    name: v.name.trim(),
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: parseUris(v.redirect_uris),
    ...(v.kind === 'spa' ? { token_endpoint_auth_method: 'none' as const } : {}),
    ...scopes,
  };
}
