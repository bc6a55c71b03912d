import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { definePlugin } from '../plugin-api';
import { asCaller, identityPlugin, startTestGateway, type TestGateway } from '../testing';

/**
 * GET /admin/v1/plugins: the running pipeline as `aihub plugins list --json` shows it, for platform
 * admins only (problem+json 401/403 for everyone else), and listed in the OpenAPI document.
 */
describe('GET /admin/v1/plugins', () => {
  let gw: TestGateway;
  const probe = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'order-probe',
    version: '1.2.3',
    core: '*',
    hooks: [
      { name: 'late', phase: 'request.transform', order: 10, handle: (_c, next) => next() },
      { name: 'early', phase: 'request.transform', order: -10, handle: (_c, next) => next() },
    ],
  });

  before(async () => {
    gw = await startTestGateway({ plugins: [identityPlugin(), probe] });
  });
  after(async () => {
    await gw?.stop();
  });

  it('lists plugins with versions and each phase’s hooks in run order for a superadmin', async () => {
    const res = await gw.fetch('/admin/v1/plugins', { headers: asCaller({ superadmin: true }) });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as {
      object: string;
      core_version: string;
      plugins: { name: string; version: string }[];
      pipeline: { phase: string; hooks: { id: string }[] }[];
    };
    assert.equal(body.object, 'plugins');
    assert.ok(body.core_version);
    assert.deepEqual(
      body.plugins.map((p) => [p.name, p.version]),
      [
        ['test-identity', '0.0.0'],
        ['order-probe', '1.2.3'],
      ],
    );
    const received = body.pipeline.find((p) => p.phase === 'request.transform');
    assert.deepEqual(
      received?.hooks.map((h) => h.id),
      ['order-probe:early', 'order-probe:late'],
    );
    assert.ok(
      body.pipeline
        .find((p) => p.phase === 'request.authenticate')
        ?.hooks.some((h) => h.id.startsWith('test-identity:')),
    );
  });

  it('refuses tenant admins (403) and anonymous callers (401) with problem+json', async () => {
    const owner = await gw.fetch('/admin/v1/plugins', { headers: asCaller({ tenant: 't1', role: 'owner' }) });
    assert.equal(owner.status, 403);
    assert.match(owner.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(((await owner.json()) as { code: string }).code, 'platform_admin_required');
    assert.equal((await gw.fetch('/admin/v1/plugins')).status, 401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await gw.fetch('/admin/v1/openapi.json')).json()) as {
      paths: Record<string, { get?: { operationId?: string } }>;
    };
    assert.equal(
      doc.paths['/plugins']?.get?.operationId ?? doc.paths['/admin/v1/plugins']?.get?.operationId,
      'listPlugins',
    );
  });

  it('is on the docs page (built at its first request, like the document)', async () => {
    const page = await gw.fetch('/admin/v1/docs');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<code>\/admin\/v1\/plugins<\/code>/);
  });
});
