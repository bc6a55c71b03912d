/**
 * Console live-catalog editor (issue 16 item 3, issue 17) in chromium against a real gateway on
 * PostgreSQL + Redis: a superadmin adds a model alias on the Models screen and it answers on
 * `/v1/models` and chat at once; edits its weight; a change made through the API behind the
 * screen's back makes the next save say "changed by someone else"; an invalid change puts the
 * server's problem next to the field; a file alias is disabled and enabled again; a revision's diff
 * is shown and the catalog rolled back to it; a rollback past a drain keeps the drain unless the
 * "also restore operational control state" box is ticked (the dialog lists what it would change);
 * the API alias is deleted. A tenant admin sees no edit controls. axe-core on each state.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AiControl } from '@aihub/core/plugin-api';
import { startConsoleEnv, waitUntil, type ConsoleEnv } from './harness';

interface CatalogView {
  revision: number;
  models: {
    name: string;
    source: string;
    disabled: boolean;
    config: { deployments: { provider: string; model: string; weight: number }[] } | null;
  }[];
}

describe('console: live catalog editor', () => {
  let env: ConsoleEnv;
  let key: string;
  let page: Page;

  const chat = (model: string) =>
    fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
    });
  const catalog = () => env.api<CatalogView>('GET', '/admin/v1/ai/catalog');
  const alias = async (name: string) => (await catalog()).models.find((m) => m.name === name);
  const revisionShown = async () =>
    Number(await page.locator('[data-testid=catalog-revision]').getAttribute('data-revision'));
  const confirm = async () => {
    await page.click('[data-testid=confirm-button]');
    await page.locator('[data-testid=confirm-button]').waitFor({ state: 'detached' });
  };

  before(async () => {
    // A catalog key so credentials can be set through the API (sealed at rest).
    env = await startConsoleEnv({
      pluginConfig: { ai: { catalog: { encryptionKey: Buffer.alloc(32, 7).toString('base64') } } },
    });
    key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'catalog',
        scopes: ['ai:invoke'],
      })
    ).key;
    page = await env.newPage();
    await env.signIn(page, env.admin);
    await env.navigate(page, '/models');
    await page.waitForSelector('[data-testid=catalog-models] [data-testid=catalog-gpt-4o-mini]');
  });
  after(async () => {
    await env?.stop();
  });

  test('a superadmin adds an alias on screen: /v1/models lists it and a chat call through it works', async () => {
    await env.checkA11y(page, 'catalog');
    await page.click('[data-testid=add-alias]');
    await page.waitForSelector('[data-testid=alias-editor]');
    await page.fill('[data-testid=alias-name]', 'team-chat');
    await page.selectOption('[data-testid=deployment-0] [data-testid=deployment-provider]', 'mock');
    await page.fill('[data-testid=deployment-0] [data-testid=deployment-model]', 'gpt-4o-mini');
    await page.fill('[data-testid=deployment-0] [data-testid=deployment-weight]', '1');
    await env.checkA11y(page, 'catalog: add alias');
    await page.click('[data-testid=alias-save]');
    await page.locator('[data-testid=alias-editor]').waitFor({ state: 'detached' });
    await page.waitForSelector('[data-testid=catalog-team-chat][data-source=api]');
    // The models table above shows it too (reloaded after the change).
    await page.waitForSelector('[data-testid=models-table] [data-testid=model-team-chat]');
    const entry = await alias('team-chat');
    assert.deepEqual(
      entry?.config?.deployments.map((d) => [d.provider, d.model, d.weight]),
      [['mock', 'gpt-4o-mini', 1]],
    );
    const listed = (await (
      await fetch(`${env.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { data: { id: string }[] };
    assert.ok(
      listed.data.some((m) => m.id === 'team-chat'),
      JSON.stringify(listed),
    );
    const res = await chat('team-chat');
    assert.equal(res.status, 200, await res.text());
  });

  test('edits the weight with If-Match; a change behind the screen’s back makes the save say so', async () => {
    await page.click('[data-testid=catalog-team-chat] [data-testid=edit]');
    await page.waitForSelector('[data-testid=alias-editor]');
    assert.equal(await page.inputValue('[data-testid=alias-name]'), 'team-chat');
    await waitUntil(
      () => page.inputValue('[data-testid=deployment-0] [data-testid=deployment-model]'),
      'gpt-4o-mini',
      'the editor shows the stored deployment',
    );
    await page.fill('[data-testid=deployment-0] [data-testid=deployment-weight]', '3');
    await page.click('[data-testid=alias-save]');
    await page.locator('[data-testid=alias-editor]').waitFor({ state: 'detached' });
    assert.equal((await alias('team-chat'))?.config?.deployments[0]?.weight, 3);

    // Open the editor, then change the catalog through the API: the screen's revision is stale.
    const before = await revisionShown();
    await page.click('[data-testid=catalog-team-chat] [data-testid=edit]');
    await waitUntil(
      () => page.inputValue('[data-testid=deployment-0] [data-testid=deployment-weight]'),
      '3',
      'the editor shows weight 3',
    );
    const behind = await fetch(`${env.url}/admin/v1/ai/catalog/pricing/behind-the-back`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${env.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 1, output: 2 }),
    });
    assert.equal(behind.status, 200, await behind.text());
    await page.fill('[data-testid=deployment-0] [data-testid=deployment-weight]', '5');
    await page.click('[data-testid=alias-save]');
    await waitUntil(
      async () => /changed by someone else/.test(await page.locator('[data-testid=alias-message]').innerText()),
      true,
      'the stale-revision message',
    );
    assert.equal((await alias('team-chat'))?.config?.deployments[0]?.weight, 3, 'nothing was overwritten');
    await env.checkA11y(page, 'catalog: stale');
    await page.click('[data-testid=alias-reload]');
    await waitUntil(revisionShown, before + 1, 'the reloaded revision');
    await waitUntil(
      async () => (await page.locator('[data-testid=alias-message]').innerText()).trim(),
      '',
      'the message goes after the reload',
    );
    await page.fill('[data-testid=deployment-0] [data-testid=deployment-weight]', '5');
    await page.click('[data-testid=alias-save]');
    await page.locator('[data-testid=alias-editor]').waitFor({ state: 'detached' });
    assert.equal((await alias('team-chat'))?.config?.deployments[0]?.weight, 5);
  });

  test('an invalid change shows the server’s problem next to the field', async () => {
    await page.click('[data-testid=catalog-team-chat] [data-testid=edit]');
    await waitUntil(
      () => page.inputValue('[data-testid=deployment-0] [data-testid=deployment-model]'),
      'gpt-4o-mini',
      'the editor is filled',
    );
    await page.fill('[data-testid=alias-fallbacks]', 'no-such-alias');
    await page.click('[data-testid=alias-save]');
    await waitUntil(
      async () => /invalid/.test(await page.locator('[data-testid=alias-message]').innerText()),
      true,
      'the catalog_invalid message',
    );
    assert.match(
      await page.locator('[data-testid=alias-editor] [data-testid=issue]').first().innerText(),
      /no-such-alias|unknown|not/i,
    );
    await env.checkA11y(page, 'catalog: invalid');
    // Keyboard: Escape closes the editor and focus goes back to the alias' Edit button.
    await page.focus('[data-testid=alias-fallbacks]');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=alias-editor]').waitFor({ state: 'detached' });
    await waitUntil(
      () => page.locator('[data-testid=catalog-team-chat] [data-testid=edit]:focus').count(),
      1,
      'focus back on the Edit button',
    );
  });

  test('disables a file alias after confirmation and enables it again', async () => {
    await page.click('[data-testid=catalog-gpt-4o-mini] [data-testid=disable]');
    await env.checkA11y(page, 'catalog: confirm disable');
    await confirm();
    await page.waitForSelector('[data-testid=catalog-gpt-4o-mini][data-disabled=true]');
    assert.equal((await chat('gpt-4o-mini')).status, 404);
    await page.click('[data-testid=catalog-gpt-4o-mini] [data-testid=enable]');
    await page.waitForSelector('[data-testid=catalog-gpt-4o-mini][data-disabled=false]');
    const res = await chat('gpt-4o-mini');
    assert.equal(res.status, 200, await res.text());
  });

  test('a provider credential is write-only (shown masked); a price per 1M tokens shows with its source and is deleted', async () => {
    const secret = 'sk-console-secret-0123456789';
    await page.click('[data-testid=provider-mock] [data-testid=provider-edit]');
    await page.waitForSelector('[data-testid=provider-editor]');
    assert.equal(await page.getAttribute('[data-testid=provider-api-key]', 'type'), 'password');
    await page.fill('[data-testid=provider-api-key]', secret);
    await env.checkA11y(page, 'catalog: provider');
    await page.click('[data-testid=provider-save]');
    await page.locator('[data-testid=provider-editor]').waitFor({ state: 'detached' });
    await waitUntil(
      async () =>
        (await page.locator('[data-testid=provider-mock] [data-testid=provider-credential]').innerText()).trim(),
      'sk-…6789',
      'the masked credential',
    );
    assert.ok(!(await page.content()).includes(secret), 'the credential is never shown back');
    await page.click('[data-testid=provider-mock] [data-testid=provider-edit]');
    assert.equal(await page.inputValue('[data-testid=provider-api-key]'), '', 'the credential field starts empty');
    await page.click('[data-testid=provider-editor] button:has-text("Cancel")');
    assert.equal((await chat('gpt-4o-mini')).status, 200);

    await page.click('[data-testid=add-price]');
    await page.fill('[data-testid=price-name]', 'gpt-4o-mini');
    await page.fill('[data-testid=price-input]', '1.5');
    await page.fill('[data-testid=price-output]', '6');
    await env.checkA11y(page, 'catalog: price');
    await page.click('[data-testid=price-save]');
    await page.waitForSelector('[data-testid=price-gpt-4o-mini]');
    // The models table above now prices the alias from the catalog's pricing.
    const cell = page.locator('[data-testid=models-table] [data-testid=model-gpt-4o-mini] [data-testid=model-price]');
    await waitUntil(() => cell.getAttribute('data-source'), 'config', 'the price source');
    assert.equal(Number(await cell.getAttribute('data-input')), 1.5);
    // Deleting the API price (after confirmation) brings the built-in table back.
    await page.click('[data-testid=price-gpt-4o-mini] [data-testid=price-remove]');
    await confirm();
    await page.locator('[data-testid=price-gpt-4o-mini]').waitFor({ state: 'detached' });
    await waitUntil(() => cell.getAttribute('data-source'), 'genai-prices', 'the built-in price again');
  });

  test('revisions: the list, a diff, and a rollback after confirmation', async () => {
    const first = 1; // team-chat added with weight 1
    await page.waitForSelector(`[data-testid=revision-${first}]`);
    const rows = await page.locator('[data-testid=catalog-revisions] tbody tr').count();
    assert.equal(rows, (await catalog()).revision);
    await page.click(`[data-testid=revision-${first}] [data-testid=revision-diff]`);
    await page.waitForSelector('[data-testid=revision-diff-view]');
    assert.match(await page.locator('[data-testid=revision-diff-view]').innerText(), /models\/team-chat/);
    await env.checkA11y(page, 'catalog: diff');
    await page.click(`[data-testid=revision-${first}] [data-testid=revision-rollback]`);
    await confirm();
    await waitUntil(
      async () => (await alias('team-chat'))?.config?.deployments[0]?.weight,
      1,
      'the weight of revision 1',
    );
    await page.waitForSelector(`[data-testid=revision-${rows + 1}]`);
    assert.equal(await revisionShown(), rows + 1);
  });

  test('rollback past a drain: the drain stays unless "also restore operational control state" is ticked', async () => {
    const control = () => (env.gw.runtime('ai') as { control: AiControl }).control;
    const dep = control().deployments()[0].id;
    const drained = () =>
      !!control()
        .deployments()
        .find((d) => d.id === dep)!.drained;
    const target = (await catalog()).revision;
    await control().drain(dep, 'ops rule failing: error_ratio 0.9 (above 0.5)');
    // The drain was made behind the screen's back: open the screen again to read it.
    await env.navigate(page, '/');
    await page.locator('[data-testid=catalog-revisions]').waitFor({ state: 'detached' });
    await env.navigate(page, '/models');
    await page.waitForSelector(`[data-testid=revision-${target + 1}]`);
    const box = page.locator('[data-testid=rollback-restore-control] input[type=checkbox]');
    const changes = page.locator('[data-testid=rollback-control-changes] li');

    // Unchecked by default; the dialog lists what restoring would change: the drain lifted.
    await page.click(`[data-testid=revision-${target}] [data-testid=revision-rollback]`);
    await page.waitForSelector('[data-testid=rollback-control-changes]');
    assert.equal(await box.isChecked(), false);
    assert.equal(await changes.count(), 1);
    assert.equal(await changes.first().getAttribute('data-op'), 'add');
    assert.match(await changes.first().innerText(), new RegExp(`Lifted\\s+drain/${dep.replace('/', '\\/')}`));
    await env.checkA11y(page, 'catalog: rollback dialog');
    await confirm();
    await waitUntil(async () => (await catalog()).revision, target + 2, 'the rollback stored');
    assert.equal(drained(), true, 'the default keeps the drain made after the target revision');

    // Ticked: the control state of the target comes back, the drain is lifted.
    await page.waitForSelector(`[data-testid=revision-${target + 2}]`);
    await page.click(`[data-testid=revision-${target}] [data-testid=revision-rollback]`);
    await page.waitForSelector('[data-testid=rollback-control-changes]');
    await box.check();
    assert.equal(await box.isChecked(), true);
    await confirm();
    await waitUntil(async () => (await catalog()).revision, target + 3, 'the rollback with control stored');
    assert.equal(drained(), false, 'restored: the drain is lifted');

    // Now nothing differs: the dialog says so, and cancelling stores nothing.
    await page.waitForSelector(`[data-testid=revision-${target + 3}]`);
    await page.click(`[data-testid=revision-${target}] [data-testid=revision-rollback]`);
    await page.waitForSelector('[data-testid=rollback-control-same]');
    await page.keyboard.press('Escape');
    await page.locator('[data-testid=rollback-control-same]').waitFor({ state: 'detached' });
    assert.equal((await catalog()).revision, target + 3);
  });

  test('deletes the API alias after confirmation', async () => {
    await page.click('[data-testid=catalog-team-chat] [data-testid=delete]');
    await confirm();
    await page.locator('[data-testid=catalog-team-chat]').waitFor({ state: 'detached' });
    assert.equal(await alias('team-chat'), undefined);
    assert.equal((await chat('team-chat')).status, 404);
    assert.deepEqual(env.pageErrors, []);
  });

  test('a tenant admin sees the models but no edit controls', async () => {
    const admin = await env.createUser('catalog-tenant-admin@example.com', { tenantId: env.tenantId, role: 'admin' });
    const other = await env.newPage();
    await env.signIn(other, admin);
    await env.navigate(other, '/models');
    await other.waitForSelector('[data-testid=models-table] [data-testid=model-gpt-4o-mini]');
    assert.equal(await other.locator('[data-testid=catalog-panel]').count(), 0);
    assert.equal(await other.locator('[data-testid=add-alias]').count(), 0);
    await env.checkA11y(other, 'models: tenant admin');
  });
});
