import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { definePlugin, type PluginContext } from '../plugin-api';
import { startTestGateway } from '../testing';

/**
 * The plugin runtime (issue 19 item 1): what `start` returns is `ctx.runtime`, typed, in every other
 * callback; reading it before `start` resolved fails with the plugin's name. Type assertions
 * (`@ts-expect-error`) are checked by the typecheck.
 */

/** A runtime with a little state, as a plugin's `start` builds one. */
class Counter {
  hits = 0;
  stopped = false;
  constructor(readonly label: string) {}
}

function counterPlugin(events: string[]) {
  return definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'rt-counter',
    version: '1.0.0',
    core: '*',
    config: z.object({ label: z.string().default('hits') }).strict(),
    // Declared first: TypeScript infers the runtime's type from what `start` returns.
    start: async (ctx) => {
      // Never called: a type assertion only (reading it here would throw).
      // @ts-expect-error -- `start`'s context has no runtime yet: it is what `start` returns.
      const typeOnly = () => ctx.runtime.hits;
      void typeOnly;
      await Promise.resolve();
      return new Counter(ctx.config.label);
    },
    hooks: (ctx) => [
      {
        phase: 'request.transform',
        handle: (c, next) => {
          ctx.runtime.hits++;
          // @ts-expect-error -- typed: the runtime has no `misses`.
          void ctx.runtime.misses;
          return next();
        },
      },
    ],
    routes(router, ctx) {
      router.get(
        '/hits',
        (c) => {
          c.body = { [ctx.runtime.label]: ctx.runtime.hits };
        },
        { auth: 'none' },
      );
    },
    health: (ctx) => [{ name: 'counter', check: async () => ({ hits: ctx.runtime.hits }) }],
    onRoute: (route, ctx) => void events.push(`onRoute:${ctx.runtime.label}:${route.path}`),
    ready: (ctx) => void events.push(`ready:${ctx.runtime.hits}`),
    beforeClose: (ctx) => void events.push(`beforeClose:${ctx.runtime.hits}`),
    stop: (ctx) => {
      ctx.runtime.stopped = true;
      events.push(`stop:${ctx.runtime.hits}`);
    },
  });
}

describe('plugin runtime (ctx.runtime)', () => {
  it('hands what start resolved to hooks, routes, health checks, onRoute, ready, beforeClose and stop', async () => {
    const events: string[] = [];
    const plugin = counterPlugin(events);
    const gw = await startTestGateway({ plugins: [plugin], pluginConfig: { 'rt-counter': { label: 'seen' } } });
    let rt: Counter | undefined;
    try {
      assert.ok(events.includes('onRoute:seen:/plugins/rt-counter/hits'), events.join());
      assert.ok(events.includes('ready:0'), events.join());
      const first = await gw.fetch('/plugins/rt-counter/hits');
      assert.deepEqual(await first.json(), { seen: 1 });
      const second = await gw.fetch('/plugins/rt-counter/hits');
      assert.deepEqual(await second.json(), { seen: 2 });
      const health = await gw.kernel.health.run('readiness');
      const check = health.checks.find((c) => c.plugin === 'rt-counter' && c.name === 'counter');
      assert.deepEqual(check?.details, { hits: 2 });
      // The testing kit reaches the same object, typed by the definition.
      rt = gw.runtime(plugin);
      const hits: number = rt.hits;
      assert.equal(hits, 2);
      assert.ok(rt instanceof Counter);
      assert.equal(gw.runtime('rt-counter'), rt);
    } finally {
      await gw.stop();
    }
    assert.deepEqual(events.slice(-2), ['beforeClose:2', 'stop:2']);
    assert.equal(rt?.stopped, true);
  });

  it('a sync start works, and a start that returns nothing leaves the runtime undefined', async () => {
    const sync = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-sync',
      version: '1.0.0',
      core: '*',
      start: () => ({ n: 41 }),
      routes: (router, ctx) => router.get('/n', (c) => void (c.body = { n: ctx.runtime.n + 1 }), { auth: 'none' }),
    });
    let seen: unknown = 'unset';
    const none = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-none',
      version: '1.0.0',
      core: '*',
      start: async () => {},
      ready: (ctx) => void (seen = ctx.runtime),
    });
    const gw = await startTestGateway({ plugins: [sync, none] });
    try {
      assert.deepEqual(await (await gw.fetch('/plugins/rt-sync/n')).json(), { n: 42 });
      assert.equal(seen, undefined);
      assert.equal(gw.runtime('rt-none'), undefined);
      assert.throws(() => gw.runtime('rt-absent'), /plugin "rt-absent" has not started/);
    } finally {
      await gw.stop();
    }
  });

  it('a runtime() builder runs before hooks and routes are declared, in dry runs too; start opens it', async () => {
    const opened: string[] = [];
    const build = (ctx: PluginContext) => ({ name: ctx.name, open: false });
    const wired = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-built',
      version: '1.0.0',
      core: '*',
      runtime: build,
      // Wired with the runtime's object as it is declared: no per-request read.
      routes(router, ctx) {
        const rt = ctx.runtime;
        router.get('/open', (c) => void (c.body = { name: rt.name, open: rt.open }), { auth: 'none' });
      },
      async start(ctx: PluginContext<unknown, ReturnType<typeof build>>) {
        ctx.runtime.open = true;
        opened.push(ctx.runtime.name);
      },
    });
    const gw = await startTestGateway({ plugins: [wired] });
    try {
      assert.deepEqual(await (await gw.fetch('/plugins/rt-built/open')).json(), { name: 'rt-built', open: true });
      assert.deepEqual(opened, ['rt-built']);
    } finally {
      await gw.stop();
    }
  });

  it('reading ctx.runtime while declaring hooks fails startup naming the plugin', async () => {
    const eager = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-eager',
      version: '1.0.0',
      core: '*',
      start: () => ({ ok: true }),
      hooks: (ctx) => (ctx.runtime.ok ? [] : []),
    });
    await assert.rejects(
      startTestGateway({ plugins: [eager] }),
      /plugin "rt-eager" read ctx\.runtime before its start\(\) resolved/,
    );
  });

  it('reading ctx.runtime in register fails startup naming the plugin, and plugins started before it stop', async () => {
    let stopped = false;
    const first = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-first',
      version: '1.0.0',
      core: '*',
      start: () => 'first',
      stop: () => void (stopped = true),
    });
    const early = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-early',
      version: '1.0.0',
      core: '*',
      dependsOn: ['rt-first'],
      start: () => 1,
      register: (_bind, ctx) => void ctx.runtime,
    });
    await assert.rejects(
      startTestGateway({ plugins: [first, early] }),
      /plugin "rt-early" failed to start: plugin "rt-early" read ctx\.runtime before its start\(\) resolved/,
    );
    assert.equal(stopped, true);
  });

  it('infers the runtime from a named start function wherever it is declared', () => {
    const createRuntime = (ctx: PluginContext<{ size: number }>) => ({ slots: new Array<string>(ctx.config.size) });
    const def = definePlugin({
      apiVersion: 'aihub.plugin/v1',
      name: 'rt-named',
      version: '1.0.0',
      core: '*',
      config: z.object({ size: z.number() }).strict(),
      stop: (ctx) => {
        const slots: string[] = ctx.runtime.slots;
        void slots;
      },
      start: createRuntime,
    });
    assert.equal(typeof def.stop, 'function');
  });
});
