import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

describe('console: sign-in, navigation, sign-out', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('a deep link survives the sign-in round trip; the superadmin sees the platform navigation', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/tenants?q=def');
    assert.equal(new URL(page.url()).pathname, '/admin/tenants');
    assert.equal(new URL(page.url()).searchParams.get('q'), 'def');
    await page.waitForSelector('[data-testid=tenant-table] [data-tenant=default]');
    const nav = await page
      .locator('[data-testid=nav] a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-nav')));
    for (const entry of ['home', 'audit', 'tenants', 'users', 'members'])
      assert.ok(nav.includes(entry), `${entry} in ${nav}`);
    await env.checkA11y(page, 'tenants');
    assert.deepEqual(env.pageErrors, [], 'no CSP violation or page error');
    await page.close();
  });

  test('tokens stay in memory: nothing in localStorage or sessionStorage holds a token', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin);
    const stored = String(
      await page.evaluate('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })'),
    );
    assert.doesNotMatch(stored, /eyJ|access_token|refresh_token/);
    await page.close();
  });

  test('sign-out revokes the session: the console needs the password again', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin);
    await page.click('[data-testid=user-menu]');
    await page.click('[data-testid=sign-out]');
    // The authorization server asks to confirm ending its session, then returns to /signed-out.
    await page.waitForURL(/\/oauth\/logout|\/admin\/signed-out/);
    if (/\/oauth\/logout/.test(page.url()))
      await Promise.all([page.waitForURL(/\/admin\/signed-out/), page.click('button[value=yes]')]);
    await page.waitForSelector('text=You are signed out');
    await page.goto(env.consoleUrl('/home'));
    await page.waitForURL(/\/oauth\/interaction\//);
    assert.ok(await page.locator('#password').isVisible(), 'the login page asks for the password again');
    await page.close();
  });
});
