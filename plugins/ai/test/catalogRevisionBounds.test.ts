import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kernel, createBackend, type Backend, type BackendKind } from '@aihub/core/testing';
import { CATALOG_KEY, startCatalogGateway } from './catalogAdmin';

const ROOT = { 'x-test-superadmin': '1' };

/**
 * Revision numbers in the catalog's admin routes are bounded like the column that stores them (a
 * 32-bit integer): a larger one is a 400 problem, or a 404 for one that cannot exist — never a
 * database error answered as 500 (PostgreSQL refuses the comparison; SQLite does not).
 */
for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`catalog revision numbers out of range (${kind})`, () => {
    let backend: Backend;
    let k: Kernel;
    before(async () => {
      backend = await createBackend(kind);
      const ai = {
        providers: { mock: { type: 'mock' } },
        models: { solo: { deployments: [{ provider: 'mock', model: 'one' }] } },
        catalog: { encryptionKey: CATALOG_KEY },
      };
      k = await startCatalogGateway(backend, ai);
    });
    after(async () => {
      await k?.stop('test');
      await backend?.cleanup();
    });

    for (const [method, path] of [
      ['GET', '/admin/v1/ai/catalog/revisions/3000000000/diff'],
      ['GET', '/admin/v1/ai/catalog/revisions?before=3000000000'],
      ['POST', '/admin/v1/ai/catalog/revisions/3000000000/rollback'],
      ['POST', '/admin/v1/ai/catalog/revisions/1e300/rollback'],
    ]) {
      it(`${method} ${path} is a 400 problem, not a 500`, async () => {
        const res = await fetch(`${k.url}${path}`, { method, headers: ROOT });
        const body = (await res.json()) as { code?: string; status?: number };
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.equal(body.code, 'validation_failed');
      });
    }
  });
}
