import { readFileSync } from 'node:fs';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import type { Dispatcher } from 'undici';
import { request } from '../undici';

// jose is ESM-only; Node 20.19+ loads it with require.
const jose = require('jose') as typeof Jose;

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** A token is renewed this long before it expires, so none expires in flight. */
const RENEW_BEFORE_MS = 5 * 60_000;

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  token_uri?: string;
}

/** The service-account key: JSON text, or the path of the JSON file (read once, at start). */
export function loadServiceAccount(value: string): ServiceAccount {
  const text = value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8');
  let sa: Partial<ServiceAccount>;
  try {
    sa = JSON.parse(text) as Partial<ServiceAccount>;
  } catch {
    throw new Error('serviceAccount is neither service-account JSON nor the path of a JSON file');
  }
  if (typeof sa.client_email !== 'string' || typeof sa.private_key !== 'string')
    throw new Error(
      'serviceAccount lacks client_email or private_key: use the key file of a service account (IAM → Service accounts → Keys → JSON)',
    );
  return sa as ServiceAccount;
}

/**
 * OAuth 2.0 access tokens for a Google service account (RFC 7523 JWT bearer grant): a JWT signed
 * with the account's private key (RS256, jose) is exchanged at its token URI. The token is cached
 * until 5 minutes before it expires, and concurrent callers share one exchange.
 */
export class GoogleTokenSource {
  private token: { value: string; renewAt: number } | undefined;
  private inflight: Promise<string> | undefined;
  private key: Promise<Jose.CryptoKey> | undefined;
  readonly tokenUri: string;

  constructor(
    private readonly sa: ServiceAccount,
    private readonly dispatcher: Dispatcher,
  ) {
    this.tokenUri = sa.token_uri ?? GOOGLE_TOKEN_URI;
  }

  /** A valid access token (cached, or fetched now). */
  get(): Promise<string> {
    if (this.token && Date.now() < this.token.renewAt) return Promise.resolve(this.token.value);
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(): Promise<string> {
    this.key ??= jose.importPKCS8(this.sa.private_key, 'RS256');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new jose.SignJWT({ scope: SCOPE })
      .setProtectedHeader({
        alg: 'RS256',
        typ: 'JWT',
        ...(this.sa.private_key_id ? { kid: this.sa.private_key_id } : {}),
      })
      .setIssuer(this.sa.client_email)
      .setAudience(this.tokenUri)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await this.key);
    const res = await request(this.tokenUri, {
      method: 'POST',
      dispatcher: this.dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let j: { access_token?: string; expires_in?: number; error?: string; error_description?: string } = {};
    try {
      j = JSON.parse(text) as typeof j;
    } catch {}
    if (res.statusCode !== 200 || typeof j.access_token !== 'string') {
      // The token endpoint's error (RFC 6749 §5.2) says what is wrong with the account, never the key.
      throw new TokenError(
        res.statusCode,
        `the service account's token request failed (HTTP ${res.statusCode}${j.error ? `: ${j.error}${j.error_description ? ` — ${j.error_description}` : ''}` : ''})`,
      );
    }
    const ttlMs = (typeof j.expires_in === 'number' ? j.expires_in : 3600) * 1000;
    this.token = { value: j.access_token, renewAt: Date.now() + Math.max(ttlMs - RENEW_BEFORE_MS, ttlMs / 2) };
    return j.access_token;
  }
}

/** The token endpoint refused or failed; `status` is its HTTP status. */
export class TokenError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}
