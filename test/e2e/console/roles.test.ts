import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

describe('console: roles', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('a role change shows in the navigation; the server refuses what the role may not do', async () => {
    const user = await env.createUser('viewer@example.test', { tenantId: env.tenantId, role: 'viewer' });
    const page = await env.newPage();
    await env.signIn(page, user);
    const nav = () =>
      page.locator('[data-testid=nav] a').evaluateAll((as) => as.map((a) => a.getAttribute('data-nav')));
    let entries = await nav();
    assert.ok(
      !entries.includes('audit') && !entries.includes('tenants') && !entries.includes('members'),
      String(entries),
    );
    assert.ok(entries.includes('home') && entries.includes('teams'), String(entries));
    // A deep link to a screen the role may not use lands on the overview.
    await page.goto(env.consoleUrl('/audit'));
    await page.waitForURL(/\/admin\/home/);
    // …and says why, naming the screen, instead of looking like a broken link.
    assert.match(await page.locator('[data-testid=home-denied]').innerText(), /viewer.*\/audit/);
    await env.checkA11y(page, 'home after a refused deep link');
    await env.api('PATCH', `/admin/v1/tenants/${env.tenantId}/members/${user.id}`, { role: 'admin' });
    await page.reload();
    await page.waitForSelector('[data-testid=nav] a[data-nav=audit]');
    entries = await nav();
    assert.ok(
      entries.includes('members') && entries.includes('audit') && !entries.includes('tenants'),
      String(entries),
    );
    assert.match(await page.locator('[data-testid=home-role]').innerText(), /admin/);
  });
});
