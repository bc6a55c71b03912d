import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

/** The console's API-key screens against a real gateway on PostgreSQL + Redis. */
describe('console: API keys', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  const chat = (key: string) =>
    fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });

  test('create a key (secret shown once, copied), call the gateway with it, revoke it in the console and the call fails', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/api-keys');
    await page.waitForSelector('h1#api-keys-title');
    await env.checkA11y(page, 'API keys list');
    await page.click('[data-testid=key-create]');
    await page.fill('[data-testid=key-name]', 'Browser key');
    await page.fill('[data-testid=key-models]', 'gpt-4o-mini');
    await env.checkA11y(page, 'API key form');
    await page.click('[data-testid=key-save]');
    const secret = (await page.locator('[data-testid=secret-value]').innerText()).trim();
    assert.match(secret, /^ahk_[0-9A-Za-z]+_[0-9A-Za-z]+$/);
    await page.click('[data-testid=secret-copy]');
    await page.waitForSelector('text=Copied to the clipboard.');
    await env.checkA11y(page, 'secret dialog');
    await page.click('button:has-text("I have stored it")');
    await page.waitForSelector('[data-testid=key-table] tr[data-key] >> text=Browser key');
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page once the dialog closed');

    const ok = await chat(secret);
    assert.equal(ok.status, 200, await ok.clone().text());

    // Detail: no secret; then revoke from the list (confirmed).
    await page.click('[data-testid=key-table] a:has-text("Browser key")');
    await page.waitForSelector('[data-testid=key-details]');
    assert.ok(!(await page.content()).includes(secret.slice(-20)), 'the detail page never shows the secret');
    assert.match(await page.locator('[data-testid=key-details]').innerText(), /gpt-4o-mini/);
    await env.checkA11y(page, 'API key detail');
    await page.click('[data-testid=key-revoke]');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=key-status]:has-text("Revoked")');
    const denied = await chat(secret);
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { error: { code: string } }).error.code, 'api_key_revoked');
    assert.deepEqual(env.pageErrors, []);
  });

  test('at 1280×800 the list names owners by e-mail (one request per page view) and every column, Revoke included, is in view', async () => {
    const owner = await env.createUser('key.owner@example.com', { tenantId: env.tenantId, role: 'developer' });
    await env.api('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
      name: 'Owned by a developer',
      user_id: owner.id,
      expires_in_days: 30,
    });
    const page = await env.newPage();
    const calls: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith(`/admin/v1/tenants/${env.tenantId}/`)) calls.push(u.pathname);
    });
    await env.signIn(page, env.admin, '/api-keys');
    const row = page.locator('[data-testid=key-table] tr[data-key]', { hasText: 'Owned by a developer' });
    await row.waitFor();
    assert.equal((await row.locator('[data-testid=key-owner]').innerText()).trim(), 'key.owner@example.com');
    assert.deepEqual(
      calls.filter((c) => c.includes('/members')),
      [],
      'owners come with the list, not from the member list',
    );
    assert.equal(calls.filter((c) => c.endsWith('/api-keys')).length, 1, `one list request: ${calls.join(', ')}`);
    const viewport = page.viewportSize()!;
    assert.equal(viewport.width, 1280);
    const revoke = await row.locator('[data-testid=key-revoke]').boundingBox();
    assert.ok(
      revoke && revoke.x >= 0 && revoke.x + revoke.width <= viewport.width,
      `Revoke at ${JSON.stringify(revoke)} is inside 1280 px`,
    );
    for (const th of await page.locator('[data-testid=key-table] th').all()) {
      const box = await th.boundingBox();
      assert.ok(
        box && box.x + box.width <= viewport.width,
        `column "${await th.innerText()}" is cut off at ${JSON.stringify(box)}`,
      );
    }
    await env.checkA11y(page, 'API keys list with owners');
    await row.locator('a').click();
    await page.waitForSelector('[data-testid=key-details]');
    assert.equal(
      (await page.locator('[data-testid=key-details] [data-testid=key-owner]').innerText()).trim(),
      'key.owner@example.com',
    );
  });

  test('rotate from the detail page: a new key shown once; the old one stops', async () => {
    const created = await env.api<{ id: string; key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
      name: 'Rotate me',
    });
    const page = await env.newPage();
    await env.signIn(page, env.admin, `/api-keys/${created.id}`);
    await page.click('[data-testid=key-rotate]');
    await page.click('[data-testid=confirm-button]');
    const secret = (await page.locator('[data-testid=secret-value]').innerText()).trim();
    await page.click('button:has-text("I have stored it")');
    await page.waitForURL((u) => !u.pathname.endsWith(created.id) && /\/api-keys\/[0-9A-Za-z]{12}$/.test(u.pathname));
    await page.waitForSelector('[data-testid=key-details] >> text=Replaces');
    assert.equal((await chat(created.key)).status, 401);
    assert.equal((await chat(secret)).status, 200);
  });

  test('suspend with a reason on the detail page (the key is refused, the API agrees), resume from the list (it works again)', async () => {
    const created = await env.api<{ id: string; key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
      name: 'Hold me',
    });
    assert.equal((await chat(created.key)).status, 200);
    const keyView = () =>
      env.api<{ status: string; suspended_reason: string | null; suspended_at: string | null }>(
        'GET',
        `/admin/v1/tenants/${env.tenantId}/api-keys/${created.id}`,
      );
    const page = await env.newPage();
    await env.signIn(page, env.admin, `/api-keys/${created.id}`);
    await page.waitForSelector('[data-testid=key-status-chip][data-status=active]');

    // Cancelling the dialog changes nothing.
    await page.click('[data-testid=key-suspend]');
    await page.fill('[data-testid=action-reason]', 'not yet');
    await page.click('mat-dialog-actions button:has-text("Cancel")');
    await page.locator('[data-testid=action-reason]').waitFor({ state: 'detached' });
    assert.equal((await keyView()).status, 'active');

    await page.click('[data-testid=key-suspend]');
    await page.fill('[data-testid=action-reason]', 'Spend spike under investigation');
    await env.checkA11y(page, 'suspend dialog');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=key-status-chip][data-status=suspended]');
    assert.equal(
      (await page.locator('[data-testid=key-details] [data-testid=key-suspended-reason]').innerText()).trim(),
      'Spend spike under investigation',
    );
    await page.waitForSelector('[data-testid=key-resume]');
    assert.equal(await page.locator('[data-testid=key-rotate]').count(), 0, 'a suspended key is not rotated');
    await env.checkA11y(page, 'suspended API key detail');
    const held = await keyView();
    assert.equal(held.status, 'suspended');
    assert.equal(held.suspended_reason, 'Spend spike under investigation');
    const denied = await chat(created.key);
    assert.equal(denied.status, 403);
    const body = (await denied.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'api_key_suspended');
    assert.match(body.error.message, /Spend spike under investigation/);

    // The list: the status filter finds it, with its chip and reason; Resume there (confirmed).
    await page.click('a:has-text("API keys")');
    await page.waitForSelector('h1#api-keys-title');
    await page.click('[data-testid=key-status-filter]');
    await page.click('mat-option:has-text("Suspended")');
    await page.waitForURL((u) => u.searchParams.get('status') === 'suspended');
    const row = page.locator('[data-testid=key-table] tr[data-key]', { hasText: 'Hold me' });
    await row.waitFor();
    assert.equal((await row.locator('[data-testid=key-status-chip]').innerText()).trim(), 'Suspended');
    assert.match(await row.locator('[data-testid=key-suspended-reason]').innerText(), /Spend spike/);
    await env.checkA11y(page, 'API keys list with a suspended key');
    await row.locator('[data-testid=key-resume]').click();
    await page.click('[data-testid=confirm-button]');
    await page.locator('[data-testid=key-table] tr[data-key]', { hasText: 'Hold me' }).waitFor({ state: 'detached' });
    const resumed = await keyView();
    assert.equal(resumed.status, 'active');
    assert.equal(resumed.suspended_at, null);
    assert.equal((await chat(created.key)).status, 200, 'the same key works again');
    assert.deepEqual(env.pageErrors, []);
  });
});
