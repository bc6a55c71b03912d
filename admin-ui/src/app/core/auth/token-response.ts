/** What /oauth/token answers (RFC 6749 §5.1), the fields the console uses. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
}

/** The claims of our JWT access tokens that the console reads (display only; the server checks). */
export interface AccessClaims {
  sub?: string;
  tenant_id?: string;
  role?: string;
  scope?: string;
  superadmin?: boolean;
  exp?: number;
}

/** Decodes a JWT's payload without verifying it: for display and scheduling only. */
export function decodeJwt(token: string): AccessClaims {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as AccessClaims;
  } catch {
    return {};
  }
}
