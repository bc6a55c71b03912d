/**
 * `npm run bench:console` (issue 16 budget): every console screen's first paint under 1 s on the
 * embedded default (SQLite, in-memory KV) with 1,000,000 usage rows seeded.
 *
 * Starts the gateway as the browser tests do (test/e2e/console/harness.ts: tenancy, auth, ai, usage,
 * rate-limit, cache, health and the console serving admin-ui/dist) on a temporary SQLite file, seeds
 * the bootstrap tenant with BENCH_ROWS usage records spread over 90 days (many keys, teams, models
 * and providers, errors, cancellations, cache hits; the ai plugin's request log too, with an A/B
 * experiment) straight into the plugins' own tables, then rebuilds the daily rollups from the records
 * the way the usage consumer keeps them. Chromium (Debian's, never a downloaded one) signs in and opens
 * each screen BENCH_RUNS times by a client-side navigation from the home screen, as a click on the
 * navigation does. First paint of a screen = from the navigation to the first animation frame in which
 * its data-bearing elements are in the DOM and visible and no loading indicator is left (measured in
 * the page with performance.now()). The first visit of a screen also loads its lazy chunk: it is shown
 * as "cold"; the budget applies to the median of the runs and to the cold visit.
 *
 * The behavior screens (trends, funnel, retention, a user's timeline) read BENCH_EVENTS behavior events
 * (default 1,000,000) of BENCH_USERS users (default 40,000) over the same 90 days, seeded straight
 * into the behavior plugin's tables (console/behavior-seed.ts) when a behavior screen is measured.
 *
 * Env: BENCH_BACKEND=embedded|postgres (default embedded; postgres = PostgreSQL + Redis, same seed),
 * BENCH_ROWS (default 1000000), BENCH_EVENTS, BENCH_USERS, BENCH_RUNS (default 5), BENCH_BUDGET_MS (default 1000),
 * BENCH_SCREENS=overview,usage… (a subset; `behavior` for the behavior screens — BENCH_ROWS=1000 then skips most
 * of the usage seed), BENCH_BEHAVIOR_DAILY=0 (behavior analytics from the raw events, as before the daily user
 * sets, for a before/after comparison). Exits non-zero when a screen misses the budget.
 * Writes bench/results/console-first-paint-<backend>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createSql, type Sql } from '@aihub/core/plugin-api';
import { CoreTokens, type BackendKind } from '@aihub/core/testing';
import type { Database } from '@aihub/core';
import behavior from '@aihub/plugin-behavior';
import cache from '@aihub/plugin-cache';
import health from '@aihub/plugin-health';
import rateLimit from '@aihub/plugin-rate-limit';
import usage from '@aihub/plugin-usage';
import { startConsoleEnv, type ConsoleEnv } from '../../test/e2e/console/harness';
import { FUNNEL_STEPS, seedBehavior } from './console/behavior-seed';
import { rebuildUsageRollups, seedUsage, type SeedPlan } from './console/seed';

const BACKEND = (process.env.BENCH_BACKEND ?? 'embedded') as BackendKind;
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const USERS = Number(process.env.BENCH_USERS ?? 40_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 1000);
const ONLY = process.env.BENCH_SCREENS ? new Set(process.env.BENCH_SCREENS.split(',').map((s) => s.trim())) : undefined;
const DAYS = 90;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/**
 * A screen: its console path and the elements that carry its data (all must be visible). `then`: an
 * element that may come after the first paint (a chart whose chunk loads after the figures); the
 * time it appears is reported beside the first paint, not judged by the budget.
 */
interface Screen {
  name: string;
  path: string;
  ready: string[];
  then?: string;
}

