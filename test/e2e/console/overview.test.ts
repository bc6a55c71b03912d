/**
 * Console screens of issue 16 slice 2 (screens 1, 5, 12) in chromium against a real gateway on
 * PostgreSQL + Redis: traffic through /v1 with an API key (mock provider), then the dashboard's
 * request count and spend equal the usage API's for the same UTC range; a playground stream arrives
 * with its usage, request id and overhead; health & plugins lists checks with latency, plugins and
 * the pipeline; axe-core on each screen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import health from '@aihub/plugin-health';
import usage from '@aihub/plugin-usage';
import { startConsoleEnv, type ConsoleEnv } from './harness';

const today = () => new Date().toISOString().slice(0, 10);

describe('console: dashboard, playground, health & plugins', () => {
  let env: ConsoleEnv;
  let key: string;
  let page: Page;

  before(async () => {
    env = await startConsoleEnv({
      plugins: [usage, health],
      pluginConfig: { usage: { consumer: { blockMs: 50 } }, health: { details: { access: 'admin' } } },
    });
    key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'overview',
        scopes: ['ai:invoke'],
      })
    ).key;
    page = await env.newPage();
    await env.signIn(page, env.admin, '/home');
  });
  after(async () => {
    await env?.stop();
  });

  test('the dashboard shows the usage API’s requests and spend for the same UTC range, in one request', async () => {
    for (const q of ['one', 'two', 'three', 'four']) {
      const res = await fetch(`${env.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `overview ${q}` }] }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    const usageApi = () =>
      env.api<{ totals: { requests: number; cost_micros: number } }>(
        'GET',
        `/admin/v1/tenants/${env.tenantId}/usage?from=${today()}&to=${today()}`,
      );
    const deadline = Date.now() + 20_000;
    while ((await usageApi()).totals.requests < 4) {
      assert.ok(Date.now() < deadline, 'usage records did not arrive');
      await new Promise((r) => setTimeout(r, 200));
    }
    const api = (await usageApi()).totals;

    const summaryCalls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/usage')) summaryCalls.push(r.url());
    });
    await env.navigate(page, `/overview?from=${today()}&to=${today()}`);
    await page.waitForSelector('[data-testid=ov-requests]');
    assert.equal(Number(await page.locator('[data-testid=ov-requests]').getAttribute('data-value')), api.requests);
    assert.equal(Number(await page.locator('[data-testid=ov-spend]').getAttribute('data-value')), api.cost_micros);
    // Spent today (the tenant budget card) is the same figure: the range is today.
    assert.equal(
      Number(await page.locator('[data-testid=ov-budget-daily] dd').getAttribute('data-value')),
      api.cost_micros,
    );
    assert.match(await page.locator('[data-testid=overview-range]').innerText(), new RegExp(`${today()} 00:00 UTC`));
    assert.ok(Number(await page.locator('[data-testid=ov-p95]').getAttribute('data-value')) >= 0);
    assert.match(await page.locator('[data-testid=ov-top-keys]').innerText(), /\d/);
    // Top API keys are named (the summary's name), not shown as bare ids.
    assert.match(await page.locator('[data-testid=ov-top-keys] tbody').innerText(), /\boverview\b/);
    assert.deepEqual(summaryCalls.length, 1, `one usage request per page view: ${summaryCalls.join(', ')}`);
    assert.ok(summaryCalls[0].includes('/usage/summary'));
    await env.checkA11y(page, 'dashboard');
  });

  test('a playground stream arrives as text with its usage, request id and overhead', async () => {
    await env.navigate(page, '/playground');
    await page.fill('[data-testid=pg-key]', key);
    await page.click('[data-testid=pg-load-models]');
    // The first model is picked (and put in the URL) once the key lists them.
    await page.waitForURL(/model=gpt-4o-mini/);
    await page.fill('[data-testid=pg-message]', 'Say hello');
    await page.click('[data-testid=pg-send]');
    await page.waitForSelector('[data-testid=pg-facts]', { timeout: 20_000 });
    assert.equal(await page.locator('[data-testid=pg-error]').count(), 0, 'no error');
    assert.ok(
      (await page.locator('[data-testid=pg-output]').innerText()).trim().length > 0,
      'the streamed text is shown',
    );
    assert.ok(Number(await page.locator('[data-testid=pg-usage]').getAttribute('data-total')) > 0, 'usage is shown');
    assert.match(await page.locator('[data-testid=pg-request-id]').innerText(), /\w{6,}/);
    assert.match(await page.locator('[data-testid=pg-overhead]').innerText(), /\d+(\.\d+)? ms/);
    // The key is never put in the URL.
    assert.ok(!page.url().includes(key.slice(0, 12)));
    await env.checkA11y(page, 'playground');
  });

  test('health & plugins lists checks with latency, installed plugins and the pipeline in run order', async () => {
    const expected = await env.api<{
      plugins: { name: string }[];
      pipeline: { phase: string; hooks: { id: string }[] }[];
    }>('GET', '/admin/v1/plugins');
    await env.navigate(page, '/health');
    await page.waitForSelector('[data-testid=health-checks] tbody tr');
    await page.waitForSelector('[data-testid=health-plugin-list] tbody tr');
    assert.ok((await page.locator('[data-testid=health-checks] tbody tr').count()) > 0);
    assert.match(await page.locator('[data-testid=health-checks]').innerText(), /\d+ ms/);
    const shown = await page
      .locator('[data-testid=health-plugin-list] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-plugin')));
    assert.deepEqual(
      shown,
      expected.plugins.map((p) => p.name),
    );
    const auth = expected.pipeline.find((p) => p.phase === 'request.authenticate')!;
    const authHooks = await page.locator('[data-phase="request.authenticate"] li').allInnerTexts();
    assert.deepEqual(
      authHooks,
      auth.hooks.map((h) => h.id),
    );
    await env.checkA11y(page, 'health & plugins');
  });
});
