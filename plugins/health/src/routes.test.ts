/**
 * Issue 13 finding 11: readiness tells anonymous callers ready or not and nothing else; check
 * names, deployments, breaker states and errors are for platform admins (superadmin) only, and so
 * is /health/details with `access: admin` (a tenant's admin:read is not enough).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { asCaller, identityPlugin, startTestGateway, type TestGateway } from '@aihub/core/testing';
import { definePlugin } from '@aihub/core/plugin-api';
import health from './index';

/** A readiness check whose details name a deployment, as the ai plugin's breakers do. */
const revealing = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'revealing',
  version: '0.0.0',
  core: '*',
  health: [{ name: 'breakers', check: async () => ({ 'azure-eastus-prod': 'closed' }) }],
});

describe('health: what readiness and details reveal, and to whom', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      plugins: [identityPlugin(), health, revealing],
      pluginConfig: { health: { cacheMs: 0, details: { access: 'admin' } } },
    });
  });
  after(() => gw.stop());

  it('answers an anonymous probe with {"status":"ok"} only', async () => {
    const res = await gw.fetch('/health/ready');
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), { status: 'ok' });
    assert.doesNotMatch(text, /azure|database|breakers/);
  });

  it('gives a tenant admin the minimal body too, and refuses them /health/details', async () => {
    const tenantAdmin = asCaller({ tenant: 't1', role: 'admin', scopes: ['admin:read', 'admin:write'] });
    assert.deepEqual(await (await gw.fetch('/health/ready', { headers: tenantAdmin })).json(), { status: 'ok' });
    const details = await gw.fetch('/health/details', { headers: tenantAdmin });
    assert.equal(details.status, 403);
    assert.equal(((await details.json()) as { error: { code: string } }).error.code, 'platform_admin_required');
    assert.equal((await gw.fetch('/health/details')).status, 401);
  });

  it('gives a superadmin every check on /health/ready and /health/details', async () => {
    const superadmin = asCaller({ superadmin: true });
    const ready = (await (await gw.fetch('/health/ready', { headers: superadmin })).json()) as {
      status: string;
      failing: unknown[];
      checks: Record<string, { details?: unknown }>;
    };
    assert.equal(ready.status, 'ok');
    assert.deepEqual(ready.failing, []);
    assert.deepEqual(ready.checks['revealing:breakers'].details, { 'azure-eastus-prod': 'closed' });
    const details = await gw.fetch('/health/details', { headers: superadmin });
    assert.equal(details.status, 200);
    assert.match(await details.text(), /azure-eastus-prod/);
  });
});
