/**
 * Behavior analytics screens (issue 16, screen 11) in chromium against a real gateway on
 * PostgreSQL + Redis with the behavior plugin: events ingested through the real /v1/batch API with
 * an events:write key, under a tenant PII policy that hashes user ids; then a funnel built on screen
 * shows the funnel route's numbers for the same steps and window, the trends and retention screens
 * show their routes' numbers, a user's timeline (searched by the raw id, shown as stored = hashed)
 * pages through the ingested events, and the tenant admin erases the user (a developer cannot);
 * axe-core on every screen.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import behavior from '@aihub/plugin-behavior';
import { startConsoleEnv, waitUntil, type Account, type ConsoleEnv } from './harness';

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Midnight UTC ten days ago: all events fall in the past, on known UTC days. */
const D0 = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) - 10 * DAY;
const at = (d: number, h: number) => new Date(D0 + d * DAY + h * 3_600_000).toISOString();
const FROM = day(D0);
const TO = day(D0 + 6 * DAY);

let seq = 0;
const track = (userId: string, event: string, timestamp: string) => ({
  type: 'track',
  userId,
  event,
  timestamp,
  messageId: `b-${seq++}`,
});
/** Five users: signup → activate → purchase with drop-offs and a late step; logins on later days (retention). */
const EVENTS = [
  track('u1', 'signup', at(0, 9)),
  track('u1', 'activate', at(0, 10)),
  track('u1', 'purchase', at(1, 9)),
  ...Array.from({ length: 9 }, (_, i) => track('u1', 'login', at(1 + (i % 5), 12 + i))),
  track('u2', 'signup', at(0, 11)),
  track('u2', 'activate', at(2, 11)),
  track('u2', 'login', at(3, 8)),
  track('u3', 'signup', at(1, 8)),
  track('u3', 'activate', at(1, 9)),
  track('u3', 'purchase', at(9, 9)),
  track('u4', 'signup', at(2, 8)),
  track('u4', 'login', at(2, 9)),
  track('u5', 'activate', at(3, 8)),
  track('u5', 'login', at(4, 8)),
];

