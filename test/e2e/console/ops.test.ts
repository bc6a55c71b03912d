/**
 * The Operations screen (issue 18's console screen) in chromium against a gateway with the ops
 * plugin on PostgreSQL + Redis and the bench mock upstream: a rule is created through the form
 * (client checks and a server problem shown next to their fields first), listed, and triggered by
 * the mock upstream failing every request of one deployment — the error-ratio rule drains it; the
 * event shows with its reason, the drained deployment shows in State (probed), and it is restored
 * from the UI after a confirmation; meanwhile State shows the probe's progress (its failures, then
 * healthy probes in a row counting up once the upstream heals), and the event links the catalog
 * revision it made. A deployment is drained by hand from State (a reason required), and an overridden
 * weight is marked beside its configured value. An alias switched to its fallback is switched back the
 * same way. The API is asked at each step and must agree. axe-core on each tab; a tenant owner sees no
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
  deployments: {
    id: string;
    drained: { reason: string } | null;
    probing: boolean;
    probe: { streak: number; required: number; lastResult: string | null } | null;
  }[];
  aliases: {
    alias: string;
    switchedToFallback: boolean;
    weights: Record<string, number>;
    configuredWeights: Record<string, number>;
    overridden: string[];
  }[];
}
interface Events {
  data: {
    rule: string;
    action: string;
    target: string | null;
    outcome: string;
    reason: string;
    revision: number | null;
  }[];
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
            spare: {
              deployments: [
                { provider: 'up', model: 'gpt-4o-mini', name: 'spare-a', weight: 3 },
                { provider: 'up', model: 'gpt-4o', name: 'spare-b', weight: 1 },
              ],
            },
          },
          retry: { maxAttempts: 1 },
          breaker: { enabled: false },
        },
        // Fast evaluation; probes often but 50 healthy ones needed, so the drain stays until the UI restores it.
        ops: { evaluateIntervalMs: 200, sampleIntervalMs: 100, probe: { intervalMs: 300, successes: 50 } },
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
    // The catalog revision the drain made, as the API has it.
    const revision = acted.data[0].revision;
    assert.equal(typeof revision, 'number');
    const revs = await env.api<{ revisions: { revision: number; action: string; author: string | null }[] }>(
      'GET',
      '/admin/v1/ai/catalog/revisions',
    );
    const rev = revs.revisions.find((r) => r.revision === revision);
    assert.equal(rev?.action, 'ai_control.drain');
    assert.equal(rev?.author, 'ops:drain-broken');
    assert.equal(
      (await text('[data-testid=ops-events-table] tr[data-action=drain] [data-testid=ops-event-revision]')).trim(),
      `#${revision}`,
    );
    await env.checkA11y(page, 'ops events');

    // State: the drained deployment, why, and that the probe would restore it.
    await env.navigate(page, '/ops/state');
    await page.waitForSelector('[data-testid=ops-drained-table] tr[data-deployment=primary]');
    const drained = await text('[data-testid=ops-drained-table] tr[data-deployment=primary]');
    assert.match(drained, /ops rule drain-broken/);
    assert.match(drained, /Probed: restored after 50 healthy probes/);
    assert.equal((await primary()).probing, true);
    // Probe progress: failing probes keep the count at 0 …
    const row = '[data-testid=ops-drained-table] tr[data-deployment=primary]';
    await waitUntil(
      async () => /Last probe failed \(HTTP 503\)/.test(await text(`${row} [data-testid=ops-probe-last]`)),
      true,
      'a failed probe shown',
      15_000,
    );
    assert.match(await text(`${row} [data-testid=ops-probe-progress]`), /0 of 50 healthy probes in a row/);
    await env.checkA11y(page, 'ops state (drained)');
    // … and healthy ones count up (the page refreshes on its own), as the API says.
    mock.clearFailures();
    await waitUntil(
      async () => Number(await page.locator(`${row} [data-testid=ops-probe-progress]`).getAttribute('data-streak')) > 0,
      true,
      'healthy probes counted',
      15_000,
    );
    const shown = await text(`${row} [data-testid=ops-probe-progress]`);
    const streak = Number(/(\d+) of 50 healthy probes in a row/.exec(shown)?.[1]);
    assert.ok(streak >= 1 && streak < 50, shown);
    const api = (await primary()).probe!;
    assert.equal(api.required, 50);
    assert.ok(api.streak >= streak, `API streak ${api.streak} ≥ shown ${streak}`);
    assert.match(await text(`${row} [data-testid=ops-probe-last]`), /Last probe healthy/);

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
  });

  test('a deployment is drained by hand from State, with a reason (required), never probed', async () => {
    const spareB = async () => (await state()).deployments.find((d) => d.id === 'spare-b')!;
    const row = '[data-testid=ops-deployments-table] tr[data-deployment=spare-b]';
    await page.waitForSelector(row);
    assert.match(await text(row), /Serving/);
    // Every deployment has the action, not only drained ones.
    assert.equal(await count('[data-testid=ops-deployments-table] [data-testid=ops-drain]'), 4);
    await page.click(`${row} [data-testid=ops-drain]`);
    await page.waitForSelector('[data-testid=action-reason]');
    await waitUntil(
      () => page.evaluate<string | null>("document.activeElement?.getAttribute('data-testid') ?? null"),
      'action-reason',
      'the reason field takes the focus',
    );
    assert.equal(await page.locator('[data-testid=confirm-button]').isDisabled(), true, 'no reason: disabled');
    await page.fill('[data-testid=action-reason]', '   ');
    assert.equal(await page.locator('[data-testid=confirm-button]').isDisabled(), true, 'blank reason: disabled');
    // Left blank, the field says why (announced: the textarea is aria-invalid and described by the error).
    await page.locator('[data-testid=action-reason]').blur();
    await page.waitForSelector('[data-testid=action-reason-error]');
    assert.equal(await page.locator('[data-testid=action-reason]').getAttribute('aria-invalid'), 'true');
    await env.checkA11y(page, 'ops drain dialog');
    await page.fill('[data-testid=action-reason]', 'provider maintenance window');
    await page.click('[data-testid=confirm-button]');
    await page.waitForSelector('[data-testid=ops-drained-table] tr[data-deployment=spare-b]');
    const drained = await text('[data-testid=ops-drained-table] tr[data-deployment=spare-b]');
    assert.match(drained, /by hand: provider maintenance window/);
    assert.match(drained, /Restored by hand only/);
    assert.equal(await count(`${row} [data-testid=ops-drain]`), 0);
    const b = await spareB();
    assert.equal(b.drained?.reason, 'by hand: provider maintenance window');
    assert.equal(b.probing, false);
    assert.equal(b.probe, null);
    const manual = await env.api<Events>('GET', '/admin/v1/ops/events?rule=manual&action=drain');
    assert.deepEqual(
      manual.data.map((e) => [e.target, e.reason]),
      [['spare-b', 'provider maintenance window']],
    );
    const audit = await env.api<{ data: { target_id: string }[] }>(
      'GET',
      '/admin/v1/audit?action=ops_deployment.drain',
    );
    assert.deepEqual(
      audit.data.map((a) => a.target_id),
      ['spare-b'],
    );
    // The manual event shows the revision it made.
    await env.navigate(page, '/ops/events?rule=manual&action=drain');
    await page.waitForSelector('[data-testid=ops-events-table] tr[data-action=drain]');
    assert.equal(
      (await text('[data-testid=ops-events-table] tr[data-action=drain] [data-testid=ops-event-revision]')).trim(),
      `#${manual.data[0].revision}`,
    );
    await env.navigate(page, '/ops/state');
    await page.waitForSelector('[data-testid=ops-drained-table] tr[data-deployment=spare-b]');
    await page.click('[data-testid=ops-drained-table] tr[data-deployment=spare-b] [data-testid=ops-restore]');
    await page.click('[data-testid=confirm-button]');
    await waitUntil(async () => (await spareB()).drained, null, 'spare-b restored');
  });

  test('an overridden weight is marked beside its configured value; reset clears it', async () => {
    // What a set_weight rule does (through the ai plugin's control service).
    await env.gw.runtime(ops).ai()!.setWeight('spare', 'spare-a', 0, { author: 'test' });
    const row = '[data-testid=ops-weights-table] tr[data-alias=spare]';
    await waitUntil(
      () => count(`${row} li[data-deployment=spare-a][data-overridden=true]`),
      1,
      'the override shown',
      15_000,
    );
    assert.match(await text(`${row} li[data-deployment=spare-a]`), /spare-a 0\s*✎ overridden/);
    assert.equal(await count(`${row} [data-testid=ops-weight-overridden]`), 1);
    const configured = await page.locator(`${row} [data-testid=ops-weight-configured]`).allInnerTexts();
    assert.deepEqual(
      configured.map((c) => c.trim()),
      ['spare-a 3', 'spare-b 1'],
    );
    const api = (await state()).aliases.find((a) => a.alias === 'spare')!;
    assert.deepEqual(
      [api.weights, api.configuredWeights, api.overridden],
      [{ 'spare-a': 0, 'spare-b': 1 }, { 'spare-a': 3, 'spare-b': 1 }, ['spare-a']],
    );
    await env.checkA11y(page, 'ops state (weights overridden)');
    await page.click(`${row} button`);
    await page.click('[data-testid=confirm-button]');
    await waitUntil(() => count(`${row} [data-testid=ops-weight-overridden]`), 0, 'the override cleared');
    assert.deepEqual((await state()).aliases.find((a) => a.alias === 'spare')!.overridden, []);
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