function screens(): Screen[] {
  const ninety = `from=${day(-(DAYS - 1))}&to=${day(0)}`;
  return [
    {
      name: 'overview (7 days)',
      path: '/overview',
      ready: ['[data-testid=ov-requests]', '[data-testid=ov-p95]', '[data-testid=ov-top-keys]'],
    },
    {
      name: 'overview (90 days)',
      path: `/overview?${ninety}`,
      ready: ['[data-testid=ov-requests]', '[data-testid=ov-p95]', '[data-testid=ov-top-keys]'],
    },
    {
      name: 'usage (30 days)',
      path: '/usage',
      ready: [
        '[data-testid=usage-totals]',
        '[data-testid=usage-chart], [data-testid=usage-chart-pending]',
        '[data-testid=usage-table]',
        '[data-testid=invoice-total]',
      ],
      then: '[data-testid=usage-chart] canvas',
    },
    {
      name: 'usage (90 days)',
      path: `/usage?${ninety}`,
      ready: [
        '[data-testid=usage-totals]',
        '[data-testid=usage-chart], [data-testid=usage-chart-pending]',
        '[data-testid=usage-table]',
        '[data-testid=invoice-total]',
      ],
      then: '[data-testid=usage-chart] canvas',
    },
    { name: 'budgets', path: '/budgets', ready: ['[data-testid=budget-daily]', '[data-testid=budget-monthly]'] },
    { name: 'rate limits', path: '/limits', ready: ['[data-testid=limits-table]'] },
    { name: 'cache', path: '/cache', ready: ['[data-testid=cache-overall]'] },
    { name: 'models', path: '/models', ready: ['[data-testid=models-table] tbody tr'] },
    { name: 'experiments', path: '/experiments', ready: ['[data-testid=variant-requests]'] },
    { name: 'api keys', path: '/api-keys', ready: ['[data-testid=key-table] tbody tr'] },
    { name: 'audit', path: '/audit', ready: ['[data-testid=audit-table] tbody tr'] },
    { name: 'requests', path: '/requests', ready: ['[data-testid=rq-table] tbody tr'] },
    {
      name: 'requests (90 days)',
      path: `/requests?from=${day(-(DAYS - 1))}T00:00:00.000Z&to=${day(1)}T00:00:00.000Z`,
      ready: ['[data-testid=rq-table] tbody tr'],
    },
    { name: 'requests (errors)', path: '/requests?status=error', ready: ['[data-testid=rq-table] tbody tr'] },
    { name: 'monitor', path: '/monitor', ready: ['[data-testid=mon-requests]', '[data-testid=mon-p95]'] },
    {
      name: 'behavior trends (30 days)',
      path: '/behavior/trends',
      ready: ['[data-testid=trends-total]', '[data-testid=trends-table]'],
    },
    {
      name: 'behavior trends (90 days)',
      path: `/behavior/trends?${ninety}`,
      ready: ['[data-testid=trends-total]', '[data-testid=trends-table]'],
    },
    {
      name: 'behavior funnel (30 days)',
      path: `/behavior/funnels?steps=${FUNNEL_STEPS.map(encodeURIComponent).join(',')}`,
      ready: ['[data-testid=funnel-table]'],
    },
    { name: 'behavior retention', path: '/behavior/retention', ready: ['[data-testid=retention-table]'] },
    {
      name: 'behavior user timeline',
      path: '/behavior/users?id=user-3',
      ready: ['[data-testid=user-profile]', '[data-testid=user-timeline]'],
    },
  ];
}

/**
 * Navigates in the page (history.pushState + popstate, what the router does on a link click) and
 * resolves with the milliseconds until the first animation frame where every `ready` element is
 * visible and no loading indicator (app-page-state's progress bar) is left (`paint`), and, with
 * `then`, until that element is visible too. An error state fails.
 */
