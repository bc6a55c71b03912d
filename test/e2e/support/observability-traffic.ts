import type { TestGateway } from '@aihub/core/testing';
import type { TrafficKind } from '@aihub/observability';
import { PROBE_RPM } from './observability-plugins';
import type { OwnRedis } from './observability-redis';
import { waitFor } from './observability-process';

/** A gateway under test, with its Redis when it has one of the test's own. */
export interface GatewayUnderTest {
  /** `backend` label on its scrape target. */
  backend: 'embedded' | 'pg-redis';
  gw: TestGateway;
  redis?: OwnRedis;
}

export interface TrafficContext {
  gateways: GatewayUnderTest[];
  plugins: Set<string>;
}

/** Produces one kind of traffic on the gateways; `needs` names the plugins it requires. */
export interface TrafficGenerator {
  kind: TrafficKind;
  needs: string[];
  run(ctx: TrafficContext): Promise<void>;
}

async function drain(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

async function expectStatus(gw: TestGateway, path: string, want: number, init?: RequestInit): Promise<void> {
  const status = await drain(await gw.fetch(path, init));
  if (status !== want) throw new Error(`traffic: ${init?.method ?? 'GET'} ${path} answered ${status}, expected ${want}`);
}

/**
 * Every kind of traffic the dashboards check knows how to produce. A metric that appears only after a
 * kind of traffic with no generator here fails the check once its plugin exists: add the generator
 * (it usually needs the plugin's config in observability-plugins.ts too).
 */
export const GENERATORS: TrafficGenerator[] = [
  {
    kind: 'http',
    needs: [],
    async run({ gateways }) {
      for (const { gw } of gateways) {
        for (let i = 0; i < 10; i++) await expectStatus(gw, '/plugins/obs-probe/ok', 200);
        await expectStatus(gw, '/health/live', 200);
        await expectStatus(gw, '/plugins/example/info', 200);
        await expectStatus(gw, '/no/such/route', 404);
        // The example plugin's size limit (64 KiB under /plugins) answers 413.
        await expectStatus(gw, '/plugins/obs-probe/echo', 413, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'x'.repeat(70_000) }) });
        await expectStatus(gw, '/plugins/obs-probe/echo', 200, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
      }
    },
  },
  {
    kind: 'hook-error',
    needs: [],
    async run({ gateways }) {
      for (const { gw } of gateways) for (let i = 0; i < 3; i++) await expectStatus(gw, '/plugins/obs-probe/boom', 500);
    },
  },
  {
    kind: 'gc',
    needs: [],
    async run() {
      // Allocation churn until V8 runs a scavenge (prom-client observes GC through perf_hooks).
      let keep: unknown[] = [];
      for (let i = 0; i < 200; i++) {
        keep = Array.from({ length: 10_000 }, (_, j) => ({ j, s: `x${j}` }));
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      void keep;
    },
  },
  {
    kind: 'ratelimit-decision',
    needs: ['rate-limit'],
    async run({ gateways }) {
      for (const { gw } of gateways) {
        const statuses: number[] = [];
        for (let i = 0; i < PROBE_RPM + 3; i++) statuses.push(await drain(await gw.fetch('/plugins/obs-probe/limited')));
        // 200s until the window's budget is spent (first run), then 429s.
        if (!statuses.includes(429) || statuses.some((s) => s !== 200 && s !== 429)) {
          throw new Error(`traffic: rate-limited probe answered ${statuses.join(',')}; expected 200s then 429s`);
        }
      }
    },
  },
  {
    kind: 'ratelimit-store-error',
    needs: ['rate-limit'],
    async run({ gateways }) {
      const withRedis = gateways.filter((g) => g.redis);
      if (!withRedis.length) throw new Error('traffic: ratelimit-store-error needs a gateway on a Redis of the test’s own');
      for (const { gw, redis } of withRedis) {
        await redis!.down();
        try {
          // Fail open (the default): answered without a limit check, counted as error_open.
          for (let i = 0; i < 2; i++) await drain(await gw.fetch('/plugins/obs-probe/limited'));
        } finally {
          await redis!.up();
        }
        await waitFor(async () => (await gw.fetch('/health/ready')).status === 200, 15_000, `${gw.url} ready again after Redis returned`);
      }
    },
  },
];
