/**
 * What the usage plugin adds to an AI request on the hot path (PostgreSQL + Redis): the ai plugin in
 * front of the mock upstream, with the usage plugin (budget check + write-ahead) and without it.
 * Sequential requests (1 connection) for p50/p99, then 32 concurrent for throughput. Bounded.
 *
 *   node --conditions=aihub-source --import tsx plugins/usage/bench/writeAhead.ts [--requests 3000]
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import { startTestGateway } from '@aihub/core/testing';
import aiPlugin from '@aihub/plugin-ai';
import { startMockUpstream } from '../../../bench/src/mock-upstream/server';
import usagePlugin from '../src/index';
import { createBackend } from '@aihub/core/testing';
import { asCaller, identityPlugin } from '@aihub/core/testing';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' } } });
const N = Number(values.requests);
const KEY = 'sk-bench-0123456789abcdef';

async function run(
  label: string,
  plugins: PluginDefinition[],
  usage: Record<string, unknown> | undefined,
  budget = false,
) {
  const backend = await createBackend('postgres');
  const mock = await startMockUpstream({ apiKey: KEY, record: 0 });
  const gw = await startTestGateway({
    plugins: [identityPlugin(), aiPlugin as PluginDefinition, ...plugins],
    pluginConfig: {
      ai: {
        providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
        models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini' }] } },
      },
      ...(usage ? { usage } : {}),
    },
    config: { ...backend.config, telemetry: { metrics: { processMetrics: false } } },
  });
  const agent = new Agent({ connections: 64 });
  const headers = {
    'content-type': 'application/json',
    ...asCaller({
      tenant: 'bench',
      key: 'k1',
      ...(budget ? { tenantBudgets: { monthlyHardMicros: 1_000_000_000_000 } } : {}),
    }),
  };
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
  const once = async () => {
    const res = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body, dispatcher: agent });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  for (let i = 0; i < 300; i++) await once();
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await once();
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (done < N) {
        done++;
        await once();
      }
    }),
  );
  const rps = N / ((performance.now() - t0) / 1000);
  await gw.stop();
  await agent.close();
  await mock.close();
  await backend.cleanup();
  return {
    label,
    p50_ms: lat[Math.floor(lat.length / 2)].toFixed(3),
    p99_ms: lat[Math.floor(lat.length * 0.99)].toFixed(3),
    rps_32: Math.round(rps),
  };
}

async function main() {
  const results = [];
  const off = { consumer: { enabled: false } };
  results.push(await run('ai only (warm-up run)', [], undefined));
  results.push(await run('ai only', [], undefined));
  results.push(
    await run('ai + usage: no budget, no write-ahead, consumer off', [usagePlugin], {
      ...off,
      writeAhead: { enabled: false },
    }),
  );
  results.push(await run('ai + usage: write-ahead, consumer off', [usagePlugin], off));
  results.push(await run('ai + usage: write-ahead + tenant budget, consumer off', [usagePlugin], off, true));
  results.push(await run('ai + usage: write-ahead + budget + consumer in-process', [usagePlugin], {}, true));
  results.push(await run('ai only (again)', [], undefined));
  console.table(results);
}

main().catch((err: Error) => {
  console.error(err.stack);
  process.exit(1);
});
