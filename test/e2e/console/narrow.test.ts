/**
 * The console on a phone (390 px wide) in chromium against a real gateway: the navigation is a
 * drawer behind a menu button (not a 220 px column that leaves the screen 170 px), the page does not
 * scroll sideways because of the frame, following a link closes the drawer, and axe-core passes with
 * the drawer open and closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startConsoleEnv, type ConsoleEnv } from './harness';

describe('console: narrow screens', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('at 390 px the navigation is a drawer opened from the top bar, and the screen gets the full width', async () => {
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/tenants');
    // Wide: the side column is open and there is no menu button.
    assert.equal(await page.locator('[data-testid=nav-toggle]').count(), 0);
    await page.setViewportSize({ width: 390, height: 844 });
    const toggle = page.locator('[data-testid=nav-toggle]');
    await toggle.waitFor();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await page.locator('[data-testid=nav]').waitFor({ state: 'hidden' });
    await page.waitForSelector('h1:has-text("Tenants")');
    // The screen starts at the left edge and the frame does not make the page scroll sideways.
    const mainLeft = (await page.locator('main').boundingBox())!.x;
    assert.ok(mainLeft < 1, `main starts at ${mainLeft}px, not under a side column`);
    const h1 = (await page.locator('h1').boundingBox())!;
    assert.ok(h1.x + h1.width <= 390, 'the heading fits');
    const bar = (await page.locator('[data-testid=user-menu]').boundingBox())!;
    assert.ok(bar.x + bar.width <= 390, `the user menu fits in the top bar (ends at ${bar.x + bar.width}px)`);
    await env.checkA11y(page, 'tenants at 390 px');

    // Keyboard: the menu button opens the drawer; a link closes it and lands on its screen.
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=nav]').waitFor({ state: 'visible' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await env.checkA11y(page, 'navigation drawer at 390 px');
    await page.click('[data-testid=nav] a[data-nav=users]');
    await page.waitForURL(/\/admin\/users/);
    await page.locator('[data-testid=nav]').waitFor({ state: 'hidden' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');

    // Back to a wide window: the column is back, always open.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator('[data-testid=nav]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-testid=nav-toggle]').count(), 0);

    // Keyboard focus is plain to see (WCAG 2.4.7): a nav link reached by Shift+Tab from the screen has a 2 px outline.
    await page.locator('main').focus();
    await page.keyboard.press('Shift+Tab');
    const ring = (await page.evaluate(
      `(() => { const e = document.activeElement; const s = getComputedStyle(e); return { nav: !!e.closest('[data-testid=nav]'), style: s.outlineStyle, width: s.outlineWidth }; })()`,
    )) as { nav: boolean; style: string; width: string };
    assert.deepEqual(ring, { nav: true, style: 'solid', width: '2px' });
    assert.deepEqual(env.pageErrors, []);
  });
});
