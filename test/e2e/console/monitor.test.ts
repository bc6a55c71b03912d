/**
 * The live monitoring wall (issue 16 screen 2) in chromium against two gateway instances on the same
 * PostgreSQL + Redis with the bench mock upstream: traffic (plain and streamed chats) through both
 * instances, and the wall — served by the first — shows the cluster's figures, equal to
 * `GET /admin/v1/monitor`'s, with a row per instance. Then a deployment is made to fail and its
 * breaker is seen open on the wall (text and glyph, not colour alone). axe-core in the normal and
 * the full-screen (kiosk) layout; the kiosk is entered and left with the keyboard.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import ai from '@aihub/plugin-ai';
import auth from '@aihub/plugin-auth';
import tenancy from '@aihub/plugin-tenancy';
import usage from '@aihub/plugin-usage';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import { startConsoleEnv, type ConsoleEnv } from './harness';

const KEY = 'sk-mock-upstream-0123456789abcdef';
/** The harness's key secret: the second instance must verify the same API keys. */
const KEY_SECRET = 'console-e2e-secret-0123456789abcdefghijklmnopqrstuv';

interface Monitor {
  cluster: {
    requests: number;
    requests_per_second: number;
    errors: { total: number; client: number; rate_limited: number; server: number };
    errors_per_second: number;
    latency_ms: { p50: number | null; p95: number | null };
    ttft_ms: { p50: number | null; p95: number | null };
    spend_usd: number;
    spend_per_minute_usd: number;
    cache: { hits: number; misses: number; hit_ratio: number | null };
    rate_limited: number;
    queue_lag: number | null;
    breakers: { deployment: string; state: string; open_instances: number; half_open_instances: number }[];
  };
  instances: { instance_id: string; requests: number }[];
}

