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
    // With the ai plugin absent, the stand-in serves /v1/chat/completions (observability-plugins.ts).
    kind: 'cache-lookup',
    needs: ['cache'],
    async run({ gateways, plugins }) {
      if (plugins.has('ai')) throw new Error('traffic: cache-lookup with the real ai plugin needs a generator using its config (API key, mock provider)');
      const chat = { model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content: 'observability cache probe' }] };
      for (const { gw } of gateways) {
        const seen: string[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await gw.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
          await drain(res);
          if (res.status !== 200) throw new Error(`traffic: stand-in chat completion answered ${res.status}`);
          seen.push(res.headers.get('x-aihub-cache') ?? 'miss');
        }
        // A miss stores the entry once the response is sent; a later identical request hits.
        if (!seen.includes('hit')) throw new Error(`traffic: no cache hit in ${seen.join(',')}`);
      }
    },
  },
  {
    // Completions (stand-in or cache hits) publish UsageRecords; the usage consumer writes them.
    kind: 'usage-record',
    needs: ['usage'],
    async run({ gateways, plugins }) {
      if (plugins.has('ai')) throw new Error('traffic: usage-record with the real ai plugin needs a generator using its config');
      for (const { gw } of gateways) {
        const chat = { model: 'gpt-4o-mini', temperature: 1, messages: [{ role: 'user', content: `usage probe ${Date.now()}` }] };
        const res = await gw.fetch('/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat) });
        await drain(res);
        if (res.status !== 200) throw new Error(`traffic: stand-in chat completion answered ${res.status}`);
      }
    },
  },
  {
    // The stand-in's records belong to a tenant whose default daily soft budget one of them exceeds.
    kind: 'budget-alert',
    needs: ['usage'],
    async run(ctx) {
      const usage = GENERATORS.find((g) => g.kind === 'usage-record')!;
      await usage.run(ctx);
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
