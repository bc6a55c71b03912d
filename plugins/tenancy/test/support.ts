/**
 * Test support: a tiny inline plugin that plays the auth plugin (a Principal from the
 * `x-test-principal` header, 401 on `auth: required` routes without one) plus a `/v1/ping` route, and
 * a gateway factory for the embedded default (SQLite + memory) and PostgreSQL + Redis.
 */
import { randomBytes } from 'node:crypto';
import { currentRequest, type KeyValueStore } from '@aihub/core/plugin-api';
import { CoreTokens, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { PrincipalKey, TenantKey, definePlugin, errors, type Principal, type TenantRole } from '@aihub/core/plugin-api';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import tenancy, { currentTenantId } from '@aihub/plugin-tenancy';

export const testAuth = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'test-auth',
  version: '0.0.0',
  core: '*',
  routePrefix: '',
  hooks: [
    {
      phase: 'request.authenticate',
      appliesTo: (route) => route.pipeline && route.auth !== 'none',
      async handle(c, next) {
        const header = c.get('x-test-principal');
        if (header) {
          try {
            PrincipalKey.set(c, JSON.parse(header) as Principal);
          } catch {
            throw errors.unauthorized('bad test principal', 'invalid_api_key');
          }
        } else if (c.state.route?.auth === 'required') {
          throw errors.unauthorized('Authentication required', 'unauthenticated');
        }
        await next();
      },
    },
  ],
  routes(router) {
    router.get(
      '/v1/ping',
      (c) => {
        c.body = {
          tenant: TenantKey.get(c)?.id ?? null,
          scope: currentTenantId() ?? null,
          log_tenant: currentRequest()?.tenantId ?? null,
        };
      },
      { auth: 'required', scopes: ['ai:invoke'], tags: ['ai'] },
    );
  },
});

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type DialectKind = (typeof DIALECTS)[number];

export interface Harness {
  gw: TestGateway;
  db: TestDatabase;
  kind: DialectKind;
  redisUrl?: string;
  redisPrefix?: string;
  /** A second gateway on the same database (and Redis), for cross-instance tests. */
  startPeer(): Promise<TestGateway>;
  close(): Promise<void>;
}

/** Fast password hashing in tests (the cost is a config value; the default is 32768). */
export const TENANCY_TEST_CONFIG = { password: { scryptN: 1024, minLength: 12 } };

export async function startHarness(
  kind: DialectKind,
  pluginConfig: Record<string, unknown> = TENANCY_TEST_CONFIG,
): Promise<Harness> {
  const db = await createTestDatabase(kind);
  const redisUrl = kind === 'postgres' ? process.env.AIHUB_TEST_REDIS_URL || 'redis://127.0.0.1:6379' : undefined;
  const redisPrefix = redisUrl ? `aihub-test-${randomBytes(6).toString('hex')}:` : undefined;
  const config = {
    database: { url: db.url },
    ...(redisUrl ? { redis: { url: redisUrl, keyPrefix: redisPrefix } } : {}),
  };
  const start = () =>
    startTestGateway({ plugins: [tenancy, testAuth], pluginConfig: { tenancy: pluginConfig }, config });
  const peers: TestGateway[] = [];
  let gw: TestGateway;
  try {
    gw = await start();
  } catch (err) {
    await db.drop();
    throw err;
  }
  return {
    gw,
    db,
    kind,
    redisUrl,
    redisPrefix,
    async startPeer() {
      const peer = await start();
      peers.push(peer);
      return peer;
    },
    async close() {
      if (redisUrl) {
        const store = gw.kernel.root.get(CoreTokens.KeyValueStore as never) as KeyValueStore;
        await store.deleteByPrefix('').catch(() => {});
      }
      for (const p of peers) await p.stop();
      await gw.stop();
      await db.drop();
    },
  };
}

export interface As {
  headers: Record<string, string>;
  principal: Principal;
}

export function principal(p: Partial<Principal> & { tenantId: string | null }): As {
  const full: Principal = {
    kind: 'api_key',
    subject: p.keyId ?? `key_${randomBytes(4).toString('hex')}`,
    scopes: ['admin:read', 'admin:write'],
    ...p,
  };
  return { principal: full, headers: { 'x-test-principal': JSON.stringify(full), 'content-type': 'application/json' } };
}

export const superadmin = (): As =>
  principal({
    kind: 'session',
    subject: 'usr_root0000000000000000000',
    userId: 'usr_root0000000000000000000',
    tenantId: null,
    superadmin: true,
  });

export const member = (tenantId: string, role: TenantRole, extra: Partial<Principal> = {}): As =>
  principal({ tenantId, role, ...extra });

/** JSON request helper: returns status and parsed body. */
export async function call(
  gw: TestGateway,
  method: string,
  path: string,
  as?: As,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { ...(as?.headers ?? {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await gw.fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
