import { createHash, randomBytes } from 'node:crypto';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { QueryTypes, Sequelize } from 'sequelize';
import { createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import tenancy from '@aihub/plugin-tenancy';
import { PrincipalKey, TenantKey, definePlugin } from '@aihub/core/plugin-api';
import auth, { generateApiKey } from '../src/index';
import { ServerSecrets } from '../src/secrets';

export type Backend = 'sqlite' | 'postgres';

export const KEY_SECRET = 'test-key-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export interface Env {
  backend: Backend;
  db: TestDatabase;
  redisUrl?: string;
  /** Random Redis key prefix of this test file. */
  prefix: string;
}

/** A fresh database (and Redis prefix for PostgreSQL runs) for one test file. */
export async function createEnv(backend: Backend): Promise<Env> {
  const db = await createTestDatabase(backend);
  return {
    backend,
    db,
    redisUrl: backend === 'postgres' ? 'redis://127.0.0.1:6379' : undefined,
    prefix: `aihub-test-${Math.random().toString(36).slice(2)}:`,
  };
}

export interface AuthGatewayOptions {
  adminKey?: string;
  auth?: Record<string, unknown>;
  tenancy?: Record<string, unknown>;
  /** Core `server` settings (e.g. trustProxy). */
  server?: Record<string, unknown>;
}

/** A gateway with tenancy + auth on the env's database (and Redis on PostgreSQL runs). */
export async function startAuthGateway(env: Env, options: AuthGatewayOptions = {}): Promise<TestGateway> {
  return startTestGateway({
    plugins: [tenancy, auth, probePlugin],
    pluginConfig: {
      auth: { keySecret: KEY_SECRET, bootstrap: { adminKey: options.adminKey, print: false }, ...options.auth },
      tenancy: { ...options.tenancy },
    },
    config: {
      database: { url: env.db.url },
      ...(options.server ? { server: options.server } : {}),
      ...(env.redisUrl ? { redis: { url: env.redisUrl, keyPrefix: env.prefix } } : {}),
    },
  });
}

export function newAdminKey(): string {
  return generateApiKey().key;
}

export function bearer(key: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${key}`, ...extra };
}

export async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { _text: text };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A tiny plugin with an OpenAI-surface route guarded by `ai:invoke`, answering with the Principal
 * and tenant the pipeline resolved: the tests' view of what a real `/v1` route would see.
 */
export const probePlugin = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'auth-probe',
  version: '0.0.0',
  core: '^0.1.0',
  routePrefix: '',
  dependsOn: ['auth'],
  routes(router) {
    router.get(
      '/v1/probe/whoami',
      (ctx) => {
        ctx.body = { principal: PrincipalKey.get(ctx) ?? null, tenant: TenantKey.get(ctx)?.id ?? null };
      },
      { scopes: ['ai:invoke'], tags: ['ai'] },
    );
    router.get(
      '/v1/probe/optional',
      (ctx) => {
        ctx.body = { principal: PrincipalKey.get(ctx)?.subject ?? null };
      },
      { auth: 'optional' },
    );
  },
});

/** A minimal browser for the authorization-code flow: a cookie jar and manual redirects. */
export class Browser {
  private readonly jar = new Map<string, string>();

  constructor(private readonly base: string) {}

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const target = url.startsWith('http') ? url : `${this.base}${url}`;
    const res = await fetch(target, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader() },
    });
    this.store(res);
    return res;
  }

  /** Follows redirects on this gateway until a page, or a redirect elsewhere (the client's redirect_uri). */
  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    let current = url;
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      const location = res.headers.get('location')!;
      const next = new URL(location, current.startsWith('http') ? current : `${this.base}${current}`).toString();
      if (!next.startsWith(this.base)) return { res, url: next };
      current = next;
      res = await this.request(next);
    }
    return { res, url: current };
  }

  postForm(
    url: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ res: Response; url: string }> {
    return this.follow(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** PKCE S256 pair. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Direct SQL on the test database (to check what is stored, and to read the signing key). */
export async function withSql<T>(env: Env, fn: (sql: Sequelize) => Promise<T>): Promise<T> {
  const sql = env.db.url.startsWith('sqlite:')
    ? new Sequelize({ dialect: 'sqlite', storage: env.db.url.slice('sqlite:'.length), logging: false })
    : new Sequelize(env.db.url, { dialect: 'postgres', logging: false, pool: { max: 1 } });
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

export async function rows(env: Env, query: string): Promise<Record<string, unknown>[]> {
  return withSql(
    env,
    async (sql) => (await sql.query(query, { type: QueryTypes.SELECT })) as Record<string, unknown>[],
  );
}

const jose = require('jose') as typeof Jose;

/** The gateway's active (or given) signing key, decrypted the way the plugin does, to forge test tokens. */
export async function signingKey(
  env: Env,
  kid?: string,
): Promise<{ kid: string; alg: string; key: Jose.CryptoKey; publicJwk: Jose.JWK }> {
  const all = await rows(
    env,
    `SELECT kid, alg, private_jwk, public_jwk, status FROM auth_signing_keys ORDER BY created_at DESC`,
  );
  const row = kid ? all.find((r) => r.kid === kid)! : all.find((r) => r.status === 'active')!;
  const secrets = new ServerSecrets(KEY_SECRET, 'config');
  const jwk = JSON.parse(secrets.decrypt(String(row.private_jwk), `aihub-signing-key:${row.kid}`)) as Jose.JWK;
  return {
    kid: String(row.kid),
    alg: String(row.alg),
    key: (await jose.importJWK(jwk, String(row.alg))) as Jose.CryptoKey,
    publicJwk: JSON.parse(String(row.public_jwk)) as Jose.JWK,
  };
}

export interface ForgeOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  expiresIn?: number;
}

/** Signs an access token with the gateway's key: valid unless the options break it. */
export async function forge(
  key: { kid: string; alg: string; key: Jose.CryptoKey },
  opts: ForgeOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'http://aihub.test',
    aud: 'http://aihub.test',
    sub: 'ahc_forged',
    client_id: 'ahc_forged',
    scope: 'ai:invoke',
    jti: randomBytes(16).toString('hex'),
    iat: now,
    exp: now + (opts.expiresIn ?? 300),
    ...opts.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete (claims as Record<string, unknown>)[k];
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...opts.header } as Jose.JWTHeaderParameters)
    .sign(key.key);
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

/** The auth plugin's runtime of a started test gateway (its stores and the tenancy service). */
export function authRuntimeOf(gw: TestGateway): import('../src/runtime').AuthRuntime {
  return gw.runtime(auth);
}
