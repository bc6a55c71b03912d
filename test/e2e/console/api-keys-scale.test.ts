import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { seedKeys } from '../../../plugins/auth/bench/seedKeys';
import { startConsoleEnv, type ConsoleEnv } from './harness';

/**
 * The key list in the browser at 100,000 keys in one tenant (AIHUB_CONSOLE_KEYS to change): every
 * page view (a deep link, a sort, a filter, a search, the next page) makes exactly one list
 * request; each answer's time is printed, and held to the 300 ms budget in a dedicated run
 * (`AIHUB_KEYLIST_BUDGET_MS=300 node scripts/test.mjs api-keys-scale`).
 */
describe('console: API key list at scale', () => {
  let env: ConsoleEnv;
  before(async () => {
    env = await startConsoleEnv();
  });
  after(async () => {
    await env?.stop();
  });

  /** Key-list GETs (not single keys) from now on, with each one's request start → response end. */
  function listRequests(page: Page): number[] {
    const times: number[] = [];
    page.on('requestfinished', (req) => {
      if (req.method() === 'GET' && /\/admin\/v1\/tenants\/[^/]+\/api-keys$/.test(new URL(req.url()).pathname))
        times.push(req.timing().responseEnd);
    });
    return times;
  }

  /** The list shows rows or its empty state (a function run in the page; the strict CSP forbids string eval). */
  const settled = (page: Page) =>
    page.waitForFunction(() => {
      // The e2e tsconfig has no DOM types: the page's document, typed as far as used here.
      const doc = (
        globalThis as unknown as {
          document: { querySelector(selector: string): { textContent: string | null } | null };
        }
      ).document;
      const state = doc.querySelector('app-page-state')?.textContent ?? '';
      return (
        !state.includes('Loading') &&
        (!!doc.querySelector('[data-testid=key-table]') || state.includes('No key matches'))
      );
    });

  test('one list request per page view, each within the budget', async () => {
    const n = Number(process.env.AIHUB_CONSOLE_KEYS ?? 100_000);
    const t0 = performance.now();
    await seedKeys(env.backend.databaseUrl, env.tenantId, n);
    console.log(`seeded ${n} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Warm the database's caches once per query shape, as a running deployment's are: the freshly
    // inserted rows and new index pages would otherwise make the first view a cold read.
    const base = `/admin/v1/tenants/${env.tenantId}/api-keys?limit=25`;
    for (const q of [
      '',
      '&sort=name',
      '&sort=-last_used_at',
      '&sort=-last_used_at&status=revoked',
      '&q=staging',
      '&q=nomatch',
      '&owner=usr_bench7&team_id=team_bench7&sort=expires_at',
    ]) {
      await env.api('GET', base + q);
    }
    const page = await env.newPage();
    await env.signIn(page, env.admin, '/home');
    const results: [string, number][] = [];

    /** Runs one page view and checks it made exactly one list request. */
    async function view(what: string, act: () => Promise<unknown>): Promise<void> {
      const times = listRequests(page);
      await act();
      await settled(page);
      await page.waitForTimeout(250); // anything else the view would send
      assert.equal(times.length, 1, `${what}: one list request per page view (saw ${times.length})`);
      results.push([what, times[0]]);
      page.removeAllListeners('requestfinished');
    }

    await view('deep link, newest first', () => page.goto(env.consoleUrl('/api-keys')));
    await view('sort by name', async () => {
      await page.click('[data-testid=sort-name]');
      await page.waitForURL(/sort=name/);
    });
    await view('next page', async () => {
      await page.click('button:has-text("Next")');
      await page.waitForURL(/cursor=/);
    });
    await view('sort by last used', async () => {
      await page.click('th button:has-text("Last used")');
      await page.waitForURL(/sort=-last_used_at/);
    });
    await view('status filter', async () => {
      await page.click('[data-testid=key-status-filter]');
      await page.click('mat-option:has-text("Revoked")');
      await page.waitForURL(/status=revoked/);
    });
    await view('search', async () => {
      await page.fill('[data-testid=key-search]', 'staging');
      await page.press('[data-testid=key-search]', 'Enter');
      await page.waitForURL(/q=staging/);
    });
    await view('search without a match', async () => {
      await page.fill('[data-testid=key-search]', 'nomatch');
      await page.press('[data-testid=key-search]', 'Enter');
      await page.waitForURL(/q=nomatch/);
    });
    await view('deep link, owner + team + expiry sort', () =>
      page.goto(env.consoleUrl('/api-keys?owner=usr_bench7&team_id=team_bench7&sort=expires_at')),
    );
    await env.checkA11y(page, 'API keys list with filters');

    console.log(
      `key list in the browser at ${n} keys (request start → response end): ${results.map(([w, ms]) => `${w} ${ms.toFixed(0)} ms`).join('; ')}`,
    );
    // Speed is judged by benchmarks, not by timed tests (another test file shares the machine in
    // `npm test`): the times are reported above; `AIHUB_KEYLIST_BUDGET_MS=300` turns the budget into
    // an assertion for a dedicated run. A substring search reads every key of the tenant (no trigram
    // index yet) and is held to three times the budget there.
    const budget = Number(process.env.AIHUB_KEYLIST_BUDGET_MS ?? 0);
    if (budget > 0) {
      for (const [what, ms] of results) {
        const bound = what.startsWith('search') ? 3 * budget : budget;
        assert.ok(ms < bound, `${what}: ${ms.toFixed(0)} ms (bound ${bound} ms)`);
      }
    }
  });
});