describe('console: live monitoring wall', () => {
  let env: ConsoleEnv;
  let second: TestGateway;
  let mock: MockUpstream;
  let key: string;
  let page: Page;

  const aiConfig = (mockUrl: string) => ({
    providers: { up: { type: 'openai', baseUrl: `${mockUrl}/v1`, apiKey: KEY } },
    models: {
      'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini', name: 'steady' }] },
      flaky: {
        deployments: [{ provider: 'up', model: 'broken-model', name: 'flaky-primary' }],
        fallbacks: ['gpt-4o-mini'],
      },
    },
    pricing: { 'gpt-4o-mini': { input: 150, output: 600 } },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 600_000 },
  });

  const chat = async (base: string, model: string, stream = false): Promise<void> => {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'how is the wall?' }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
  };
  const monitor = () => env.api<Monitor>('GET', '/admin/v1/monitor');
  const until = async (what: string, ok: () => Promise<boolean>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  before(async () => {
    mock = await startMockUpstream({ apiKey: KEY, completionTokens: 7, record: 0 });
    env = await startConsoleEnv({
      plugins: [usage],
      pluginConfig: { usage: { consumer: { blockMs: 50 } }, ai: aiConfig(mock.url) },
    });
    mock.setFailure({ status: 503, times: 0, match: { model: 'broken-model' } });
    // A second instance of the same deployment: same database, same Redis prefix, same key secret.
    second = await startTestGateway({
      plugins: [tenancy, auth, ai, usage],
      pluginConfig: {
        auth: { keySecret: KEY_SECRET, issuer: env.url },
        ai: { requireAuth: true, ...aiConfig(mock.url) },
        usage: { consumer: { blockMs: 50 } },
      },
      config: env.backend.config,
    });
    key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'wall',
        scopes: ['ai:invoke'],
      })
    ).key;
    page = await env.newPage();
    await env.signIn(page, env.admin, '/home');
  });
  after(async () => {
    await second?.stop();
    await env?.stop();
    await mock?.close();
  });

  test('the wall shows the cluster’s figures, equal to the route’s, with both instances', async () => {
    for (let i = 0; i < 4; i++) await chat(env.url, 'gpt-4o-mini');
    for (let i = 0; i < 2; i++) await chat(env.url, 'gpt-4o-mini', true);
    for (let i = 0; i < 3; i++) await chat(second.url, 'gpt-4o-mini');
    await chat(second.url, 'gpt-4o-mini', true);
    await until('both instances to publish the traffic', async () => {
      const m = await monitor();
      return m.cluster.requests === 10 && m.instances.length === 2;
    });
    const m = await monitor();
    assert.deepEqual(m.instances.map((i) => i.requests).sort(), [4, 6]);
    assert.ok(m.cluster.spend_usd > 0, 'priced requests have a cost');
    assert.ok(m.cluster.ttft_ms.p95 !== null, 'streams record a time to first token');

    await env.navigate(page, '/monitor');
    await page.waitForSelector('[data-testid=monitor-tiles]');
    // The wall refreshes every few seconds; figures are compared once the screen shows the same
    // answer the route gives now (traffic has stopped, so they settle).
    const tiles: [string, (x: Monitor) => number | null][] = [
      ['mon-requests', (x) => x.cluster.requests],
      ['mon-rps', (x) => x.cluster.requests_per_second],
      ['mon-errors', (x) => x.cluster.errors.total],
      ['mon-eps', (x) => x.cluster.errors_per_second],
      ['mon-p95', (x) => x.cluster.latency_ms.p95],
      ['mon-p50', (x) => x.cluster.latency_ms.p50],
      ['mon-ttft-p95', (x) => x.cluster.ttft_ms.p95],
      ['mon-ttft-p50', (x) => x.cluster.ttft_ms.p50],
      ['mon-spend', (x) => x.cluster.spend_usd],
      ['mon-spend-per-minute', (x) => x.cluster.spend_per_minute_usd],
      ['mon-cache-ratio', (x) => x.cluster.cache.hit_ratio],
      ['mon-rate-limited', (x) => x.cluster.rate_limited],
      ['mon-queue-lag', (x) => x.cluster.queue_lag],
    ];
    const shown = async () => {
      const out: Record<string, number | null> = {};
      for (const [id] of tiles) {
        const v = await page.locator(`[data-testid=${id}]`).getAttribute('data-value');
        out[id] = v === null || v === '' ? null : Number(v);
      }
      return out;
    };
    const expected = (x: Monitor) => Object.fromEntries(tiles.map(([id, f]) => [id, f(x)]));
    let last: { screen: Record<string, number | null>; api: Record<string, number | null> } | undefined;
    await until('the wall to show the route’s figures', async () => {
      const api = expected(await monitor());
      const screen = await shown();
      last = { screen, api };
      return JSON.stringify(screen) === JSON.stringify(api);
    });
    assert.deepEqual(last!.screen, last!.api);
    assert.equal(last!.screen['mon-requests'], 10);
    assert.equal(await page.locator('[data-testid=monitor-instances] tbody tr').count(), 2);
    assert.match(await page.locator('[data-testid=monitor-status]').innerText(), /2 gateway instance/);
    const steady = page.locator('[data-deployment=steady]');
    assert.equal(await steady.getAttribute('data-state'), 'closed');
    assert.match(await steady.innerText(), /Closed/);
    await env.checkA11y(page, 'monitor');
  });

  test('a failing deployment’s breaker is seen open on the wall', async () => {
    // The first request retries and falls back (two failures: the breaker opens); the second skips it.
    await chat(env.url, 'flaky');
    await chat(env.url, 'flaky');
    const open = page.locator('[data-deployment=flaky-primary][data-state=open]');
    await open.waitFor({ timeout: 30_000 });
    assert.match(await open.innerText(), /Open \(skipped\)/);
    assert.match(await open.innerText(), /open on 1, half-open on 0 of 2 instance/);
    assert.equal(await open.locator('.glyph').innerText(), '✕');
    // Open breakers come first.
    assert.equal(
      await page.locator('[data-testid=monitor-breakers] li').first().getAttribute('data-deployment'),
      'flaky-primary',
    );
    const m = await monitor();
    assert.deepEqual(
      m.cluster.breakers.find((b) => b.deployment === 'flaky-primary'),
      { deployment: 'flaky-primary', state: 'open', open_instances: 1, half_open_instances: 0 },
    );
  });

  test('full screen: a kiosk layout entered and left with the keyboard, accessible', async () => {
    // A string expression: it runs in the page (this file is type-checked without the DOM library).
    const figureSize = async () =>
      (await page.evaluate(
        `parseFloat(getComputedStyle(document.querySelector('[data-testid=mon-rps]')).fontSize)`,
      )) as number;
    const normal = await figureSize();
    const button = page.locator('[data-testid=monitor-fullscreen]');
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=monitor-wall][data-kiosk=true]');
    assert.equal(await button.getAttribute('aria-pressed'), 'true');
    assert.equal((await button.innerText()).trim(), 'Exit full screen');
    // Large type on the wall display: the figures grow by half at least.
    const large = await figureSize();
    assert.ok(large >= normal * 1.4, `kiosk figures are large (${large}px, ${normal}px in the page)`);
    await env.checkA11y(page, 'monitor (full screen)');
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid=monitor-wall][data-kiosk=false]');
    assert.deepEqual(env.pageErrors, []);
  });
});
