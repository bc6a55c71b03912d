/**
 * The list screens on a phone (390 px wide) in chromium against a real gateway: Requests, API keys,
 * Usage, Members and Models do not scroll sideways. Below 600 px their tables become stacked cards
 * (each row a card, each cell a "label: value" line), so every column stays readable without
 * two-dimensional scrolling (WCAG 1.4.10 reflow); wide screens keep the real tables. axe-core passes
 * on each narrow screen. Also: the usage screen names keys from its own answer (no key-list call).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import usage from '@aihub/plugin-usage';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import { startConsoleEnv, waitUntil, type ConsoleEnv } from './harness';

const KEY = 'sk-mock-upstream-0123456789abcdef';
const day = () => new Date().toISOString().slice(0, 10);

/** The screens and the table each one lists. */
const SCREENS: [path: string, table: string][] = [
  ['/requests', 'rq-table'],
  ['/api-keys', 'key-table'],
  [`/usage?by=key&from=${day()}&to=${day()}`, 'usage-table'],
  ['/members', 'member-table'],
  ['/models', 'models-table'],
];

describe('console: list tables at phone width', () => {
  let env: ConsoleEnv;
  let mock: MockUpstream;
  let page: Page;

  before(async () => {
    mock = await startMockUpstream({ apiKey: KEY, completionTokens: 5, record: 0 });
    env = await startConsoleEnv({
      plugins: [usage],
      pluginConfig: {
        usage: { consumer: { blockMs: 50 } },
        ai: {
          providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
          models: { 'gpt-4o-mini': { deployments: [{ provider: 'up', model: 'gpt-4o-mini', name: 'steady' }] } },
          pricing: { 'gpt-4o-mini': { input: 150, output: 600 } },
        },
      },
    });
    const { key } = await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
      name: 'a rather long key name for a phone',
      scopes: ['ai:invoke'],
    });
    for (const model of ['gpt-4o-mini', 'gpt-4o-mini', 'no-such-model']) {
      const res = await fetch(`${env.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'narrow' }] }),
      });
      await res.arrayBuffer();
    }
    await waitUntil(
      async () => (await env.api<{ data: unknown[] }>('GET', `/admin/v1/tenants/${env.tenantId}/requests`)).data.length,
      3,
      'three usage records',
    );
    page = await env.newPage();
    await env.signIn(page, env.admin, '/home');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('[data-testid=nav-toggle]').waitFor();
  });
  after(async () => {
    await env?.stop();
    await mock?.close();
  });

  /** What the screen's layout measures: page and cell extents, how the table is laid out, the first row's labels. */
  const measure = async (table: string) =>
    (await page.evaluate(
      `(() => {
        const t = document.querySelector('[data-testid=${table}]');
        const cells = [...t.tBodies[0].querySelectorAll('td, th')].filter((c) => c.getClientRects().length);
        const first = t.tBodies[0].rows[0];
        return {
          scrollWidth: document.scrollingElement.scrollWidth,
          innerWidth: window.innerWidth,
          cellRight: Math.round(Math.max(...cells.map((c) => c.getBoundingClientRect().right))),
          display: getComputedStyle(t).display,
          labels: [...first.cells].map((c) => c.getAttribute('data-label')).filter(Boolean),
          headers: [...t.tHead.rows[t.tHead.rows.length - 1].cells].map((c) => c.textContent.replace(/\\s+/g, ' ').trim()).filter(Boolean),
        };
      })()`,
    )) as {
      scrollWidth: number;
      innerWidth: number;
      cellRight: number;
      display: string;
      labels: string[];
      headers: string[];
    };

  for (const [path, table] of SCREENS) {
    test(`${path.split('?')[0]} at 390 px: rows are cards, no sideways scrolling, every column named; a table again at 1280 px`, async () => {
      const keyListCalls: string[] = [];
      const onRequest = (r: { url(): string }) => {
        if (/\/api-keys(\?|$)/.test(r.url())) keyListCalls.push(r.url());
      };
      page.on('request', onRequest);
      await env.navigate(page, path);
      await page.waitForSelector(`[data-testid=${table}] tbody tr`);
      await waitUntil(async () => (await measure(table)).labels.length > 0, true, `${path}: cells labelled`);
      const m = await measure(table);
      assert.ok(
        m.scrollWidth <= m.innerWidth,
        `${path}: the page scrolls sideways (${m.scrollWidth} > ${m.innerWidth})`,
      );
      assert.ok(
        m.cellRight <= m.innerWidth,
        `${path}: a cell ends at ${m.cellRight}px, past the ${m.innerWidth}px screen`,
      );
      assert.equal(m.display, 'block', `${path}: stacked below 600 px`);
      // Every value line says which column it is (the header's name), so nothing is lost with the header row.
      for (const label of m.labels)
        assert.ok(m.headers.includes(label), `${path}: label ${label} is a column header (${m.headers.join(', ')})`);
      assert.ok(m.labels.length >= Math.min(3, m.headers.length), `${path}: ${m.labels.join(', ')}`);
      await env.checkA11y(page, `${path} at 390 px`);
      await page.setViewportSize({ width: 1280, height: 800 });
      await waitUntil(async () => (await measure(table)).display, 'table', `${path}: a table at 1280 px`);
      await page.setViewportSize({ width: 390, height: 844 });
      page.off('request', onRequest);
      if (path.startsWith('/usage'))
        assert.deepEqual(keyListCalls, [], 'the usage screen names keys from its own answer');
      if (path.startsWith('/usage')) {
        // The range presets wrap instead of running off the right edge ("Last month" was cut off).
        const presets = await page.locator('[data-testid=usage-presets] button').evaluateAll((bs) =>
          bs.map((b) => {
            const r = b.getBoundingClientRect();
            return { text: (b.textContent ?? '').trim(), left: Math.floor(r.left), right: Math.ceil(r.right) };
          }),
        );
        const width = page.viewportSize()?.width ?? 390;
        assert.equal(presets.length, 5);
        for (const b of presets)
          assert.ok(
            b.left >= 0 && b.right <= width,
            `preset "${b.text}" spans ${b.left}–${b.right}px on a ${width}px screen`,
          );
      }
    });
  }
});
