import { Injectable, computed, inject, signal } from '@angular/core';
import { CONSOLE_CONFIG } from '../console-config';
import { pkceChallenge, randomToken } from './pkce';
import { decodeJwt, type AccessClaims, type TokenResponse } from './token-response';

/** What survives the redirect to the authorization server: never a token, only the PKCE verifier and where to return. */
interface PendingSignIn {
  state: string;
  verifier: string;
  returnUrl: string;
  tenant?: string;
}

const PENDING_KEY = 'aihub.console.signin';
/** The API scopes the console asks for; the server narrows them to what the user may have. */
export const CONSOLE_SCOPES = 'openid admin:read admin:write';
/** Refresh this long before the access token expires. */
const REFRESH_LEEWAY_MS = 60_000;

export type SessionStatus = 'signed-out' | 'signed-in' | 'expired';

/**
 * Sign-in with OAuth 2.0 authorization code + PKCE (S256) against AI Hub's own authorization server,
 * as the console's first-party public client. Tokens live in memory only (never in storage): a reload
 * signs in again through the authorization server's session cookie, without a password prompt.
 * Refresh tokens rotate on every use; a refresh runs shortly before expiry and on a 401, once at a
 * time. When the session cannot be refreshed, `status` becomes `expired` and the shell offers to sign
 * in again, returning to the same URL.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly config = inject(CONSOLE_CONFIG);
  private accessToken: string | null = null;
  private refreshToken: string | null = null;
  private idToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  readonly status = signal<SessionStatus>('signed-out');
  readonly claims = signal<AccessClaims>({});
  readonly signedIn = computed(() => this.status() === 'signed-in');

  /** Absolute URL of a gateway route (`/oauth/token`, `/admin/v1/me`) as this browser reaches it. */
  gatewayUrl(path: string): string {
    return `${location.origin}${this.config.apiBase}${path}`;
  }

  /** The console's own URL for an app path ('callback' → https://host/admin/callback). */
  appUrl(path: string): string {
    return `${location.origin}${this.config.basePath}${path}`;
  }

  get token(): string | null {
    return this.accessToken;
  }

  /** Redirects to the authorization server; comes back to `returnUrl` (an app URL, e.g. '/tenants?q=x'). */
  async signIn(returnUrl: string, options: { tenant?: string; loginHint?: string } = {}): Promise<void> {
    const pending: PendingSignIn = {
      state: randomToken(16),
      verifier: randomToken(32),
      returnUrl: safeReturnUrl(returnUrl),
      tenant: options.tenant,
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: this.appUrl('callback'),
      scope: CONSOLE_SCOPES,
      state: pending.state,
      code_challenge: await pkceChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    if (options.tenant) params.set('tenant', options.tenant);
    if (options.loginHint) params.set('login_hint', options.loginHint);
    this.navigate(this.gatewayUrl(`/oauth/authorize?${params}`));
  }

  /**
   * Completes the sign-in on the callback page: checks `state`, exchanges the code with the PKCE
   * verifier. Returns the URL to go back to. Throws with the authorization server's message.
   */
  async completeSignIn(query: URLSearchParams): Promise<string> {
    const raw = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    const pending = raw ? (JSON.parse(raw) as PendingSignIn) : null;
    const error = query.get('error');
    if (error) throw new Error(query.get('error_description') ?? error);
    if (!pending || pending.state !== query.get('state'))
      throw new Error('The sign-in response does not match a sign-in started here. Sign in again.');
    const code = query.get('code');
    if (!code) throw new Error('The authorization server sent no code. Sign in again.');
    await this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.appUrl('callback'),
      client_id: this.config.clientId,
      code_verifier: pending.verifier,
    });
    return pending.returnUrl;
  }

  /**
   * A new access token from the refresh token (single flight). False when the session cannot be
   * refreshed (no refresh token, revoked, expired): the status becomes `expired`.
   */
  refresh(): Promise<boolean> {
    if (!this.refreshToken) {
      if (this.status() === 'signed-in') this.expire();
      return Promise.resolve(false);
    }
    this.refreshing ??= this.tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: this.refreshToken,
      client_id: this.config.clientId,
    })
      .then(() => true)
      .catch(() => {
        this.expire();
        return false;
      })
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Revokes the refresh and access tokens, forgets them, and ends the authorization server's session. */
  async signOut(): Promise<void> {
    const tokens: [string | null, string][] = [
      [this.refreshToken, 'refresh_token'],
      [this.accessToken, 'access_token'],
    ];
    const idToken = this.idToken;
    this.clear();
    this.status.set('signed-out');
    await Promise.all(
      tokens
        .filter((t): t is [string, string] => !!t[0])
        .map(([token, hint]) =>
          fetch(this.gatewayUrl('/oauth/revoke'), {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ token, token_type_hint: hint, client_id: this.config.clientId }),
          }).catch(() => undefined),
        ),
    );
    const params = new URLSearchParams({
      client_id: this.config.clientId,
      post_logout_redirect_uri: this.appUrl('signed-out'),
    });
    if (idToken) params.set('id_token_hint', idToken);
    this.navigate(this.gatewayUrl(`/oauth/logout?${params}`));
  }

  /** Marks the session as expired (the shell shows the sign-in-again prompt). */
  expire(): void {
    this.clear();
    this.status.set('expired');
  }

  /** Seam for tests: where a full-page navigation goes. */
  navigate(url: string): void {
    location.assign(url);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.accessToken = this.refreshToken = this.idToken = null;
    this.claims.set({});
  }

  private async tokenRequest(body: Record<string, string>): Promise<void> {
    const res = await fetch(this.gatewayUrl('/oauth/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(body),
    });
    const json = (await res.json().catch(() => ({}))) as Partial<TokenResponse> & {
      error?: string;
      error_description?: string;
    };
    if (!res.ok || !json.access_token)
      throw new Error(json.error_description ?? json.error ?? `The token endpoint answered ${res.status}.`);
    this.accessToken = json.access_token;
    // Rotation: every refresh answers with a new refresh token; the old one is now spent.
    if (json.refresh_token) this.refreshToken = json.refresh_token;
    if (json.id_token) this.idToken = json.id_token;
    this.claims.set(decodeJwt(json.access_token));
    this.status.set('signed-in');
    this.schedule((json.expires_in ?? 300) * 1000);
  }

  private schedule(lifetimeMs: number): void {
    clearTimeout(this.timer);
    const delay = Math.max(lifetimeMs - REFRESH_LEEWAY_MS, lifetimeMs / 2, 1000);
    this.timer = setTimeout(() => void this.refresh(), Math.min(delay, 2 ** 31 - 1));
  }
}

/** Only app-relative paths: never an absolute URL an attacker could slip into the round trip. */
export function safeReturnUrl(url: string): string {
  return url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/\\') ? url : '/';
}
