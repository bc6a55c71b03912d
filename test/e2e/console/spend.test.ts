/**
 * Console screens of spend and traffic control (issue 16, screens 6–9) in chromium against a real
 * gateway on PostgreSQL + Redis with the usage, rate-limit and cache plugins: traffic through
 * /v1/chat/completions with an API key (mock provider), then the usage screen's totals equal the
 * usage API's for the same UTC range; a cache purge gives a miss on the next identical call; a
 * budget under a cent is shown with its precision; over-plan values are refused next to their
 * field; axe-core on every screen.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import cache from '@aihub/plugin-cache';
import rateLimit from '@aihub/plugin-rate-limit';
import usage from '@aihub/plugin-usage';
import { startConsoleEnv, type Account, type ConsoleEnv } from './harness';

const today = () => new Date().toISOString().slice(0, 10);

interface Totals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_micros: number;
  cache_hits: number;
  error_requests: number;
}

describe('console: usage, budgets, limits, cache', () => {
  let env: ConsoleEnv;
  let key: string;
  let keyId: string;
  let tenantAdmin: Account;
  let page: Page;

  const chat = (content: string) =>
    fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user', content }] }),
    });
  const usageApi = (from: string, to: string) =>
    env.api<{ totals: Totals }>('GET', `/admin/v1/tenants/${env.tenantId}/usage?from=${from}&to=${to}`);
  /** The over-plan refusal must land under its field, not in the form-level message. */
  const noFormError = async () => {
    const formError = page.locator('[data-testid=form-error]');
    if ((await formError.count()) > 0)
      assert.fail(`shown for the whole form, not under the field: ${await formError.innerText()}`);
  };
  /** A number the page shows in a data-value attribute. */
  const domValue = async (selector: string) => Number(await page.locator(selector).getAttribute('data-value'));

  before(async () => {
    env = await startConsoleEnv({
      plugins: [usage, rateLimit, cache],
      pluginConfig: {
        tenancy: { plans: { free: { limits: { requestsPerMinute: 100 }, budgets: { dailyHardMicros: 5_000_000 } } } },
        usage: { consumer: { blockMs: 50 } },
        'rate-limit': { windowSeconds: 3600 },
        cache: { statsFlushMs: 200 },
      },
    });
    const created = await env.api<{ key: string; id: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
      name: 'spend',
      scopes: ['ai:invoke'],
    });
    key = created.key;
    keyId = created.id;
    // A tenant admin (not a superadmin): the plan's bounds apply to them.
    tenantAdmin = await env.createUser('spend-admin@example.com', { tenantId: env.tenantId, role: 'admin' });
    page = await env.newPage();
    await env.signIn(page, tenantAdmin);
  });
  after(async () => {
    await env?.stop();
  });

  test('the usage screen shows the usage API totals for the same UTC range; the range is in the URL', async () => {
    for (const q of ['one', 'two', 'three']) {
      const res = await chat(`spend ${q}`);
      assert.equal(res.status, 200, await res.text());
    }
    // Records travel through the queue: wait until the API has all three.
    const deadline = Date.now() + 20_000;
    while ((await usageApi(today(), today())).totals.requests < 3) {
      assert.ok(Date.now() < deadline, 'usage records did not arrive');
      await new Promise((r) => setTimeout(r, 200));
    }
    const api = (await usageApi(today(), today())).totals;
    assert.ok(api.cost_micros > 0, 'the mock is priced');

    await page.goto(env.consoleUrl(`/usage?from=${today()}&to=${today()}`));
    await page.waitForSelector('[data-testid=total-requests]');
    assert.equal(await domValue('[data-testid=total-requests]'), api.requests);
    assert.equal(await domValue('[data-testid=total-prompt_tokens]'), api.prompt_tokens);
    assert.equal(await domValue('[data-testid=total-completion_tokens]'), api.completion_tokens);
    assert.equal(await domValue('[data-testid=total-cached_tokens]'), api.cached_tokens);
    assert.equal(await domValue('[data-testid=total-cost]'), api.cost_micros);
    // The shown text is the exact amount (sub-cent costs are not rounded to $0.00).
    const costText = await page.locator('[data-testid=total-cost]').innerText();
    assert.notEqual(costText.trim(), '$0.00');
    assert.equal(Number(costText.replace(/[^0-9.]/g, '')) * 1_000_000, api.cost_micros);
    assert.match(await page.locator('[data-testid=usage-range]').innerText(), new RegExp(`${today()} 00:00 UTC`));
    await page.waitForSelector('[data-testid=usage-chart] canvas');
    await env.checkA11y(page, 'usage');

    // The CSV export of the same range: a header and one line per request.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=usage-export]')]);
    assert.equal(download.suggestedFilename(), `usage-${today()}-${today()}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    assert.equal(csv.length - 1, api.requests, csv.join('\n'));
    // This month's invoice total is the invoice API's.
    const invoice = await env.api<{ totals: { amount_micros: number } }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/invoices/${today().slice(0, 7)}`,
    );
    await page.waitForSelector('[data-testid=invoice-total]');
    assert.equal(await domValue('[data-testid=invoice-total]'), invoice.totals.amount_micros);

    // Group by model: the URL keeps it, and the model row's requests equal the total.
    await page.click('[data-testid=usage-by-model]');
    await page.waitForURL(/by=model/);
    await page.waitForSelector('[data-testid=usage-table] tr[data-row="gpt-4o-mini"]');
    assert.equal(
      Number(
        await page
          .locator('[data-testid=usage-table] tr[data-row="gpt-4o-mini"] td[data-value]')
          .first()
          .getAttribute('data-value'),
      ),
      api.requests,
    );

    // Group by key: the row shows the key's name (the API's key_name), its id as secondary text.
    await page.click('[data-testid=usage-by-key]');
    await page.waitForSelector(`[data-testid=usage-table] tr[data-row="${keyId}"]`);
    const keyRow = await page.locator(`[data-testid=usage-table] tr[data-row="${keyId}"] td`).first().innerText();
    assert.match(keyRow, /^spend\b/);
    assert.ok(keyRow.includes(keyId));

    // At 1280 px the range presets stay on one line: "Last month" does not wrap away from the others.
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: 1280, height: 800 });
    const tops = await page
      .locator('[data-testid=usage-presets] button')
      .evaluateAll((bs) => bs.map((b) => Math.round(b.getBoundingClientRect().top)));
    assert.equal(tops.length, 5);
    assert.equal(new Set(tops).size, 1, `preset rows: ${tops.join(', ')}`);
    if (viewport) await page.setViewportSize(viewport);
  });

  test('the cache screen shows entries and hits; a confirmed purge makes the next identical call a miss', async () => {
    assert.equal((await chat('spend one')).headers.get('x-aihub-cache'), 'hit');
    await page.goto(env.consoleUrl('/cache'));
    await page.waitForSelector('[data-testid=cache-overall]');
    assert.ok(Number(await page.locator('[data-testid=cache-overall]').getAttribute('data-hits')) >= 1);
    assert.ok(Number(await page.locator('[data-testid=cache-l2-entries]').getAttribute('data-value')) >= 3);
    await env.checkA11y(page, 'cache');
    await page.click('[data-testid=cache-purge-all]');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=cache-l2-entries][data-value="0"]');
    assert.equal((await chat('spend one')).headers.get('x-aihub-cache'), 'miss');
  });

  test('a budget under a cent reads with its precision; an over-plan budget is refused next to its field', async () => {
    await page.goto(env.consoleUrl('/budgets'));
    await page.waitForSelector('[data-testid=budget-daily_hard_micros]');
    await env.checkA11y(page, 'budgets');
    await page.fill('[data-testid=budget-daily_hard_micros]', '999');
    await page.click('[data-testid=budget-save]');
    await page.waitForSelector(
      '[data-testid=budget-error-daily_hard_micros], [data-testid=form-error], [data-testid=budget-daily] [data-hard="999000000"]',
    );
    await noFormError();
    assert.match(await page.locator('[data-testid=budget-error-daily_hard_micros]').innerText(), /plan|bound/i);

    await page.fill('[data-testid=budget-daily_hard_micros]', '0.0004');
    await page.click('[data-testid=budget-save]');
    await page.waitForSelector('[data-testid=budget-daily] [data-hard="400"]');
    assert.match(await page.locator('[data-testid=budget-daily]').innerText(), /\$0\.0004/);
    const b = await env.api<{ source: string; effective: { daily_hard_micros: number } }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/budgets`,
    );
    assert.deepEqual([b.source, b.effective.daily_hard_micros], ['override', 400]);
  });

  test('an over-plan limit is refused next to its field; a limit within the plan is saved and shown with its use', async () => {
    await page.goto(env.consoleUrl('/limits'));
    await page.waitForSelector('[data-testid=limits-table]');
    await env.checkA11y(page, 'limits');
    // Without its own limit the tenant row shows the plan's bound that applies, not "inherited".
    const tenantRow = page.locator(`[data-row="tenant:${env.tenantId}"]`);
    assert.match(await tenantRow.locator('td.mat-column-requestsPerMinute').innerText(), /of 100 \(plan\)/);
    assert.match(await tenantRow.locator('td.mat-column-tokensPerMinute').innerText(), /of no bound/);
    await page.fill('[data-testid=limit-requestsPerMinute]', '1000');
    await page.click('[data-testid=limit-save]');
    await page.waitForSelector(
      '[data-testid=limit-error-requestsPerMinute], [data-testid=form-error], td[data-limit="1000"]',
    );
    await noFormError();
    assert.match(await page.locator('[data-testid=limit-error-requestsPerMinute]').innerText(), /100/);

    await page.fill('[data-testid=limit-requestsPerMinute]', '50');
    await page.click('[data-testid=limit-save]');
    await page.waitForSelector(`[data-row="tenant:${env.tenantId}"] td[data-limit="50"]`);
    const o = await env.api<{ policies: { scope: string; limits: { requestsPerMinute?: number } }[] }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/limits`,
    );
    assert.deepEqual(o.policies.find((p) => p.scope === 'tenant')?.limits, { requestsPerMinute: 50 });
    assert.deepEqual(env.pageErrors, []);
  });
});
