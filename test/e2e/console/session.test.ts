import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, waitUntil, type ConsoleEnv } from './harness';

describe('console: session expiry', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('an ended session asks to sign in again and returns to the same page with its filters', async () => {
    const user = await env.createUser('expiry@example.test', { tenantId: env.tenantId, role: 'admin' });
    const page = await env.newPage();
    await env.signIn(page, user, '/audit?action=tenant.update');
    await page.waitForSelector('[data-testid=audit-action]');
    // Elsewhere, the same user changes the password: every other sign-in ends (grant, refresh token, access tokens).
    const other = await env.newPage();
    await env.signIn(other, user, '/account');
    // The profile form saves the display name on the account (PATCH /admin/v1/me), shown back by /me.
    await other.waitForSelector('[data-testid=display-name]');
    await other.fill('[data-testid=display-name]', 'Expiry Tester');
    await other.click('[data-testid=save-profile]');
    await other.waitForSelector('text=Saved.');
    await other.reload();
    await other.waitForSelector('[data-testid=display-name]');
    await waitUntil(
      () => other.locator('[data-testid=display-name]').inputValue(),
      'Expiry Tester',
      'display name after reload',
    );
    await other.fill('input[formcontrolname=current_password]', user.password);
    await other.fill('input[formcontrolname=new_password]', 'a-new-password-for-expiry');
    await other.fill('input[formcontrolname=confirm]', 'a-new-password-for-expiry');
    await other.click('form:has(input[formcontrolname=new_password]) button[type=submit]');
    await other.waitForSelector('text=Password changed');
    // The first page's next API call fails, the refresh fails: the prompt appears, the page stays.
    await page.click('[data-testid=audit-apply]');
    await page.waitForSelector('[data-testid=session-expired]', { timeout: 15_000 });
    assert.match(page.url(), /\/admin\/audit\?action=tenant\.update/);
    await page.click('[data-testid=session-expired] button');
    await page.waitForURL(/\/oauth\/interaction\//);
    await page.fill('#email', user.email);
    await page.fill('#password', 'a-new-password-for-expiry');
    await Promise.all([page.waitForURL(/\/admin\/audit/), page.click('button[type=submit]')]);
    await page.waitForSelector('[data-testid=nav]');
    const back = new URL(page.url());
    assert.equal(back.pathname, '/admin/audit');
    assert.equal(back.searchParams.get('action'), 'tenant.update');
    assert.equal(await page.locator('[data-testid=session-expired]').count(), 0);
  });
});
