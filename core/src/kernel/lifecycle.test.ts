import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { definePlugin, type PluginDefinition, type RouteInfo } from '../plugin-api';
import { startTestGateway } from '../testing';

/**
 * The lifecycle beyond start/stop (issue 19 item 6) on a real gateway: `onRoute` sees every route,
 * `ready` runs once the server listens, `beforeClose` once draining starts, in the documented order
 * (start order up, reverse start order down), and a failing hook is reported with the plugin's name.
 */

/** A port that was free a moment ago, so a `ready` hook can call the gateway it runs in. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A plugin that records each lifecycle call into `events` as `<plugin>:<hook>`. */
function recorder(name: string, events: string[], extra: Partial<PluginDefinition> = {}): PluginDefinition {
  return definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name,
    version: '1.0.0',
    core: '*',
    routes(router) {
      router.get(
        '/ping',
        (c) => {
          c.body = { pong: name };
        },
        { auth: 'none' },
      );
    },
    start: () => void events.push(`${name}:start`),
    ready: () => void events.push(`${name}:ready`),
    beforeClose: () => void events.push(`${name}:beforeClose`),
    stop: () => void events.push(`${name}:stop`),
    ...extra,
  });
}

describe('plugin lifecycle hooks', () => {
  it('runs start, ready, beforeClose and stop in dependency order up and reverse order down', async () => {
    const events: string[] = [];
    const port = await freePort();
    const seen: string[] = [];
    // Listed downstream-first on purpose: `dependsOn` decides the order, not the list.
    const downstream = recorder('lc-downstream', events, { dependsOn: ['lc-upstream'] });
    const upstream = recorder('lc-upstream', events, {
      // Starts first, yet sees the routes of the plugin that starts after it.
      onRoute: (route: Readonly<RouteInfo>) => void seen.push(`${route.method} ${route.path}`),
      async ready() {
        events.push('lc-upstream:ready');
        // The server listens when `ready` runs: the plugin can call the gateway it runs in.
        const res = await fetch(`http://127.0.0.1:${port}/plugins/lc-downstream/ping`);
        events.push(`ready-fetch:${res.status}`);
      },
      async beforeClose(ctx) {
        events.push('lc-upstream:beforeClose');
        // Draining: readiness already fails (/health/ready answers 503), requests are still served.
        events.push(`draining:${ctx.health.draining}`);
        events.push(`draining-ping:${(await fetch(`http://127.0.0.1:${port}/plugins/lc-upstream/ping`)).status}`);
      },
    });
    const gw = await startTestGateway({
      plugins: [downstream, upstream],
      config: { server: { port, shutdownDelayMs: 100 } },
    });
    assert.deepEqual(events, [
      'lc-upstream:start',
      'lc-downstream:start',
      'lc-upstream:ready',
      'ready-fetch:200',
      'lc-downstream:ready',
    ]);
    assert.ok(
      seen.includes('GET /plugins/lc-upstream/ping') && seen.includes('GET /plugins/lc-downstream/ping'),
      `onRoute saw ${seen.join(', ')}`,
    );
    assert.ok(seen.includes('GET /admin/v1/plugins'), 'onRoute sees core routes too');
    events.length = 0;
    await gw.stop();
    assert.deepEqual(events, [
      'lc-downstream:beforeClose',
      'lc-upstream:beforeClose',
      'draining:true',
      'draining-ping:200',
      'lc-downstream:stop',
      'lc-upstream:stop',
    ]);
  });

  it('hands onRoute a frozen route: a plugin observes routes, it cannot rewrite them', async () => {
    const frozen: boolean[] = [];
    const gw = await startTestGateway({
      plugins: [
        recorder('lc-frozen', [], {
          onRoute: (route: Readonly<RouteInfo>) =>
            void frozen.push(Object.isFrozen(route) && Object.isFrozen(route.scopes)),
        }),
      ],
    });
    try {
      assert.ok(frozen.length > 0 && frozen.every(Boolean));
    } finally {
      await gw.stop();
    }
  });

  it('fails startup naming the plugin when ready throws, stops the started plugins and never calls beforeClose', async () => {
    const events: string[] = [];
    const port = await freePort();
    const bad = recorder('lc-bad-ready', events, {
      ready: () => {
        throw new Error('cannot reach the license server');
      },
    });
    await assert.rejects(
      startTestGateway({ plugins: [recorder('lc-fine', events), bad], config: { server: { port } } }),
      /AIHUB_E_PLUGIN_START plugins\[1\]: plugin "lc-bad-ready" failed in ready: cannot reach the license server/,
    );
    assert.deepEqual(events, [
      'lc-fine:start',
      'lc-bad-ready:start',
      'lc-fine:ready',
      'lc-bad-ready:stop',
      'lc-fine:stop',
    ]);
    // The listener is closed again.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`));
  });

  it('fails startup naming the plugin when onRoute throws', async () => {
    const bad = recorder('lc-bad-route', [], {
      onRoute: (route: Readonly<RouteInfo>) => {
        if (route.path.endsWith('/ping')) throw new Error(`route ${route.path} has no summary`);
      },
    });
    await assert.rejects(
      startTestGateway({ plugins: [bad] }),
      /plugin "lc-bad-route" failed in onRoute: route \/plugins\/lc-bad-route\/ping has no summary/,
    );
  });

  it('logs a failing or hanging beforeClose and still closes and stops every plugin', async () => {
    const events: string[] = [];
    const throws = recorder('lc-close-throws', events, {
      beforeClose: () => {
        throw new Error('boom');
      },
    });
    const hangs = recorder('lc-close-hangs', events, { beforeClose: () => new Promise<void>(() => {}) });
    const gw = await startTestGateway({ plugins: [throws, hangs], config: { server: { pluginStopTimeoutMs: 200 } } });
    events.length = 0;
    const t0 = Date.now();
    await gw.stop();
    assert.ok(Date.now() - t0 < 10_000, 'a hanging beforeClose is cut off by pluginStopTimeoutMs');
    assert.deepEqual(events, ['lc-close-hangs:stop', 'lc-close-throws:stop']);
  });
});
