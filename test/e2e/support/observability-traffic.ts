import type { TestGateway } from '@aihub/core/testing';
import type { TrafficKind } from '@aihub/observability';
import { ADMIN_KEY, AI_MODELS, PROBE_RPM } from './observability-plugins';
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

/** Produces kinds of traffic on the gateways; `needs` names the plugins it requires. */
export interface TrafficGenerator {
  kinds: TrafficKind[];
  needs: string[];
  run(ctx: TrafficContext): Promise<void>;
}

async function drain(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

async function expectStatus(gw: TestGateway, path: string, want: number, init?: RequestInit): Promise<void> {
  const status = await drain(await gw.fetch(path, init));
  if (status !== want)
    throw new Error(`traffic: ${init?.method ?? 'GET'} ${path} answered ${status}, expected ${want}`);
}

/**
 * POST to the OpenAI-compatible API: the ai plugin when loaded (with the bootstrap key when auth is
 * loaded), else the stand-in of observability-plugins.ts. Returns the response, body read.
 */
async function openai(
  ctx: TrafficContext,
  gw: TestGateway,
  path: string,
  body: Record<string, unknown>,
): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ctx.plugins.has('auth')) headers.authorization = `Bearer ${ADMIN_KEY}`;
  const res = await gw.fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(
      `traffic: POST ${path} ${JSON.stringify(body.model)} answered ${res.status}: ${text.slice(0, 300)}`,
    );
  return { status: res.status, headers: res.headers, text };
}

const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content }],
  ...extra,
});

/**
 * Every kind of traffic the dashboards check knows how to produce. A metric that appears only after a
 * kind of traffic with no generator here fails the check once its plugin exists: add the generator
 * (it usually needs the plugin's config in observability-plugins.ts too).
 */