function measureIn(
  page: Page,
  target: string,
  ready: string[],
  then?: string,
): Promise<{ paint: number; then: number | null }> {
  const script = `new Promise((resolve, reject) => {
    const ready = ${JSON.stringify(ready)};
    const then = ${JSON.stringify(then ?? null)};
    const t0 = performance.now();
    let paint = null;
    history.pushState(null, '', ${JSON.stringify(target)});
    dispatchEvent(new PopStateEvent('popstate', { state: null }));
    const visible = (s) => { const el = document.querySelector(s); return !!el && el.getClientRects().length > 0; };
    const tick = () => {
      const failed = document.querySelector('app-page-state [role=alert]');
      if (failed) return reject(new Error('error state: ' + failed.textContent.trim()));
      if (paint === null && ready.every(visible) && !document.querySelector('app-page-state mat-progress-bar')) paint = performance.now() - t0;
      if (paint !== null && (then === null || visible(then))) return resolve({ paint, then: then === null ? null : performance.now() - t0 });
      if (performance.now() - t0 > 20000) return reject(new Error('not ready after 20 s: ' + [...ready, ...(then ? [then] : [])].filter((s) => !visible(s)).join(', ')));
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })`;
  return page.evaluate(script) as Promise<{ paint: number; then: number | null }>;
}

/** The screens BENCH_SCREENS asks for (by name prefix), or all. */
const selected = () => screens().filter((x) => !ONLY || [...ONLY].some((o) => x.name.startsWith(o)));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function seed(env: ConsoleEnv): Promise<SeedPlan & { seconds: number }> {
  const started = Date.now();
  const t = env.tenantId;
  // Real teams and keys (their names show on the screens), and more key ids than a page lists.
  const teams: string[] = [];
  for (const name of ['Platform', 'Search', 'Support', 'Growth', 'Data', 'Mobile'])
    teams.push((await env.api<{ id: string }>('POST', `/admin/v1/tenants/${t}/teams`, { name })).id);
  const keys: string[] = [];
  for (let i = 0; i < 60; i++)
    keys.push(
      (
        await env.api<{ id: string }>('POST', `/admin/v1/tenants/${t}/api-keys`, {
          name: `service ${i}`,
          scopes: ['ai:invoke'],
        })
      ).id,
    );
  await env.api('PUT', `/admin/v1/tenants/${t}/budgets`, {
    daily_hard_micros: 500_000_000,
    daily_soft_micros: 300_000_000,
    monthly_hard_micros: 9_000_000_000,
  });
  await env.api('PUT', `/admin/v1/tenants/${t}/limits`, { requestsPerMinute: 6000, tokensPerMinute: 2_000_000 });
  // The gateway's own connection: on SQLite a second writer would fight the gateway's single
  // connection for the write lock (busy waits, failed rollbacks); this way the seed queues with it.
  const sql: Sql = createSql(env.gw.kernel.root.get(CoreTokens.Database as never) as Database);
  {
    const plan: SeedPlan = { tenantId: t, rows: ROWS, days: DAYS, teams, keys, now: Date.now() };
    await seedUsage(sql, plan, (done) =>
      process.stdout.write(`\r  seeded ${done.toLocaleString('en')} / ${ROWS.toLocaleString('en')} rows`),
    );
    process.stdout.write('\n');
    await rebuildUsageRollups(sql, t);
    if (selected().some((x) => x.name.startsWith('behavior'))) {
      await seedBehavior(sql, { tenantId: t, events: EVENTS, users: USERS, days: DAYS, now: plan.now }, (done) =>
        process.stdout.write(
          `\r  seeded ${done.toLocaleString('en')} / ${EVENTS.toLocaleString('en')} behavior events`,
        ),
      );
      process.stdout.write('\n');
    }
    // Fresh planner statistics, as a database that grew to this size over time would have.
    await sql.rows('ANALYZE');
    return { ...plan, seconds: (Date.now() - started) / 1000 };
  }
}

