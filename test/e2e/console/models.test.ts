/**
 * Console AI screens (issue 16, screens 3, 4, 10) in chromium against a real gateway on PostgreSQL
 * + Redis: traffic through an experiment's alias with an API key (mock provider), then the
 * experiments screen shows each variant with the same request counts as the experiments API, the
 * server's significance test named; the models screen shows each alias's deployments with the
 * API's price and its source; axe-core finds nothing serious on either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startConsoleEnv, type Account, type ConsoleEnv } from './harness';

interface VariantView {
  name: string;
  requests: number;
  significance: { test: string; baseline: string; p_value: number | null } | null;
}

describe('console: models, experiments, requests', () => {
  let env: ConsoleEnv;
  let key: string;
  let developer: Account;
  let page: Page;

  const chat = (model: string, content: string, user: string) =>
    fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, user, messages: [{ role: 'user', content }] }),
    });

  before(async () => {
    env = await startConsoleEnv({
      pluginConfig: {
        ai: {
          feedback: { flushIntervalMs: 20 },
          models: {
            'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
            'exp-a': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
            'exp-b': { deployments: [{ provider: 'mock', model: 'gpt-4o' }] },
          },
          experiments: [
            {
              name: 'tone',
              alias: 'assistant',
              stickyBy: 'user',
              variants: [
                { name: 'control', model: 'exp-a' },
                { name: 'treatment', model: 'exp-b' },
              ],
            },
          ],
        },
      },
    });
    key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'models',
        scopes: ['ai:invoke'],
      })
    ).key;
    // A developer (experiments:read), not a superadmin: the screens work with a tenant role.
    developer = await env.createUser('models-dev@example.com', { tenantId: env.tenantId, role: 'developer' });
    page = await env.newPage();
    await env.signIn(page, developer);
  });
  after(async () => {
    await env?.stop();
  });

  test('the models screen shows every alias with its price and the price’s source, filter in the URL', async () => {
    type Dep = { id: string; price: { input: number; source: string } | null; breaker: string };
    const api = await env.api<{ aliases: { alias: string; deployments: Dep[] }[] }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/models`,
    );
    const mini = api.aliases.find((a) => a.alias === 'gpt-4o-mini')!.deployments[0]!;
    assert.equal(mini.price?.source, 'genai-prices', 'the mock is priced as the model it imitates');
    await env.navigate(page, '/models');
    await page.waitForSelector('[data-testid=model-gpt-4o-mini]');
    const cell = page.locator('[data-testid=model-gpt-4o-mini] [data-testid=model-price]');
    assert.equal(Number(await cell.getAttribute('data-input')), mini.price!.input);
    assert.equal(await cell.getAttribute('data-source'), 'genai-prices');
    assert.match(await cell.innerText(), /built-in price table/);
    assert.equal(
      (await page.locator('[data-testid=model-gpt-4o-mini] [data-testid=model-breaker]').innerText()).trim(),
      'Closed',
    );
    // Where the alias comes from: the config file here (the catalog admin API's entries say so too).
    const origin = page.locator('[data-testid=model-gpt-4o-mini] [data-testid=model-origin]');
    assert.equal(await origin.getAttribute('data-origin'), 'file');
    assert.equal((await origin.innerText()).trim(), 'config file');
    // The experiment alias lists its variants' deployments.
    assert.equal(await page.locator('[data-testid=model-assistant]').count(), 2);
    await env.checkA11y(page, 'models');
    await page.fill('[data-testid=models-filter]', 'exp-');
    await page.press('[data-testid=models-filter]', 'Enter');
    // A locator, not a string page function: the console's CSP (script-src 'self') refuses eval.
    await page.locator('[data-testid=model-gpt-4o-mini]').waitFor({ state: 'detached' });
    assert.match(page.url(), /q=exp-/);
    assert.equal(await page.locator('[data-testid=models-table] tbody tr').count(), 2);
  });

  test('the experiments screen shows each variant with the API’s counts and the named significance test', async () => {
    // Different users so both variants get traffic (sticky by user).
    for (let i = 0; i < 12; i++) {
      const res = await chat('assistant', `hello ${i}`, `user-${i}`);
      assert.equal(res.status, 200, await res.text());
    }
    const api = await env.api<{ experiments: { name: string; variants: VariantView[] }[] }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/experiments`,
    );
    const tone = api.experiments.find((e) => e.name === 'tone')!;
    assert.equal(
      tone.variants.reduce((n, v) => n + v.requests, 0),
      12,
    );
    assert.equal(tone.variants[0]!.significance, null);
    assert.equal(tone.variants[1]!.significance?.test, 'two_proportion_z');

    await env.navigate(page, '/experiments?days=7');
    await page.waitForSelector('[data-testid=exp-tone] [data-testid=variant-control]');
    for (const v of tone.variants) {
      const shown = await page
        .locator(`[data-testid=exp-tone] [data-testid=variant-${v.name}] [data-testid=variant-requests]`)
        .getAttribute('data-value');
      assert.equal(Number(shown), v.requests, v.name);
    }
    assert.equal(
      await page
        .locator('[data-testid=variant-control] [data-testid=variant-significance]')
        .getAttribute('data-verdict'),
      'baseline',
    );
    // No errors on either side: no variance, so the server gives no p-value and the screen says so.
    assert.equal(
      await page
        .locator('[data-testid=variant-treatment] [data-testid=variant-significance]')
        .getAttribute('data-verdict'),
      'insufficient',
    );
    assert.match(await page.locator('section.page').innerText(), /two-proportion z-test/);
    assert.match(page.url(), /days=7/);
    await env.checkA11y(page, 'experiments');
    assert.deepEqual(env.pageErrors, []);
  });
});
