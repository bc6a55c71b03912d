/**
 * Test helpers of the live catalog: a superadmin stand-in (`x-test-superadmin: 1`) and an audit log
 * that keeps its entries, as the auth and tenancy plugins would provide them, and a gateway serving
 * an ai config with both on a shared backend.
 */
import { AUDIT_LOG, PrincipalKey, definePlugin, type AuditEntry, type PluginDefinition } from '@aihub/core/plugin-api';
import { Kernel, type Backend } from '@aihub/core/testing';
import aiPlugin from '../src/index';
import { captureLogger, fakeIdentity } from './harness';

export const CATALOG_KEY = Buffer.alloc(32, 7).toString('base64');

/** `x-test-superadmin: 1` makes the caller a platform superadmin with the admin scopes. */
export const superadminIdentity: PluginDefinition = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'test-superadmin',
  version: '0.0.0',
  core: '^0.1.0',
  hooks: [
    {
      phase: 'request.authenticate',
      order: 10,
      async handle(c, next) {
        if (c.get('x-test-superadmin') === '1')
          PrincipalKey.set(c, {
            kind: 'session',
            subject: 'usr_root',
            userId: 'usr_root',
            tenantId: null,
            scopes: ['admin:read', 'admin:write'],
            superadmin: true,
          });
        else if (c.get('x-test-admin') === '1')
          PrincipalKey.set(c, {
            kind: 'session',
            subject: 'usr_t',
            userId: 'usr_t',
            tenantId: 't1',
            role: 'owner',
            scopes: ['admin:read', 'admin:write'],
          });
        await next();
      },
    },
  ],
});

/** An AUDIT_LOG provider keeping what is recorded. */
export function auditSink(): { def: PluginDefinition; entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  const def = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'test-audit',
    version: '0.0.0',
    core: '^0.1.0',
    provides: [AUDIT_LOG],
    register(bind) {
      bind.bindConstant(AUDIT_LOG, { record: async (_c, e) => void entries.push(e) });
    },
  });
  return { def, entries };
}

/**
 * Starts a gateway on `backend` (on a free local port) with the ai plugin configured by `ai`, the fake
 * identity and the superadmin stand-in; call it twice on one backend for two instances of one install.
 */
export function startCatalogGateway(backend: Backend, ai: Record<string, unknown>): Promise<Kernel> {
  const defs = [aiPlugin as PluginDefinition, fakeIdentity, superadminIdentity];
  return Kernel.start({
    inline: {
      ...backend.config,
      server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2000 },
      telemetry: { metrics: { processMetrics: false } },
      plugins: defs.map((d) => (d.name === 'ai' ? { name: 'ai', config: ai } : { name: d.name })),
    },
    definitions: defs,
    env: {},
    logger: captureLogger().logger,
  });
}
