import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, waitUntil, type ConsoleEnv } from './harness';

describe('console: tenants, audit, roles', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('a superadmin creates a tenant; a slug taken shows next to its field; the audit log shows the action with its details', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/tenants');
    await page.click('[data-testid=tenant-create]');
    await page.fill('[data-testid=tenant-name]', 'Taken');
    await page.fill('[data-testid=tenant-slug]', 'default');
    await page.click('[data-testid=tenant-save]');
    await page.waitForSelector('mat-error');
    assert.match(await page.locator('mat-error').first().innerText(), /\S/);
    await env.checkA11y(page, 'tenant form with an error');
    await page.fill('[data-testid=tenant-name]', 'Acme Corp');
    await page.fill('[data-testid=tenant-slug]', 'acme');
    await page.click('[data-testid=tenant-save]');
    await page.waitForSelector('[data-testid=tenant-table] [data-tenant=acme]');

    // Search is server-side and lives in the URL.
    await page.fill('[data-testid=tenant-search]', 'acme');
    await page.press('[data-testid=tenant-search]', 'Enter');
    await page.waitForURL(/q=acme/);
    await waitUntil(
      () => page.locator('[data-testid=tenant-table] tr[data-tenant]').count(),
      1,
      'tenant rows matching acme',
    );

    // The new tenant's own log holds its creation: the platform-wide log shows it to a superadmin.
    await page.goto(env.consoleUrl('/audit?scope=platform&action=tenant.create'));
    await page.waitForSelector('[data-testid=audit-table] tr[data-action="tenant.create"]');
    await page.click('[data-testid=audit-table] tr[data-action="tenant.create"] button');
    await page.waitForSelector('[data-testid=audit-drawer] pre:has-text("acme")');
    assert.match(page.url(), /entry=/);
    await env.checkA11y(page, 'audit with the drawer open');
    // Filtering by target id, from the URL: only the entries about that tenant.
    const acme = (await env.api<{ data: { id: string }[] }>('GET', '/admin/v1/tenants?q=acme')).data[0];
    await env.navigate(page, `/audit?scope=platform&target_id=${acme.id}`);
    await waitUntil(
      () => page.locator('[data-testid=audit-table] tr[data-action]').count(),
      1,
      'audit rows for the tenant',
    );
    assert.equal(await page.locator('[data-testid=audit-target-id]').inputValue(), acme.id);
  });

  test('a tenant pinned to an older API version shows its pin and is upgraded to the current one in one action', async () => {
    const versions = await env.api<{ current: string; data: { id: string }[] }>('GET', '/admin/v1/versions');
    const older = versions.data.find((v) => v.id < versions.current)!.id;
    const t = await env.api<{ id: string }>('POST', '/admin/v1/tenants', { name: 'Legacy', slug: 'legacy' });
    await env.api('PATCH', `/admin/v1/tenants/${t.id}/settings`, { apiVersion: older });
    await env.api('POST', '/admin/v1/tenants', { name: 'Modern', slug: 'modern' });
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/tenants');
    const legacy = page.locator('[data-tenant=legacy]');
    await legacy.locator(`[data-testid=tenant-api-version]:has-text("${older}")`).waitFor();
    const upgrade = legacy.locator('[data-testid=tenant-upgrade-version]');
    await upgrade.waitFor();
    assert.equal((await upgrade.innerText()).trim(), `Upgrade to ${versions.current}`);
    // A tenant already at the current version is offered no upgrade.
    const modern = page.locator('[data-tenant=modern]');
    await modern.locator(`[data-testid=tenant-api-version]:has-text("${versions.current}")`).waitFor();
    assert.equal(await modern.locator('[data-testid=tenant-upgrade-version]').count(), 0);
    await env.checkA11y(page, 'tenants with an API version upgrade');

    await upgrade.click();
    await page.click('[data-testid=confirm-button]');
    await legacy.locator(`[data-testid=tenant-api-version]:has-text("${versions.current}")`).waitFor();
    await waitUntil(() => legacy.locator('[data-testid=tenant-upgrade-version]').count(), 0, 'no upgrade left');
    const stored = await env.api<{ settings: { apiVersion?: string } }>('GET', `/admin/v1/tenants/${t.id}/settings`);
    assert.equal(stored.settings.apiVersion, versions.current);
  });

  test('suspend and delete a tenant: both confirm, delete only after typing its name', async () => {
    const t = await env.api<{ id: string }>('POST', '/admin/v1/tenants', { name: 'Doomed', slug: 'doomed' });
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/tenants?q=doomed');
    const row = page.locator('[data-tenant=doomed]');
    await row.locator('button:has-text("Suspend")').click();
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-tenant=doomed] >> text=Suspended');
    await row.locator('button:has-text("Delete")').click();
    assert.equal(
      await page.locator('[data-testid=confirm-button]').isDisabled(),
      true,
      'disabled until the name is typed',
    );
    await page.fill('[data-testid=confirm-input]', 'Doomed');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-tenant=doomed]', { state: 'detached' });
    await assert.rejects(env.api('GET', `/admin/v1/tenants/${t.id}`), /404/);
  });
});
