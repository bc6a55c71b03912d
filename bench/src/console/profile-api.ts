/**
 * The server side of `bench:console`, without a browser: the same gateway (minus the console) and
 * seed, then the admin API calls the console's screens make, timed (median of BENCH_RUNS). Finds
 * which query a slow screen waits for. Run: node --conditions=aihub-source --import tsx
 * bench/src/console/profile-api.ts (BENCH_BACKEND, BENCH_ROWS, BENCH_RUNS as bench:console).
 */
import { createSql, type Sql } from '@aihub/core/plugin-api';
import type { Database } from '@aihub/core';
import { createBackend, CoreTokens, startTestGateway, type BackendKind } from '@aihub/core/testing';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import cache from '@aihub/plugin-cache';
import rateLimit from '@aihub/plugin-rate-limit';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';
import { rebuildUsageRollups, seedUsage } from './seed';

const BACKEND = (process.env.BENCH_BACKEND ?? 'embedded') as BackendKind;
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function main(): Promise<void> {
  const backend = await createBackend(BACKEND);
  const adminKey = generateApiKey().key;
  const gw = await startTestGateway({
    plugins: [tenancy, auth, ai, usage, rateLimit, cache],
    pluginConfig: {
      auth: { keySecret: 'bench-console-secret-0123456789abcdefghijklmnop', bootstrap: { adminKey, print: false } },
      ai: {
        requireAuth: true,
        providers: { mock: { type: 'mock', mock: { latencyMs: 0 } } },
        models: {
          assistant: { deployments: [{ provider: 'mock', model: 'a' }] },
          'exp-a': { deployments: [{ provider: 'mock', model: 'a' }] },
          'exp-b': { deployments: [{ provider: 'mock', model: 'b' }] },
        },
        experiments: [
          {
            name: 'tone',
            alias: 'assistant',
            variants: [
              { name: 'control', model: 'exp-a' },
              { name: 'treatment', model: 'exp-b' },
            ],
          },
        ],
      },
    },
    config: { ...backend.config },
  });
  const api = async (p: string) => {
    const t0 = performance.now();
    const res = await fetch(`${gw.url}${p}`, { headers: { authorization: `Bearer ${adminKey}` } });
    const body = await res.text();
    if (!res.ok) throw new Error(`${p} → ${res.status} ${body}`);
    return { ms: performance.now() - t0, body };
  };
  try {
    const me = JSON.parse((await api('/admin/v1/me')).body) as { tenant: { id: string } };
    const t = me.tenant.id;
    const sql: Sql = createSql(gw.kernel.root.get(CoreTokens.Database as never) as Database);
    const started = Date.now();
    const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
    await seedUsage(
      sql,
      { tenantId: t, rows: ROWS, days: 90, teams: ['t1', 't2', 't3', 't4', 't5', 't6'], keys, now: Date.now() },
      (d) => process.stdout.write(`\r  seeded ${d}`),
    );
    await rebuildUsageRollups(sql, t);
    await sql.rows('ANALYZE');
    console.log(`\n  seed ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const base = `/admin/v1/tenants/${t}`;
    const month = day(0).slice(0, 7);
    const calls = [
      `${base}/usage/summary`,
      `${base}/usage/summary?from=${day(-89)}&to=${day(0)}`,
      `${base}/usage?group_by=day`,
      `${base}/usage?group_by=model`,
      `${base}/usage?from=${day(-89)}&to=${day(0)}&group_by=day`,
      `${base}/usage?from=${day(-89)}&to=${day(0)}&group_by=key`,
      `${base}/invoices/${month}`,
      `${base}/budgets`,
      `${base}/budget-alerts`,
      `${base}/limits`,
      `${base}/limits/usage`,
      `${base}/cache`,
      `${base}/models`,
      `${base}/experiments`,
      `${base}/api-keys`,
      `${base}/audit`,
      ...(process.env.BENCH_EXTRA ? process.env.BENCH_EXTRA.split(',').map((p) => `${base}${p}`) : []),
    ];
    for (const c of calls) {
      const ms: number[] = [];
      try {
        for (let i = 0; i < RUNS; i++) ms.push((await api(c)).ms);
      } catch (err) {
        console.log(`  ${c}: ${(err as Error).message.slice(0, 200)}`);
        continue;
      }
      ms.sort((a, b) => a - b);
      console.log(`  ${String(Math.round(ms[Math.floor(ms.length / 2)])).padStart(6)} ms  ${c.replace(base, '')}`);
    }
  } finally {
    await gw.stop();
    // BENCH_KEEP=1 keeps the seeded database to profile its queries by hand.
    if (process.env.BENCH_KEEP) console.log(`  kept ${backend.databaseUrl}`);
    else await backend.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
