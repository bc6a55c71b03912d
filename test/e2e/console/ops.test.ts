/**
 * The Operations screen (issue 18's console screen) in chromium against a gateway with the ops
 * plugin on PostgreSQL + Redis and the bench mock upstream: a rule is created through the form
 * (client checks and a server problem shown next to their fields first), listed, and triggered by
 * the mock upstream failing every request of one deployment — the error-ratio rule drains it; the
 * event shows with its reason, the drained deployment shows in State (probed), and it is restored
 * from the UI after a confirmation. An alias switched to its fallback is switched back the same
 * way. The API is asked at each step and must agree. axe-core on each tab; a tenant owner sees no
 * nav entry, cannot open the screen, and the server answers 403 to a non-superadmin key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import ops from '@aihub/plugin-ops';
import { startMockUpstream, type MockUpstream } from '../../../bench/src/mock-upstream/server';
import { startConsoleEnv, waitUntil, type ConsoleEnv } from './harness';

const KEY = 'sk-mock-upstream-0123456789abcdef';

interface State {
  deployments: { id: string; drained: { reason: string } | null; probing: boolean }[];
  aliases: { alias: string; switchedToFallback: boolean }[];
}
interface Events {
  data: { rule: string; action: string; target: string | null; outcome: string; reason: string }[];
}

describe('console: operations (automation rules, events, control state)', () => {
  let env: ConsoleEnv;
  let mock: MockUpstream;
  let key: string;
  let page: Page;

  const chat = async (): Promise<void> => {
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'still there?' }] }),
    });
    // The primary fails; the fallback alias answers, so the caller never sees the failure.
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
  };
  const state = () => env.api<State>('GET', '/admin/v1/ops/state');
  const primary = async () => (await state()).deployments.find((d) => d.id === 'primary')!;
  const text = (selector: string) => page.locator(selector).first().innerText();
  const count = (selector: string) => page.locator(selector).count();
  before(async () => {
    mock = await startMockUpstream({ apiKey: KEY, completionTokens: 5, record: 0 });
    env = await startConsoleEnv({
      plugins: [ops],
      pluginConfig: {
        ai: {
          providers: { up: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: KEY } },
          models: {
            chat: {
              deployments: [{ provider: 'up', model: 'broken-model', name: 'primary' }],
              fallbacks: ['backup'],
            },
            backup: { deployments: [{ provider: 'up', model: 'gpt-4o-mini', name: 'backup' }] },
          },
          retry: { maxAttempts: 1 },
          breaker: { enabled: false },
        },
        // Fast evaluation; probes rare, so the drain stays until the UI restores it.
        ops: { evaluateIntervalMs: 200, sampleIntervalMs: 100, probe: { intervalMs: 3_600_000 } },
      },
    });
    key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'ops',
        scopes: ['ai:invoke'],
      })
    ).key;
    page = await env.newPage();
    await env.signIn(page, env.admin, '/ops/rules');
  });
  after(async () => {
    await env?.stop();
    await mock?.close();
  });

  test('a rule made in the form is listed; problems show next to their fields', async () => {
    await page.waitForSelector('[data-testid=nav] a[data-nav=ops]');
    await page.waitForSelector('[data-testid=ops-tab-rules]');
    await env.checkA11y(page, 'ops rules (empty)');
    await page.click('[data-testid=ops-rule-new]');
    await page.waitForSelector('[data-testid=ops-rule-form]');
    // Client checks, as the server's: a bad name and no threshold.
    await page.fill('[data-testid=ops-rule-name]', 'Drain Broken');
    await page.click('[data-testid=ops-rule-save]');
    await page.waitForSelector('[data-testid=ops-rule-error]');
    const errors = await page.locator('mat-error').allInnerTexts();
    assert.ok(
      errors.some((e) => /lowercase letters/.test(e)),
      errors.join(' | '),
    );
    assert.ok(errors.includes('Required'), errors.join(' | '));
    assert.equal((await env.api<{ data: unknown[] }>('GET', '/admin/v1/ops/rules')).data.length, 0);
    // A target the gateway does not have: only the server knows; its problem lands on the field.
    await page.fill('[data-testid=ops-rule-name]', 'drain-broken');
    await page.fill('[data-testid=ops-rule-subject]', 'primary');
    await page.fill('[data-testid=ops-rule-above]', '0.5');
    await page.fill('[data-testid=ops-rule-samples]', '3');
    await page.fill('[data-testid=ops-rule-cooldown]', '1');
    await page.fill('[data-testid=ops-rule-target]', 'nowhere');
    await page.click('[data-testid=ops-rule-save]');
    await waitUntil(
      async () => (await page.locator('mat-error', { hasText: 'Deployment "nowhere"' }).count()) > 0,
      true,
      'the server problem next to the target field',
    );
    await env.checkA11y(page, 'ops rule form with errors');
    await page.fill('[data-testid=ops-rule-target]', '');
    await page.click('[data-testid=ops-rule-save]');
    await page.waitForSelector('[data-testid=ops-rules-table] tr[data-rule=drain-broken]');
    assert.equal(await count('[data-testid=ops-rule-form]'), 0);
    const row = await text('tr[data-rule=drain-broken]');
    assert.match(row, /Error ratio of primary above 0\.5 over 1 min \(at least 3 samples\)/);
    assert.match(row, /Drain → the signal's subject/);
    assert.match(row, /API/);
    const rules = await env.api<{ data: { name: string; source: string; when: unknown; action: unknown }[] }>(
      'GET',
      '/admin/v1/ops/rules',
    );
    assert.deepEqual(rules.data, [
      {
        name: 'drain-broken',
        enabled: true,
        dryRun: false,
        cooldownSeconds: 1,
        when: { signal: 'error_ratio', subject: 'primary', above: 0.5, windowSeconds: 60, minSamples: 3 },
        action: { type: 'drain', probe: true },
        source: 'api',
      },
    ]);
    await env.checkA11y(page, 'ops rules');
  });

  test('the failing deployment is drained: the event with its reason, then State, restored from the UI', async () => {
    mock.setFailure({ status: 503, times: 0, match: { model: 'broken-model' } });
    for (let i = 0; i < 4; i++) await chat();
    await waitUntil(async () => !!(await primary()).drained, true, 'the rule drains primary', 30_000);
    const acted = await env.api<Events>('GET', '/admin/v1/ops/events?rule=drain-broken&outcome=acted');
    assert.equal(acted.data.length, 1);
    assert.match(acted.data[0].reason, /^error_ratio of primary is 1 \(above 0\.5\)/);

    // Events: filtered through the URL, the row shows the decision and its reason.
    await env.navigate(page, '/ops/events?rule=drain-broken&outcome=acted');
    await page.waitForSelector('[data-testid=ops-events-table] tr[data-rule=drain-broken][data-action=drain]');
    assert.equal(await count('[data-testid=ops-events-table] tr[data-event]'), 1);
    const ev = await text('[data-testid=ops-events-table] tr[data-action=drain]');
    assert.match(ev, /Drain/);
    assert.match(ev, /primary/);
    assert.match(ev, /✓\s*Acted/);
    assert.ok(ev.includes(acted.data[0].reason), ev);
    assert.equal(await page.locator('[data-testid=ops-events-rule]').inputValue(), 'drain-broken');
    await env.checkA11y(page, 'ops events');

    // State: the drained deployment, why, and that the probe would restore it.
    await env.navigate(page, '/ops/state');
    await page.waitForSelector('[data-testid=ops-drained-table] tr[data-deployment=primary]');
    const drained = await text('[data-testid=ops-drained-table] tr[data-deployment=primary]');
    assert.match(drained, /ops rule drain-broken/);
    assert.match(drained, /Probed: restored after 3 healthy probes/);
    assert.equal((await primary()).probing, true);
    await env.checkA11y(page, 'ops state (drained)');

    // Restore from the UI: cancel first (nothing changes), then confirm.
    await page.click('[data-testid=ops-restore]');
    await page.waitForSelector('[data-testid=confirm-button]');
    await page.keyboard.press('Escape');
    await waitUntil(() => count('[data-testid=confirm-button]'), 0, 'the dialog closes');
    assert.ok((await primary()).drained, 'cancelled: still drained');
    await page.click('[data-testid=ops-restore]');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=ops-none-drained]');
    assert.equal((await primary()).drained, null);
    const manual = await env.api<Events>('GET', '/admin/v1/ops/events?rule=manual&action=restore');
    assert.deepEqual(
      manual.data.map((e) => [e.target, e.outcome]),
      [['primary', 'acted']],
    );
    const audit = await env.api<{ data: { action: string; target_id: string }[] }>(
      'GET',
      '/admin/v1/audit?action=ops_deployment.restore',
    );
    assert.deepEqual(
      audit.data.map((a) => a.target_id),
      ['primary'],
    );
    mock.clearFailures();
  });

  test('an alias switched to its fallback is switched back from State', async () => {
    await env.api('POST', '/admin/v1/ops/aliases/chat/fallback', { on: true });
    // The page refreshes on its own while visible.
    await page.waitForSelector('[data-testid=ops-switched-table] tr[data-alias=chat]', { timeout: 15_000 });
    await page.click('[data-testid=ops-switch-back]');
    await page.click('[data-testid=confirm-button]');
    await waitUntil(() => count('[data-testid=ops-switched-table]'), 0, 'the alias leaves the switched list');
    assert.equal((await state()).aliases.find((a) => a.alias === 'chat')!.switchedToFallback, false);
    assert.deepEqual(env.pageErrors, []);
  });

  test('a tenant owner has no Operations entry, cannot open it, and the server answers 403', async () => {
    const owner = await env.createUser('ops-owner@example.test', { tenantId: env.tenantId, role: 'owner' });
    const other = await env.newPage();
    await env.signIn(other, owner, '/home');
    const entries = await other
      .locator('[data-testid=nav] a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('data-nav')));
    assert.ok(entries.includes('members') && !entries.includes('ops'), String(entries));
    await other.goto(env.consoleUrl('/ops/rules'));
    await other.waitForURL(/\/admin\/home/);
    assert.equal(await other.locator('[data-testid=ops-tab-rules]').count(), 0);
    // A tenant key with every admin scope is still not a superadmin.
    const tenantKey = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'tenant-admin',
        scopes: ['admin:read', 'admin:write'],
      })
    ).key;
    for (const [method, path] of [
      ['GET', '/admin/v1/ops/rules'],
      ['GET', '/admin/v1/ops/state'],
      ['POST', '/admin/v1/ops/deployments/primary/restore'],
    ]) {
      const res = await fetch(`${env.url}${path}`, { method, headers: { authorization: `Bearer ${tenantKey}` } });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(((await res.json()) as { code: string }).code, 'ops_superadmin_only');
    }
  });
});
