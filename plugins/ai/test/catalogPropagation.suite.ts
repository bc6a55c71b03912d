import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kernel, createBackend, type Backend, type BackendKind } from '@aihub/core/testing';
import { CATALOG_KEY, startCatalogGateway } from './catalogAdmin';

const ROOT = { 'x-test-superadmin': '1' };
const TOKENS = 40;

/**
 * Two gateways on one database (and one Redis on the shared setup): a model added through A's
 * admin API is served by B within 2 s, while a stream B started before the change runs to its end.
 */
export function propagationSuite(kind: BackendKind): void {
  describe(`live catalog across instances (${kind})`, () => {
    let backend: Backend;
    const kernels: Kernel[] = [];
    const ai = {
      providers: { mock: { type: 'mock', mock: { chunkDelayMs: 100, completionTokens: TOKENS } } },
      models: { slow: { deployments: [{ provider: 'mock', model: 'slow' }] } },
      // With Redis the poll is slowed down so only the notification can deliver within 2 s.
      catalog: { encryptionKey: CATALOG_KEY, pollIntervalMs: kind === 'postgres' ? 60_000 : 1000 },
    };
    const start = async () => {
      const k = await startCatalogGateway(backend, ai);
      kernels.push(k);
      return k;
    };
    before(async () => {
      backend = await createBackend(kind);
      await start();
      await start();
    });
    after(async () => {
      for (const k of kernels) await k.stop('test');
      await backend?.cleanup();
    });

    it('a model added on A is served by B within 2 s; a stream in flight on B across the swap completes', async () => {
      const [a, b] = kernels;
      const chat = (k: Kernel, model: string, stream = false) =>
        fetch(`${k.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
        });
      // The stream starts on B's catalog of revision 0.
      const stream = await chat(b, 'slow', true);
      assert.equal(stream.status, 200);
      const reader = stream.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);

      const put = await fetch(`${a.url}/admin/v1/ai/catalog/models/fresh`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...ROOT },
        body: JSON.stringify({ deployments: [{ provider: 'mock', model: 'fresh' }] }),
      });
      assert.equal(put.status, 200, await put.clone().text());
      const changedAt = Date.now();
      assert.equal((await chat(a, 'fresh')).status, 200, 'A serves its change at once');
      let served = 0;
      while (Date.now() - changedAt <= 2000) {
        const res = await chat(b, 'fresh');
        if (res.status === 200) {
          served = Date.now() - changedAt;
          break;
        }
        assert.equal(res.status, 404);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(served > 0, 'B served the new model within 2 s of the change');
      assert.ok(b.metrics.inFlight.value >= 1, 'the stream was still in flight on B when its catalog changed');

      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      assert.match(text, /data: \[DONE\]/);
      assert.doesNotMatch(text, /"error"/);
      const words = [...text.matchAll(/"content":"([^"]*)"/g)]
        .map((m) => m[1])
        .join('')
        .trim()
        .split(/\s+/)
        .filter(Boolean);
      assert.equal(words.length, TOKENS, 'the whole answer arrived');

      // B serves revision 1, and the deployment B measured before the swap kept its statistics.
      const view = (await (await fetch(`${b.url}/admin/v1/tenants/t1/models`, { headers: ROOT })).json()) as {
        aliases: { alias: string; deployments: { id: string; latency_ms: number | null }[] }[];
      };
      assert.notEqual(
        view.aliases.find((x) => x.alias === 'slow')!.deployments[0].latency_ms,
        null,
        'latency of an unchanged deployment survives the swap',
      );
      const cat = (await (await fetch(`${b.url}/admin/v1/ai/catalog`, { headers: ROOT })).json()) as {
        revision: number;
      };
      assert.equal(cat.revision, 1);
      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      assert.match(metrics, /^aihub_ai_catalog_revision 1$/m);
      assert.match(
        metrics,
        new RegExp(
          `^aihub_ai_catalog_reloads_total\\{trigger="${kind === 'postgres' ? 'notify' : 'poll'}",outcome="applied"\\} 1$`,
          'm',
        ),
      );
    });
  });
}
