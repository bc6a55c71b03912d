import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kernel, createBackend, type Backend, type BackendKind } from '@aihub/core/testing';
import type { AiControl } from '@aihub/core/plugin-api';
import type { AiRuntime } from '../src/runtime';
import { CATALOG_KEY, startCatalogGateway } from './catalogAdmin';

const ROOT = { 'x-test-superadmin': '1' };
const KEEP = 4;

/**
 * Revision retention (`catalog.keepRevisions`): every drain and restore stores a full copy of the
 * catalog, so each append prunes what is KEEP or more revisions behind it — never the newest, which
 * every instance serves — and a pruned revision is gone from the list, the diff and the rollback.
 */
for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`catalog revision retention (${kind})`, () => {
    let backend: Backend;
    let k: Kernel;
    before(async () => {
      backend = await createBackend(kind);
      const ai = {
        providers: { mock: { type: 'mock' } },
        models: { solo: { deployments: [{ provider: 'mock', model: 'one' }] } },
        catalog: { encryptionKey: CATALOG_KEY, keepRevisions: KEEP },
      };
      k = await startCatalogGateway(backend, ai);
    });
    after(async () => {
      await k?.stop('test');
      await backend?.cleanup();
    });
    const control = () => (k.pluginRuntime('ai') as AiRuntime).control as AiControl;
    const listed = async () =>
      (
        (await (await fetch(`${k.url}/admin/v1/ai/catalog/revisions?limit=200`, { headers: ROOT })).json()) as {
          revisions: { revision: number }[];
        }
      ).revisions.map((r) => r.revision);

    it(`keeps the newest ${KEEP} revisions as drains and restores pile up`, async () => {
      for (let i = 0; i < 5; i++) {
        assert.equal((await control().drain('mock/one', `flapping ${i}`)).changed, true);
        assert.equal((await control().restore('mock/one')).changed, true);
      }
      // Ten appends: revisions 1..10, of which 7..10 remain.
      assert.deepEqual(await listed(), [10, 9, 8, 7]);
      assert.equal((k.pluginRuntime('ai') as AiRuntime).live.current.revision, 10, 'the current one is served');
    });

    it('a pruned revision is gone from diff and rollback (404); the oldest kept one still rolls back', async () => {
      const diff = await fetch(`${k.url}/admin/v1/ai/catalog/revisions/6/diff`, { headers: ROOT });
      assert.equal(diff.status, 404, await diff.clone().text());
      const pruned = await fetch(`${k.url}/admin/v1/ai/catalog/revisions/6/rollback`, {
        method: 'POST',
        headers: ROOT,
      });
      assert.equal(pruned.status, 404, await pruned.clone().text());
      const kept = await fetch(`${k.url}/admin/v1/ai/catalog/revisions/7/rollback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...ROOT },
        body: JSON.stringify({ control: 'restore' }),
      });
      assert.equal(kept.status, 200, await kept.clone().text());
      // Revision 7 was a drain: restored, and stored as 11, which pushes 7 out.
      assert.equal(
        control()
          .deployments()
          .find((d) => d.id === 'mock/one')!.drained?.reason,
        'flapping 3',
      );
      assert.deepEqual(await listed(), [11, 10, 9, 8]);
    });
  });
}
