import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

describe('console: language', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('switching to Chinese translates the console at once and is remembered', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin);
    await page.click('[data-testid=language-menu]');
    await page.click('[data-testid=lang-zh-CN]');
    await page.waitForSelector('[data-testid=nav] a[data-nav=home]:has-text("主页")');
    assert.equal(await page.evaluate('document.documentElement.lang'), 'zh-CN');
    await page.goto(env.consoleUrl('/tenants'));
    await page.waitForSelector('h1:has-text("租户")');
    await env.checkA11y(page, 'tenants (zh-CN)');
    assert.deepEqual(env.pageErrors, []);
  });
});