describe('console: behavior analytics', () => {
  let env: ConsoleEnv;
  let key: string;
  let tenantAdmin: Account;
  let developer: Account;
  let page: Page;
  const base = () => `/admin/v1/tenants/${env.tenantId}/analytics`;
  const dataValue = async (p: Page, selector: string) =>
    Number(await p.locator(selector).first().getAttribute('data-value'));
  /** The funnel table's users per step, as "4,3,1" ('' before it shows). */
  const shownUsers = async (p: Page) =>
    (
      await p
        .locator('[data-testid=funnel-table] tr[data-step] [data-col=users]')
        .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-value')))
    ).join(',');

  before(async () => {
    env = await startConsoleEnv({ plugins: [behavior], pluginConfig: { behavior: { consumer: { blockMs: 50 } } } });
    await env.api('PATCH', `/admin/v1/tenants/${env.tenantId}/settings`, { pii: { hashFields: ['userId'] } });
    key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'events',
        scopes: ['events:write'],
      })
    ).key;
    const res = await fetch(`${env.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: EVENTS }),
    });
    const ingested = (await res.json()) as { success: boolean };
    assert.equal(res.status, 200, JSON.stringify(ingested));
    assert.equal(ingested.success, true);
    // Events travel through the queue: wait until the API counts all of them.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = await env.api<{ total: number }>('GET', `${base()}/events?from=${FROM}&to=${day(D0 + 10 * DAY)}`);
      if (c.total === EVENTS.length) break;
      assert.ok(Date.now() < deadline, `events did not arrive (${c.total}/${EVENTS.length})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    tenantAdmin = await env.createUser('behavior-admin@example.com', { tenantId: env.tenantId, role: 'admin' });
    developer = await env.createUser('behavior-dev@example.com', { tenantId: env.tenantId, role: 'developer' });
    page = await env.newPage();
    await env.signIn(page, tenantAdmin);
  });
  after(async () => {
    await env?.stop();
  });

  test('event trends: the table equals the counts route per event and UTC day', async () => {
    type Counts = {
      total: number;
      users: number;
      events: { event: string; series: { bucket: string; count: number }[] }[];
    };
    const api = await env.api<Counts>('GET', `${base()}/events?from=${FROM}&to=${TO}&interval=day&group_by=event`);
    await env.navigate(page, `/behavior/trends?from=${FROM}&to=${TO}`);
    await page.waitForSelector('[data-testid=trends-table] tbody tr');
    assert.equal(await dataValue(page, '[data-testid=trends-total]'), api.total);
    // The counts paint from the per-day totals; the range's distinct users follow in a second request.
    assert.ok(api.users > 1);
    await waitUntil(
      () => page.locator('[data-testid=trends-total]').getAttribute('data-users'),
      String(api.users),
      "the range's distinct users on screen",
    );
    assert.match(
      (await page.locator('[data-testid=trends-total]').textContent()) ?? '',
      new RegExp(`\\b${api.users}\\b`),
    );
    let cells = 0;
    for (const e of api.events) {
      for (const s of e.series) {
        assert.equal(
          await dataValue(page, `[data-testid=trends-table] tr[data-bucket="${s.bucket}"] td[data-event="${e.event}"]`),
          s.count,
          `${e.event} on ${s.bucket}`,
        );
        cells++;
      }
    }
    assert.equal(cells, 4 * 7, 'four events over seven days');
    assert.ok(await page.locator('[data-testid=trends-chart] canvas').count(), 'the chart is drawn');
    // Hourly granularity through the URL; the choice is kept in the address.
    await env.navigate(page, `/behavior/trends?from=${FROM}&to=${FROM}&interval=hour&events=signup`);
    await page.waitForSelector('[data-testid=trends-table] tr[data-bucket$="T09:00:00Z"]');
    const hours = await env.api<Counts>(
      'GET',
      `${base()}/events?from=${FROM}&to=${FROM}&interval=hour&group_by=event&event=signup`,
    );
    assert.equal(await page.locator('[data-testid=trends-table] tbody tr').count(), hours.events[0].series.length);
    assert.equal(
      await dataValue(page, `[data-testid=trends-table] tr[data-bucket="${FROM}T09:00:00Z"] td[data-event="signup"]`),
      1,
    );
    await env.checkA11y(page, 'behavior trends');
  });

  test('funnel builder: steps chosen on screen give the funnel route’s numbers; the funnel is in the URL', async () => {
    await env.navigate(page, `/behavior/funnels?from=${FROM}&to=${TO}`);
    await page.waitForSelector('[data-testid=funnel-builder]');
    const choose = async (select: string, option: string) => {
      await page.click(select);
      await page.click(`mat-option:has-text("${option}")`);
      await page.waitForSelector('mat-option', { state: 'detached' });
    };
    await choose('[data-testid=funnel-step-0]', 'signup');
    await choose('[data-testid=funnel-step-1]', 'activate');
    await page.click('[data-testid=funnel-add]');
    await choose('[data-testid=funnel-step-2]', 'purchase');
    await choose('[data-testid=funnel-window]', '7 days');
    type F = {
      steps: {
        step: number;
        users: number;
        conversion_from_previous: number;
        conversion_from_start: number;
        drop_off: number;
      }[];
    };
    const api = await env.api<F>(
      'GET',
      `${base()}/funnels?from=${FROM}&to=${TO}&steps=signup,activate,purchase&window=7d`,
    );
    assert.deepEqual(
      api.steps.map((s) => s.users),
      [4, 3, 1],
      'u3 purchased after the window, u4 never activated',
    );
    // The table may first show an answer for the steps or window chosen so far: wait for this one's.
    await waitUntil(() => shownUsers(page), api.steps.map((s) => s.users).join(','), 'the 7-day funnel on screen');
    for (const s of api.steps) {
      const row = `[data-testid=funnel-table] tr[data-step="${s.step}"]`;
      assert.equal(await dataValue(page, `${row} [data-col=users]`), s.users);
      assert.equal(await dataValue(page, `${row} [data-col=from-previous]`), s.conversion_from_previous);
      assert.equal(await dataValue(page, `${row} [data-col=from-start]`), s.conversion_from_start);
      assert.equal(await dataValue(page, `${row} [data-col=drop-off]`), s.drop_off);
    }
    assert.equal(
      (await page.locator('[data-testid=funnel-table] tr[data-step="2"] [data-col=from-previous]').innerText()).trim(),
      '75.0%',
    );
    // Shareable: the same URL opened afresh shows the same funnel.
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('steps'), 'signup,activate,purchase');
    const oneDay = await env.api<F>(
      'GET',
      `${base()}/funnels?from=${FROM}&to=${TO}&steps=signup,activate,purchase&window=1d`,
    );
    await env.navigate(page, `/behavior/funnels?from=${FROM}&to=${TO}&steps=signup,activate,purchase&window=1d`);
    // In-app navigation keeps the 7-day table until the 1-day answer replaces it.
    await waitUntil(() => shownUsers(page), oneDay.steps.map((s) => s.users).join(','), 'the 1-day funnel on screen');
    for (const s of oneDay.steps)
      assert.equal(
        await dataValue(page, `[data-testid=funnel-table] tr[data-step="${s.step}"] [data-col=users]`),
        s.users,
      );
    await env.checkA11y(page, 'behavior funnels');
  });

  test('retention heat map: every cell equals the retention route', async () => {
    type R = {
      cohorts: { cohort: string; users: number; retention: { period: number; users: number; rate: number }[] }[];
    };
    const api = await env.api<R>('GET', `${base()}/retention?from=${FROM}&to=${TO}&interval=day&periods=7`);
    assert.ok(api.cohorts.length >= 3);
    await env.navigate(page, `/behavior/retention?from=${FROM}&to=${TO}&interval=day&periods=7`);
    await page.waitForSelector('[data-testid=retention-table] tbody tr');
    assert.equal(await page.locator('[data-testid=retention-table] tbody tr').count(), api.cohorts.length);
    for (const c of api.cohorts) {
      const row = `[data-testid=retention-table] tr[data-cohort="${c.cohort}"]`;
      assert.equal(await dataValue(page, `${row} [data-col=users]`), c.users);
      for (const x of c.retention) {
        const cell = page.locator(`${row} td[data-period="${x.period}"]`);
        assert.equal(Number(await cell.getAttribute('data-users')), x.users, `${c.cohort} period ${x.period}`);
        assert.equal(Number(await cell.getAttribute('data-rate')), x.rate, `${c.cohort} period ${x.period}`);
      }
    }
    await env.checkA11y(page, 'behavior retention');
  });

  test('user timeline: found by the raw id, shown as stored (hashed), paged; a developer cannot delete, the admin can', async () => {
    type P = {
      user_id: string;
      event_count: number;
      first_seen: string;
      last_seen: string;
      recent_events: { message_id: string }[];
    };
    const api = await env.api<P>('GET', `${base()}/users/u1?limit=1000`);
    assert.match(api.user_id, /^[0-9a-f]{64}$/, 'stored hashed');
    assert.equal(api.recent_events.length, 12);
    await env.navigate(page, '/behavior/users');
    await page.fill('[data-testid=user-search]', 'u1');
    await page.click('[data-testid=user-search-submit]');
    await page.waitForSelector('[data-testid=user-timeline] tbody tr');
    assert.equal((await page.locator('[data-testid=user-id]').innerText()).trim(), api.user_id);
    assert.equal(await dataValue(page, '[data-testid=user-event-count]'), api.event_count);
    assert.equal((await page.locator('[data-testid=user-first-seen]').innerText()).trim(), api.first_seen);
    assert.equal((await page.locator('[data-testid=user-last-seen]').innerText()).trim(), api.last_seen);
    // Page through with 10 per page: every ingested event once, newest first.
    await env.navigate(page, '/behavior/users?id=u1&limit=10');
    // In-app navigation keeps the 12-row table until the 10-row answer replaces it: wait for the count.
    await waitUntil(() => page.locator('[data-testid=user-timeline] tbody tr').count(), 10, 'first page of 10');
    const shown = await page
      .locator('[data-testid=user-timeline] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message-id')));
    assert.equal(shown.length, 10);
    await page.click('button:has-text("Next")');
    // The second page has the last 2 events (no third row; no in-page function: the console's CSP forbids eval).
    await page.locator('[data-testid=user-timeline] tbody tr').nth(2).waitFor({ state: 'detached' });
    await page.locator('[data-testid=user-timeline] tbody tr').nth(1).waitFor();
    shown.push(
      ...(await page
        .locator('[data-testid=user-timeline] tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message-id')))),
    );
    assert.deepEqual(
      shown,
      api.recent_events.map((e) => e.message_id),
    );
    await env.checkA11y(page, 'behavior user timeline');

    // A developer reads but has no delete action (and the server refuses it).
    const devPage = await env.newPage();
    await env.signIn(devPage, developer, '/behavior/users?id=u1');
    await devPage.waitForSelector('[data-testid=user-timeline] tbody tr');
    assert.equal(await devPage.locator('[data-testid=user-delete]').count(), 0);
    assert.equal(
      await devPage.locator('[data-testid=nav] a[data-nav=behavior]').count(),
      1,
      'a developer has the nav entry',
    );
    // A viewer reads analytics too (events:read; ids as stored) but, like a developer, may not erase a user.
    const viewer = await env.createUser('behavior-viewer@example.com', { tenantId: env.tenantId, role: 'viewer' });
    const viewerPage = await env.newPage();
    await env.signIn(viewerPage, viewer, '/behavior/users?id=u1');
    await viewerPage.waitForSelector('[data-testid=user-timeline] tbody tr');
    assert.equal(
      await viewerPage.locator('[data-testid=nav] a[data-nav=behavior]').count(),
      1,
      'a viewer has the nav entry',
    );
    assert.equal(await viewerPage.locator('[data-testid=user-delete]').count(), 0);

    // The admin erases the user after confirming; the API no longer knows them.
    await env.navigate(page, '/behavior/users?id=u1');
    await page.click('[data-testid=user-delete]');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=user-deleted]');
    assert.match(await page.locator('[data-testid=user-deleted]').innerText(), /12/);
    const gone = await fetch(`${env.url}${base()}/users/u1`, { headers: { authorization: `Bearer ${env.adminKey}` } });
    assert.equal(gone.status, 404);
    const audit = await env.api<{ data: { action: string; target_id: string }[] }>(
      'GET',
      `/admin/v1/tenants/${env.tenantId}/audit?action=analytics.user.delete`,
    );
    assert.equal(audit.data[0]?.target_id, api.user_id, 'audited under the stored id');
  });
});
