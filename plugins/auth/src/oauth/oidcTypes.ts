/**
 * The slice of oidc-provider 9's API this plugin uses, typed here (the package ships no types and
 * @types/oidc-provider is not a dependency). oidc-provider is ESM-only; `loadOidcProvider` imports it
 * once, when the authorization server first serves a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'koa';

export interface AdapterPayload {
  jti?: string;
  kind?: string;
  exp?: number;
  iat?: number;
  grantId?: string;
  clientId?: string;
  accountId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
  [key: string]: unknown;
}

export interface OidcAdapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface OidcClient {
  clientId: string;
  clientAuthMethod: string;
  grantTypeAllowed(grant: string): boolean;
  redirectUris?: string[];
  [key: string]: unknown;
}

export interface OidcToken {
  kind: string;
  jti: string;
  accountId?: string;
  clientId?: string;
  grantId?: string;
  scope?: string;
  exp?: number;
  iat?: number;
  gty?: string;
  client?: OidcClient;
  scopes: Set<string>;
}

export interface OidcGrant {
  jti: string;
  accountId: string;
  clientId: string;
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}

export interface InteractionDetails {
  uid: string;
  prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string; uid?: string };
  grantId?: string;
  lastSubmission?: Record<string, unknown>;
}

export interface OidcContext {
  route: string;
  client?: OidcClient;
  params?: Record<string, unknown>;
  entities: Record<string, unknown>;
  provider: OidcProvider;
}

/** Koa context inside oidc-provider (its own Koa app). */
export type ProviderContext = Context & { oidc?: OidcContext };

export interface OidcAccount {
  accountId: string;
  claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
}

export interface OidcProvider {
  issuer: string;
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  use(fn: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void> | void): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Client: { find(id: string): Promise<OidcClient | undefined> };
  Grant: {
    new (init: { accountId: string; clientId: string }): OidcGrant;
    find(id: string): Promise<OidcGrant | undefined>;
  };
}

export interface OidcErrorClass {
  new (description?: string, detail?: string): Error;
}

export interface OidcModule {
  Provider: {
    new (issuer: string, configuration: Record<string, unknown>): OidcProvider;
    readonly ctx: ProviderContext | undefined;
  };
  errors: {
    InvalidGrant: OidcErrorClass;
    InvalidTarget: OidcErrorClass;
    InvalidScope: OidcErrorClass;
    InvalidRequest: OidcErrorClass;
    AccessDenied: OidcErrorClass;
    SessionNotFound: OidcErrorClass;
    OIDCProviderError: OidcErrorClass;
  };
}

let loading: Promise<OidcModule> | undefined;

/**
 * Imports oidc-provider (ESM) once, asynchronously: at the authorization server's first request, not
 * at start (issue 20: its ~180 modules, jose's key handling aside, and the ICU data its load touches
 * were ~9 MB of an idle gateway's RSS, for a server most gateways serve rarely). A failed import is
 * retried by the next caller. Node prints an "unsupported runtime" notice on Node 20: harmless.
 */
export function loadOidcProvider(): Promise<OidcModule> {
  // Through a variable: the package ships no types (the interfaces above are the slice we use).
  const specifier = 'oidc-provider';
  loading ??= (import(specifier) as Promise<OidcModule>).catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