export const GENERATORS: TrafficGenerator[] = [
  {
    kinds: ['http'],
    needs: [],
    async run({ gateways }) {
      for (const { gw } of gateways) {
        for (let i = 0; i < 10; i++) await expectStatus(gw, '/plugins/obs-probe/ok', 200);
        await expectStatus(gw, '/health/live', 200);
        await expectStatus(gw, '/plugins/example/info', 200);
        await expectStatus(gw, '/no/such/route', 404);
        // The example plugin's size limit (64 KiB under /plugins) answers 413.
        await expectStatus(gw, '/plugins/obs-probe/echo', 413, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ x: 'x'.repeat(70_000) }),
        });
        await expectStatus(gw, '/plugins/obs-probe/echo', 200, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"x":1}',
        });
      }
    },
  },
  {
    kinds: ['hook-error'],
    needs: [],
    async run({ gateways }) {
      for (const { gw } of gateways) for (let i = 0; i < 3; i++) await expectStatus(gw, '/plugins/obs-probe/boom', 500);
    },
  },
  {
    // The ops plugin's dry-run rule (observability-plugins.ts) decides on its own within a second:
    // wait until the leader among the gateways has counted a decision.
    kinds: ['ops-decision'],
    needs: ['ops'],
    async run({ gateways }) {
      const counted = async () => {
        for (const { gw } of gateways)
          if ((await (await gw.fetch('/metrics')).text()).includes('aihub_ops_decisions_total{')) return true;
        return false;
      };
      await waitFor(counted, 15_000, 'an ops decision counted in aihub_ops_decisions_total');
    },
  },
  {
    kinds: ['gc'],
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
    // Priced completions and an embedding; each publishes a usage record (so also usage traffic).
    kinds: ['ai-request'],
    needs: ['ai'],
    async run(ctx) {
      for (const { gw } of ctx.gateways) {
        for (let i = 0; i < 3; i++)
          await openai(
            ctx,
            gw,
            '/v1/chat/completions',
            chat(AI_MODELS.priced, `observability probe ${i}`, { temperature: 1 }),
          );
        await openai(ctx, gw, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'observability probe' });
      }
    },
  },
  {
    kinds: ['ai-stream'],
    needs: ['ai'],
    async run(ctx) {
      for (const { gw } of ctx.gateways) {
        const r = await openai(
          ctx,
          gw,
          '/v1/chat/completions',
          chat(AI_MODELS.priced, 'observability stream probe', { stream: true, temperature: 1 }),
        );
        if (!r.headers.get('content-type')?.startsWith('text/event-stream') || !r.text.includes('data: [DONE]'))
          throw new Error(`traffic: the stream was not SSE: ${r.text.slice(0, 200)}`);
      }
    },
  },
  {
    // The flaky deployment fails every call: retried once, then the request falls back to the
    // priced alias; after two failed calls its breaker opens (and later requests skip it).
    kinds: ['ai-retry', 'ai-fallback', 'ai-breaker'],
    needs: ['ai'],
    async run(ctx) {
      for (const { gw } of ctx.gateways)
        for (let i = 0; i < 2; i++)
          await openai(ctx, gw, '/v1/chat/completions', chat(AI_MODELS.flaky, `flaky probe ${i}`, { temperature: 1 }));
    },
  },
  {
    kinds: ['ai-experiment'],
    needs: ['ai'],
    async run(ctx) {
      for (const { gw } of ctx.gateways)
        for (const user of ['alice', 'bob'])
          await openai(ctx, gw, '/v1/chat/completions', chat(AI_MODELS.experiment, 'experiment probe', { user }));
    },
  },
  {
    kinds: ['ai-unpriced'],
    needs: ['ai'],
    async run(ctx) {
      for (const { gw } of ctx.gateways)
        await openai(ctx, gw, '/v1/chat/completions', chat(AI_MODELS.unpriced, 'unpriced probe'));
    },
  },
  {
    // Deterministic (temperature 0) completions are cached: the second identical request is a hit.
    // Without the ai plugin the stand-in serves /v1/chat/completions.
    kinds: ['cache-lookup'],
    needs: ['cache'],
    async run(ctx) {
      for (const { gw } of ctx.gateways) {
        const seen: string[] = [];
        for (let i = 0; i < 3; i++) {
          const r = await openai(
            ctx,
            gw,
            '/v1/chat/completions',
            chat(AI_MODELS.priced, 'observability cache probe', { temperature: 0 }),
          );
          seen.push(r.headers.get('x-aihub-cache') ?? 'miss');
        }
        // A miss stores the entry once the response is sent; a later identical request hits.
        if (!seen.includes('hit')) throw new Error(`traffic: no cache hit in ${seen.join(',')}`);
      }
    },
  },
  {
    // Completions (ai or stand-in) publish usage records; the usage consumer writes them in batches.
    // One priced completion crosses the tenant's daily soft budget (usage config) → a budget alert.
    kinds: ['usage-record', 'budget-alert'],
    needs: ['usage'],
    async run(ctx) {
      for (const { gw } of ctx.gateways)
        await openai(
          ctx,
          gw,
          '/v1/chat/completions',
          chat(AI_MODELS.priced, `usage probe ${Date.now()}`, { temperature: 1 }),
        );
    },
  },
  {
    kinds: ['ratelimit-decision'],
    needs: ['rate-limit'],
    async run({ gateways }) {
      for (const { gw } of gateways) {
        const statuses: number[] = [];
        for (let i = 0; i < PROBE_RPM + 3; i++)
          statuses.push(await drain(await gw.fetch('/plugins/obs-probe/limited')));
        // 200s until the window's budget is spent (first run), then 429s.
        if (!statuses.includes(429) || statuses.some((s) => s !== 200 && s !== 429)) {
          throw new Error(`traffic: rate-limited probe answered ${statuses.join(',')}; expected 200s then 429s`);
        }
      }
    },
  },
  {
    kinds: ['ratelimit-store-error'],
    needs: ['rate-limit'],
    async run({ gateways }) {
      const withRedis = gateways.filter((g) => g.redis);
      if (!withRedis.length)
        throw new Error('traffic: ratelimit-store-error needs a gateway on a Redis of the test’s own');
      for (const { gw, redis } of withRedis) {
        await redis!.down();
        try {
          // Fail open (the default): answered without a limit check, counted as error_open.
          for (let i = 0; i < 2; i++) await drain(await gw.fetch('/plugins/obs-probe/limited'));
        } finally {
          await redis!.up();
        }
        await waitFor(
          async () => (await gw.fetch('/health/ready')).status === 200,
          15_000,
          `${gw.url} ready again after Redis returned`,
        );
      }
    },
  },
];
