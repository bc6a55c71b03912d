/**
 * The production-like gateway the security tests attack: every plugin of config/aihub.production.yaml
 * (health, tenancy, auth, console, rate-limit, cache, ai, usage, behavior) with the embedded default (SQLite +
 * in-process store and queue) or PostgreSQL + Redis, a known bootstrap superadmin key, and two
 * tenants (A, the attacker; B, the victim) with an admin key each and a few resources in B whose ids
 * must never show up in an answer to A.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { createBackend, type Backend, type BackendKind } from '@aihub/core/testing';
import { generateApiKey } from '@aihub/plugin-auth';

export const SECURITY_KEY_SECRET = 'security-sweep-key-secret-0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Plugin names in the order of config/aihub.production.yaml (the production chain), read from the
 * file so the security tests attack what production runs (the demo `example` plugin is not in it).
 */
export const PRODUCTION_PLUGINS: readonly string[] = productionPluginNames();

function productionPluginNames(): string[] {
  const file = path.resolve(__dirname, '../../../config/aihub.production.yaml');
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { plugins?: Array<{ name: string; enabled?: boolean }> };
  const names = (doc.plugins ?? []).filter((p) => p.enabled !== false).map((p) => p.name);
  if (names.length === 0) throw new Error(`no plugins listed in ${file}`);
  return names;
}

/** Plugin config as config/aihub.yaml has it, with test-friendly secrets and no first-start banner. */
export function productionPluginConfig(
  adminKey: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    health: { details: { access: 'admin' } },
    auth: { keySecret: SECURITY_KEY_SECRET, bootstrap: { print: false, adminKey } },
    'rate-limit': { defaults: { requestsPerMinute: 100_000, tokensPerMinute: 100_000_000 } },
    cache: { mode: 'deterministic', ttlSeconds: 3600 },
    ai: {
      requireAuth: true,
      providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 4 } } },
      models: {
        'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
        'text-embedding-3-small': { deployments: [{ provider: 'mock', model: 'text-embedding-3-small' }] },
      },
    },
    ...overrides,
  };
}

export interface SecurityGateway {
  kind: BackendKind;
  gw: TestGateway;
  backend: Backend;
  /** The bootstrap superadmin key. */
  adminKey: string;
  stop(): Promise<void>;
}

export interface StartSecurityGatewayOptions {
  /** Replaces entries of productionPluginConfig. */
  pluginConfig?: Record<string, unknown>;
  /** Core config merged over the backend's (telemetry, server, logging). */
  config?: Record<string, unknown>;
  logs?: boolean;
  /** Plugin names to load (default: PRODUCTION_PLUGINS). */
  plugins?: readonly string[];
}

/** Starts the production chain on a fresh backend (database and Redis prefix of its own). */
export async function startSecurityGateway(
  kind: BackendKind,
  options: StartSecurityGatewayOptions = {},
): Promise<SecurityGateway> {
  const backend = await createBackend(kind);
  const adminKey = generateApiKey().key;
  const names = options.plugins ?? PRODUCTION_PLUGINS;
  try {
    const gw = await startTestGateway({
      pluginConfig: productionPluginConfig(adminKey, options.pluginConfig),
      config: { ...backend.config, ...options.config, plugins: names.map((name) => ({ name })) },
      logs: options.logs,
    });
    return {
      kind,
      gw,
      backend,
      adminKey,
      async stop() {
        await gw.stop().catch(() => {});
        await backend.cleanup().catch(() => {});
      },
    };
  } catch (err) {
    await backend.cleanup().catch(() => {});
    throw err;
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One request; the body is read whole and parsed when it is JSON. */
export async function send(
  gw: TestGateway,
  method: string,
  path: string,
  init: { key?: string; headers?: Record<string, string>; body?: unknown; raw?: string | Uint8Array } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key) headers.authorization = `Bearer ${init.key}`;
  let body: string | Uint8Array | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await gw.fetch(path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** What a tenant owns, created through the admin API; ids are what must not leak to other tenants. */
export interface TenantFixture {
  id: string;
  slug: string;
  /** An admin-role API key of the tenant (all scopes). */
  adminKey: string;
  adminKeyId: string;
  teamId: string;
  userId: string;
  userEmail: string;
  oauthClientId: string;
  oauthClientSecret: string;
  /** Every id and secret of the tenant, to look for in other tenants' answers. */
  secrets: string[];
}

function must<T>(a: Answer, what: string): T {
  if (a.status >= 300) throw new Error(`${what}: ${a.status} ${a.text.slice(0, 500)}`);
  return a.body as T;
}

/** Creates a tenant with a team, an owner member, an admin API key and an OAuth client (as the superadmin). */
export async function createTenantFixture(sg: SecurityGateway, slug: string): Promise<TenantFixture> {
  const su = sg.adminKey;
  const tenant = must<{ id: string }>(
    await send(sg.gw, 'POST', '/admin/v1/tenants', { key: su, body: { name: `Tenant ${slug}`, slug } }),
    'create tenant',
  );
  const base = `/admin/v1/tenants/${tenant.id}`;
  const team = must<{ id: string }>(
    await send(sg.gw, 'POST', `${base}/teams`, { key: su, body: { name: `team-${slug}` } }),
    'create team',
  );
  const email = `owner-${slug}@${slug}.test`;
  const member = must<{ user_id: string }>(
    await send(sg.gw, 'POST', `${base}/members`, { key: su, body: { email, role: 'owner' } }),
    'add member',
  );
  const key = must<{ id: string; key: string }>(
    await send(sg.gw, 'POST', `${base}/api-keys`, {
      key: su,
      body: {
        name: `admin-${slug}`,
        scopes: ['ai:invoke', 'events:write', 'admin:read', 'admin:write'],
        role: 'admin',
      },
    }),
    'create key',
  );
  const client = must<{ client_id: string; client_secret: string }>(
    await send(sg.gw, 'POST', `${base}/oauth-clients`, {
      key: su,
      body: { name: `client-${slug}`, grant_types: ['client_credentials'], scopes: ['ai:invoke'] },
    }),
    'create oauth client',
  );
  return {
    id: tenant.id,
    slug,
    adminKey: key.key,
    adminKeyId: key.id,
    teamId: team.id,
    userId: member.user_id,
    userEmail: email,
    oauthClientId: client.client_id,
    oauthClientSecret: client.client_secret,
    secrets: [tenant.id, team.id, member.user_id, email, key.id, key.key, client.client_id, client.client_secret],
  };
}