async function main(): Promise<void> {
  console.log(
    `bench:console — backend ${BACKEND}, ${ROWS.toLocaleString('en')} usage rows, ${RUNS} runs per screen, budget ${BUDGET_MS} ms`,
  );
  const env = await startConsoleEnv({
    backend: BACKEND,
    plugins: [usage, rateLimit, cache, health, behavior],
    pluginConfig: {
      usage: { consumer: { blockMs: 50 } },
      behavior: { consumer: { blockMs: 50 }, analytics: { dailyUserSets: process.env.BENCH_BEHAVIOR_DAILY !== '0' } },
      health: { details: { access: 'admin' } },
      ai: {
        providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 8 } } },
        models: Object.fromEntries(
          [
            'gpt-4o-mini',
            'gpt-4o',
            'o3-mini',
            'claude-sonnet',
            'claude-haiku',
            'gemini-flash',
            'llama-70b',
            'mistral-large',
            'exp-a',
            'exp-b',
          ].map((m) => [m, { deployments: [{ provider: 'mock', model: m }] }]),
        ),
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
  });
  const results: {
    screen: string;
    path: string;
    cold_ms: number;
    median_ms: number;
    max_ms: number;
    runs_ms: number[];
    pass: boolean;
    then?: string;
    then_cold_ms?: number;
    then_median_ms?: number;
  }[] = [];
  try {
    const s = await seed(env);
    console.log(
      `  seed: ${ROWS.toLocaleString('en')} records (+ ai_requests, daily rollups; behavior events when measured) in ${s.seconds.toFixed(1)} s`,
    );
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/home');
    for (const screen of selected()) {
      const times: number[] = [];
      const later: number[] = [];
      const target = new URL(env.consoleUrl(screen.path));
      try {
        for (let i = 0; i <= RUNS; i++) {
          await env.navigate(page, '/home');
          await page.waitForSelector('[data-testid=home-role]');
          const m = await measureIn(page, target.pathname + target.search, screen.ready, screen.then);
          times.push(m.paint);
          if (m.then !== null) later.push(m.then);
        }
      } catch (err) {
        // A screen that never shows its data is a failure of the budget, not of the whole run.
        console.log(`  FAIL ${screen.name.padEnd(20)} ${(err as Error).message.split('\n')[0]}`);
        results.push({
          screen: screen.name,
          path: screen.path,
          cold_ms: NaN,
          median_ms: NaN,
          max_ms: NaN,
          runs_ms: times.map(Math.round),
          pass: false,
        });
        continue;
      }
      const [cold, ...warm] = times;
      const med = median(warm);
      const r = {
        screen: screen.name,
        path: screen.path,
        cold_ms: Math.round(cold),
        median_ms: Math.round(med),
        max_ms: Math.round(Math.max(...warm)),
        runs_ms: warm.map(Math.round),
        pass: med < BUDGET_MS && cold < BUDGET_MS,
        ...(later.length
          ? {
              then: screen.then,
              then_cold_ms: Math.round(later[0]),
              then_median_ms: Math.round(median(later.slice(1))),
            }
          : {}),
      };
      results.push(r);
      const thenText = r.then ? `   (${screen.then}: cold ${r.then_cold_ms} ms, median ${r.then_median_ms} ms)` : '';
      console.log(
        `  ${r.pass ? 'ok  ' : 'SLOW'} ${screen.name.padEnd(26)} cold ${String(r.cold_ms).padStart(5)} ms   median ${String(r.median_ms).padStart(5)} ms   max ${String(r.max_ms).padStart(5)} ms${thenText}`,
      );
    }
    if (env.pageErrors.length) console.log(`  page errors: ${env.pageErrors.join('; ')}`);
  } finally {
    await env.stop();
  }
  console.log('');
  console.log(`| screen | cold (ms) | median of ${RUNS} (ms) | max (ms) |`);
  console.log('|---|---:|---:|---:|');
  for (const r of results) console.log(`| ${r.screen} | ${r.cold_ms} | ${r.median_ms} | ${r.max_ms} |`);
  const out = path.resolve(__dirname, '..', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, `console-first-paint-${BACKEND}.json`),
    `${JSON.stringify({ backend: BACKEND, rows: ROWS, runs: RUNS, budget_ms: BUDGET_MS, measured_at: new Date().toISOString(), results }, null, 2)}\n`,
  );
  const slow = results.filter((r) => !r.pass);
  if (slow.length) {
    console.error(
      `bench:console: ${slow.length} screen(s) at or over ${BUDGET_MS} ms: ${slow.map((r) => r.screen).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
