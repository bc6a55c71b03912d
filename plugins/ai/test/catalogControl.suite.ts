import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Kernel,
  createBackend,
  createRedisStore,
  metricValue,
  type Backend,
  type BackendKind,
} from '@aihub/core/testing';
import type { AiControl } from '@aihub/core/plugin-api';
import type { AiRuntime } from '../src/runtime';
import { importLegacyControl } from '../src/control/legacy';
import { CATALOG_KEY, startCatalogGateway } from './catalogAdmin';

const ROOT = { 'x-test-superadmin': '1' };
const ONE = 'mock/one';
const TWO = 'mock/two';

interface RevisionView {
  revision: number;
  author: string | null;
  action: string;
  target: string | null;
  reason: string | null;
}

/**
 * Operational control as catalog revisions, on two gateways sharing one database (and one Redis on
 * the shared setup): a drain through AiControl is a revision with its author and reason, listed and
 * diffed like an admin edit, applied by the other instance within 2 s; a rollback restores the
 * control state of the revision; the state survives a restart (and a Redis flush); concurrent changes
 * from both instances all land.
 */
export function controlSuite(kind: BackendKind): void {
  describe(`operational control as catalog revisions (${kind})`, () => {
    let backend: Backend;
    const kernels: Kernel[] = [];
    const ai = {
      providers: { mock: { type: 'mock' } },
      models: {
        pair: {
          deployments: [
            { provider: 'mock', model: 'one' },
            { provider: 'mock', model: 'two' },
          ],
          fallbacks: ['solo'],
        },
        solo: { deployments: [{ provider: 'mock', model: 'three' }] },
      },
      // With Redis the poll is slowed down so only the notification can deliver within 2 s.
      catalog: { encryptionKey: CATALOG_KEY, pollIntervalMs: kind === 'postgres' ? 60_000 : 500 },
    };
    const start = async () => {
      const k = await startCatalogGateway(backend, ai);
      kernels.push(k);
      return k;
    };
    const rt = (k: Kernel) => k.pluginRuntime('ai') as AiRuntime;
    const control = (k: Kernel): AiControl => rt(k).control!;
    const drained = (k: Kernel, dep: string) =>
      control(k)
        .deployments()
        .find((d) => d.id === dep)!.drained;
    const revisions = async (k: Kernel) =>
      (
        (await (await fetch(`${k.url}/admin/v1/ai/catalog/revisions`, { headers: ROOT })).json()) as {
          revisions: RevisionView[];
        }
      ).revisions;
    /** Polls until `fn` holds; the time it took (ms), failing after `ms`. */
    const within = async (ms: number, what: string, fn: () => boolean): Promise<number> => {
      const began = Date.now();
      while (!fn()) {
        assert.ok(Date.now() - began <= ms, `${what} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return Date.now() - began;
    };
    const upstreamCalls = async (k: Kernel, dep: string) =>
      metricValue(await (await fetch(`${k.url}/metrics`)).text(), 'aihub_ai_upstream_duration_seconds_count', {
        deployment: dep,
      });
    const chat = (k: Kernel, model: string) =>
      fetch(`${k.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });

    before(async () => {
      backend = await createBackend(kind);
      await start();
      await start();
    });
    after(async () => {
      for (const k of kernels) await k.stop('test');
      await backend?.cleanup();
    });

    it('a drain is a revision with author and reason, listed and diffed; B skips the deployment within 2 s', async () => {
      const [a, b] = kernels;
      const reason = 'ops rule failing-one: error_ratio of mock/one is 0.9 (above 0.5)';
      const change = await control(a).drain(ONE, reason);
      assert.equal(change.changed, true);
      assert.ok(drained(a, ONE), 'A applies its change at once');
      const took = await within(2000, 'B sees the drain', () => !!drained(b, ONE));
      assert.ok(took <= 2000);

      const [top] = await revisions(a);
      assert.deepEqual(top, {
        revision: change.revision,
        author: 'ops:failing-one',
        action: 'ai_control.drain',
        target: `deployment/${ONE}`,
        reason,
        created_at: (top as RevisionView & { created_at: string }).created_at,
      });
      const diff = (await (
        await fetch(`${a.url}/admin/v1/ai/catalog/revisions/${change.revision}/diff`, { headers: ROOT })
      ).json()) as { changes: { section: string; name: string; op: string; after: { reason: string } }[] };
      assert.equal(diff.changes.length, 1);
      assert.equal(diff.changes[0].section, 'control');
      assert.equal(diff.changes[0].name, `drain/${ONE}`);
      assert.equal(diff.changes[0].op, 'add');
      assert.equal(diff.changes[0].after.reason, reason);

      // B routes every request of the alias to the other deployment.
      const [oneBefore, twoBefore] = [await upstreamCalls(b, ONE), await upstreamCalls(b, TWO)];
      for (let i = 0; i < 12; i++) assert.equal((await chat(b, 'pair')).status, 200);
      assert.equal(await upstreamCalls(b, ONE), oneBefore, 'the drained deployment got no call on B');
      assert.equal(await upstreamCalls(b, TWO), twoBefore + 12);

      // The same drain again changes nothing: no new revision.
      const again = await control(b).drain(ONE, reason);
      assert.deepEqual(again, { revision: change.revision, changed: false });
      assert.equal((await revisions(a))[0].revision, change.revision);
    });

    /** POSTs a rollback through B; `control` as the body says it (undefined: no body, the default). */
    const roll = async (n: number, control?: 'keep' | 'restore') => {
      const res = await fetch(`${kernels[1].url}/admin/v1/ai/catalog/revisions/${n}/rollback`, {
        method: 'POST',
        headers: control ? { 'content-type': 'application/json', ...ROOT } : ROOT,
        ...(control ? { body: JSON.stringify({ control }) } : {}),
      });
      assert.equal(res.status, 200, await res.clone().text());
    };
    const pricing = async (k: Kernel) =>
      (
        (await (await fetch(`${k.url}/admin/v1/ai/catalog`, { headers: ROOT })).json()) as {
          pricing: { name: string; source: string }[];
        }
      ).pricing.filter((p) => p.source === 'api');

    it('a rollback keeps by default the control state of now: a drain made after the target revision stays', async () => {
      const [a, b] = kernels;
      const put = await fetch(`${a.url}/admin/v1/ai/catalog/pricing/one`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...ROOT },
        body: JSON.stringify({ input: 1, output: 2 }),
      });
      assert.equal(put.status, 200, await put.clone().text());
      const priceEdit = (await revisions(a))[0].revision;
      await control(a).drain(TWO, 'ops rule failing-two: error_ratio of mock/two is 0.8 (above 0.5)');
      await within(2000, 'B sees the drain of two', () => !!drained(b, TWO));

      await roll(priceEdit - 1);
      assert.deepEqual(await pricing(b), [], 'the price edit is undone');
      assert.ok(drained(b, TWO), 'the drain made after the target revision stays');
      assert.ok(drained(b, ONE), 'the drain of the target revision stays too');
      const [top] = await revisions(a);
      assert.equal(top.action, 'ai_catalog.rollback');
      const diff = (await (
        await fetch(`${a.url}/admin/v1/ai/catalog/revisions/${top.revision}/diff`, { headers: ROOT })
      ).json()) as { changes: { section: string; name: string }[] };
      assert.deepEqual(
        diff.changes.map((x) => `${x.section}/${x.name}`),
        ['pricing/one'],
        'the rollback changed the entries only',
      );
      // What a rollback with "restore" would change back: the current revision diffed from the target.
      const ahead = (await (
        await fetch(`${a.url}/admin/v1/ai/catalog/revisions/${top.revision}/diff?from=${priceEdit - 1}`, {
          headers: ROOT,
        })
      ).json()) as { changes: { section: string; name: string; op: string }[] };
      assert.deepEqual(
        ahead.changes.map((x) => `${x.op} ${x.section}/${x.name}`),
        [`add control/drain/${TWO}`],
      );
      const gone = await fetch(`${a.url}/admin/v1/ai/catalog/revisions/${top.revision}/diff?from=${top.revision + 5}`, {
        headers: ROOT,
      });
      assert.equal(gone.status, 404);
      // "keep" spelled out is the same; A, which did not roll back, serves it too.
      await roll(priceEdit, 'keep');
      assert.deepEqual(
        (await pricing(b)).map((p) => p.name),
        ['one'],
      );
      await within(2000, 'A sees the price back', () => rt(a).live.current.revision === rt(b).live.current.revision);
      assert.ok(drained(a, TWO));
      await control(a).restore(TWO);
      await within(2000, 'B sees two restored', () => drained(b, TWO) === null);
    });

    it('a body other than {"control": "keep" | "restore"} is a 400 problem, and nothing is stored', async () => {
      const [a] = kernels;
      const latest = (await revisions(a))[0].revision;
      const res = await fetch(`${a.url}/admin/v1/ai/catalog/revisions/${latest - 1}/rollback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...ROOT },
        body: JSON.stringify({ control: 'all' }),
      });
      assert.equal(res.status, 400, await res.clone().text());
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal((await revisions(a))[0].revision, latest);
    });

    it('with control "restore" a rollback restores the control state of the revision, on both instances', async () => {
      const [a, b] = kernels;
      const drainedAt = (await revisions(a)).find(
        (r) => r.action === 'ai_control.drain' && r.target === `deployment/${ONE}`,
      )!.revision;
      await roll(drainedAt - 1, 'restore');
      assert.equal(drained(b, ONE), null, 'the rollback applies on B at once');
      await within(2000, 'A sees the rollback', () => drained(a, ONE) === null);
      const [top] = await revisions(a);
      assert.equal(top.action, 'ai_catalog.rollback');
      assert.equal(top.author, 'usr_root');
      await roll(drainedAt, 'restore');
      assert.equal(drained(b, ONE)?.reason.startsWith('ops rule failing-one'), true, 'rolled forward: drained again');
      await within(2000, 'A sees it drained again', () => !!drained(a, ONE));
    });

    it('an admin edit of an entry keeps the control state; an operator is recorded as the author', async () => {
      const [a, b] = kernels;
      const put = await fetch(`${a.url}/admin/v1/ai/catalog/models/extra`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...ROOT },
        body: JSON.stringify({ deployments: [{ provider: 'mock', model: 'extra' }] }),
      });
      assert.equal(put.status, 200, await put.clone().text());
      assert.ok(drained(a, ONE), 'the drain survived an unrelated edit');
      const r = await control(b).restore(ONE, { author: 'usr_ops', reason: 'upstream fixed' });
      assert.equal(r.changed, true);
      const [top] = await revisions(a);
      assert.deepEqual(
        [top.revision, top.author, top.action, top.reason],
        [r.revision, 'usr_ops', 'ai_control.restore', 'upstream fixed'],
      );
      await within(2000, 'A sees the restore', () => drained(a, ONE) === null);
    });

    it('concurrent changes from both gateways all land (none is lost to the race for a revision)', async () => {
      const [a, b] = kernels;
      const before = (await revisions(a))[0].revision;
      const results = await Promise.all([
        control(a).drain(ONE, 'by hand: maintenance of one'),
        control(b).drain(TWO, 'by hand: maintenance of two'),
        control(a).setWeight('pair', TWO, 7),
        control(b).forceBreaker('mock/three', 'closed'),
        control(a).switchToFallback('pair', true),
      ]);
      assert.ok(results.every((r) => r.changed));
      assert.equal(new Set(results.map((r) => r.revision)).size, 5, 'five distinct revisions');
      const list = await revisions(a);
      assert.equal(list[0].revision, before + 5);
      assert.deepEqual(
        list
          .slice(0, 5)
          .map((r) => r.action)
          .sort(),
        [
          'ai_control.drain',
          'ai_control.drain',
          'ai_control.force_breaker',
          'ai_control.set_weight',
          'ai_control.switch_fallback',
        ],
      );
      assert.ok(list.slice(0, 5).every((r) => r.author === 'ops:manual' || r.author === 'ops'));
      for (const k of [a, b])
        await within(2000, 'both instances see every change', () => {
          const deps = control(k).deployments();
          const pair = control(k)
            .aliases()
            .find((x) => x.alias === 'pair')!;
          return (
            !!deps.find((d) => d.id === ONE)!.drained &&
            !!deps.find((d) => d.id === TWO)!.drained &&
            deps.find((d) => d.id === 'mock/three')!.forcedBreaker === 'closed' &&
            pair.weights[TWO] === 7 &&
            pair.switchedToFallback
          );
        });
    });

    it(`the control state survives a full restart${kind === 'postgres' ? ' and a Redis flush' : ''}`, async () => {
      const revision = rt(kernels[0]).live.current.revision;
      for (const k of kernels.splice(0)) await k.stop('test');
      if (backend.redisUrl) {
        const redis = createRedisStore({ url: backend.redisUrl, prefix: backend.keyPrefix });
        try {
          await redis.deleteByPrefix('');
        } finally {
          await redis.close();
        }
      }
      const c = await start();
      assert.equal(rt(c).live.current.revision, revision);
      assert.match(drained(c, ONE)!.reason, /maintenance of one/);
      assert.ok(drained(c, TWO));
      const pair = control(c)
        .aliases()
        .find((x) => x.alias === 'pair')!;
      assert.equal(pair.weights[TWO], 7);
      assert.equal(pair.switchedToFallback, true);
      assert.equal(
        control(c)
          .deployments()
          .find((d) => d.id === 'mock/three')!.forcedBreaker,
        'closed',
      );
      // Both of the pair are drained and its fallbacks go first: the fallback alias answers.
      const three = await upstreamCalls(c, 'mock/three');
      assert.equal((await chat(c, 'pair')).status, 200);
      assert.equal(await upstreamCalls(c, 'mock/three'), three + 1);
    });

    it('upgrade: control state an older version kept in the shared store becomes one revision, and its keys go', async () => {
      const c = kernels[0];
      const r = rt(c);
      await control(c).restore(TWO);
      const store = r.ctx.store;
      await store.set(`ops:drain:${TWO}`, JSON.stringify({ reason: 'by hand: old drain', at: '2026-01-01T00:00:00Z' }));
      await store.set(`ops:weight:pair:${ONE}`, '3');
      const before = r.live.current.revision;
      await importLegacyControl(r.live, store, r.ctx.logger);
      assert.equal(r.live.current.revision, before + 1);
      assert.deepEqual(drained(c, TWO), { reason: 'by hand: old drain', at: '2026-01-01T00:00:00Z' });
      assert.equal(
        control(c)
          .aliases()
          .find((x) => x.alias === 'pair')!.weights[ONE],
        3,
      );
      const [top] = await revisions(c);
      assert.equal(top.author, 'upgrade');
      assert.equal(top.action, 'ai_control.import');
      assert.deepEqual(await store.mget([`ops:drain:${TWO}`, `ops:weight:pair:${ONE}`]), [null, null]);
      // Nothing left to move: the next start stores nothing.
      await importLegacyControl(r.live, store, r.ctx.logger);
      assert.equal(r.live.current.revision, before + 1);
    });
  });
}
