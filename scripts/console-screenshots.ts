/**
 * Screenshots of every console screen, light and dark, plus one in Chinese → docs/console/*.png.
 * Starts the same environment as the browser tests (a gateway on PostgreSQL + Redis serving the built
 * console, Debian's chromium), seeds a few tenants, users and audit entries, and signs in as the
 * bootstrap superadmin. Run: npm run console:screenshots (SCREENS=usage,cache … for some of them only)
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { AiControl } from '@aihub/core/plugin-api';
import cache from '@aihub/plugin-cache';
import rateLimit from '@aihub/plugin-rate-limit';
import health from '@aihub/plugin-health';
import usage from '@aihub/plugin-usage';
import behavior from '@aihub/plugin-behavior';
import ops from '@aihub/plugin-ops';
import { startConsoleEnv } from '../test/e2e/console/harness';

const OUT = path.resolve(__dirname, '..', 'docs', 'console');
/** `SCREENS=usage,cache`: only these (and no Chinese shot), to refresh one area's screenshots. */
const ONLY = process.env.SCREENS ? new Set(process.env.SCREENS.split(',').map((s) => s.trim())) : undefined;
/** The behavior screens' range: the last 14 UTC days (the seeded events fall in it). */
const B_TO = new Date().toISOString().slice(0, 10);
const B_FROM = new Date(Date.now() - 13 * 86_400_000).toISOString().slice(0, 10);
const B_RANGE = `from=${B_FROM}&to=${B_TO}`;

/** Screen name → console path and what to wait for before the shot. */
const SCREENS: {
  name: string;
  path: string;
  ready: string;
  after?: (page: Page) => Promise<void>;
  /** A taller window (px) for a long screen, so the shot holds every table (the content scrolls inside the layout). */
  height?: number;
}[] = [
  { name: 'overview', path: '/home', ready: '[data-testid=home-role]' },
  { name: 'tenants', path: '/tenants', ready: '[data-testid=tenant-table]' },
  {
    name: 'tenant-create',
    path: '/tenants',
    ready: '[data-testid=tenant-table]',
    after: async (page) => {
      await page.click('[data-testid=tenant-create]');
      await page.waitForSelector('[data-testid=tenant-name]');
    },
  },
  { name: 'users', path: '/users', ready: '[data-testid=user-table]' },
  { name: 'members', path: '/members', ready: '[data-testid=member-table]' },
  {
    name: 'member-invite',
    path: '/members',
    ready: '[data-testid=member-table]',
    after: async (page) => {
      await page.click('[data-testid=member-invite]');
      await page.fill('[data-testid=invite-email]', 'grace@default.example');
      await page.waitForSelector('[data-testid=invite-send]');
    },
  },
  { name: 'invitations', path: '/invitations', ready: '[data-testid=invitation-table]' },
  { name: 'teams', path: '/teams', ready: '[data-testid=team-table] tbody tr' },
  { name: 'api-keys', path: '/api-keys', ready: '[data-testid=key-table] tbody tr' },
  { name: 'oauth-clients', path: '/oauth-clients', ready: '[data-testid=client-table] tbody tr' },
  { name: 'audit', path: '/audit', ready: '[data-testid=audit-table]' },
  {
    name: 'audit-detail',
    path: '/audit?scope=platform&action=tenant.create',
    ready: '[data-testid=audit-table]',
    after: async (page) => {
      await page.click('[data-testid=audit-table] tr[data-action="tenant.create"] button');
      await page.waitForSelector('[data-testid=audit-drawer] pre');
    },
  },
  { name: 'account', path: '/account', ready: '[data-testid=profile]' },
  { name: 'usage', path: '/usage', ready: '[data-testid=usage-totals]' },
  { name: 'budgets', path: '/budgets', ready: '[data-testid=budget-daily]' },
  { name: 'limits', path: '/limits', ready: '[data-testid=limits-table]' },
  { name: 'cache', path: '/cache', ready: '[data-testid=cache-overall]' },
  { name: 'dashboard', path: '/overview', ready: '[data-testid=ov-requests]' },
  { name: 'requests', path: '/requests', ready: '[data-testid=rq-table] tbody tr' },
  {
    name: 'request-detail',
    path: '/requests',
    ready: '[data-testid=rq-table] tbody tr',
    after: async (page) => {
      // The oldest request went upstream (the newest is a cache hit, with no attempts to show).
      await page.click('[data-testid=rq-table] tbody tr:last-child');
      await page.waitForSelector('[data-testid=rq-attempts]');
    },
  },
  { name: 'playground', path: '/playground', ready: '[data-testid=pg-key]' },
  { name: 'health', path: '/health', ready: '[data-testid=health-plugin-list] tbody tr' },
  // The live wall over 5 minutes (the seeded traffic may be older than the default minute), then its kiosk layout.
  { name: 'monitor', path: '/monitor', ready: '[data-testid=monitor-tiles]', after: (page) => monitorWindow(page) },
  {
    name: 'monitor-fullscreen',
    path: '/monitor',
    ready: '[data-testid=monitor-tiles]',
    after: async (page) => {
      await monitorWindow(page);
      await page.click('[data-testid=monitor-fullscreen]');
      await page.waitForSelector('[data-testid=monitor-wall][data-kiosk=true]');
    },
  },
  { name: 'models', path: '/models', ready: '[data-testid=catalog-models] tbody tr' },
  { name: 'experiments', path: '/experiments', ready: '[data-testid=exp-window]' },
  { name: 'behavior-trends', path: `/behavior/trends?${B_RANGE}`, ready: '[data-testid=trends-table] tbody tr' },
  {
    name: 'behavior-funnels',
    path: `/behavior/funnels?${B_RANGE}&steps=signup,activate,purchase`,
    ready: '[data-testid=funnel-table] tbody tr',
  },
  {
    name: 'behavior-retention',
    path: `/behavior/retention?${B_RANGE}&interval=day&periods=10`,
    ready: '[data-testid=retention-table] tbody tr',
  },
  { name: 'behavior-user', path: '/behavior/users?id=user-1', ready: '[data-testid=user-timeline] tbody tr' },
  { name: 'ops-rules', path: '/ops/rules', ready: '[data-testid=ops-rules-table] tr[data-rule]' },
  { name: 'ops-events', path: '/ops/events', ready: '[data-testid=ops-events-table] tr[data-event]' },
  {
    name: 'ops-state',
    path: '/ops/state',
    ready: '[data-testid=ops-weights-table] [data-testid=ops-weight-overridden]',
    height: 1200,
  },
];

/** Screens also shot at 390 px (name in SCREENS, extra query). */
const PHONE_SCREENS: [name: string, query: string][] = [
  ['requests', ''],
  ['api-keys', ''],
  ['usage', '?by=key'],
  ['members', ''],
  ['models', ''],
];

async function monitorWindow(page: Page): Promise<void> {
  await page.selectOption('[data-testid=monitor-window]', '300');
  await page.waitForSelector('[data-testid=monitor-tiles]');
}

/** Behavior events for the analytics screens: 40 users over the last 12 days, through the real ingestion API. */
async function seedBehavior(url: string, key: string): Promise<void> {
  const batch: Record<string, unknown>[] = [];
  const day0 = Date.now() - 12 * 86_400_000;
  for (let u = 0; u < 40; u++) {
    const start = day0 + (u % 10) * 86_400_000 + u * 600_000;
    const steps = ['signup', ...(u % 3 !== 0 ? ['activate'] : []), ...(u % 3 === 1 ? ['purchase'] : [])];
    steps.forEach((event, i) =>
      batch.push({
        type: 'track',
        userId: `user-${u}`,
        event,
        timestamp: new Date(start + i * 3_600_000).toISOString(),
        properties: { plan: u % 2 ? 'pro' : 'free' },
      }),
    );
    for (let d = 1; d <= 8; d++)
      if ((u + d) % 3 === 0 && start + d * 86_400_000 < Date.now())
        batch.push({
          type: 'track',
          userId: `user-${u}`,
          event: 'login',
          timestamp: new Date(start + d * 86_400_000).toISOString(),
        });
  }
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  if (!res.ok) throw new Error(`seeding behavior events: ${res.status} ${await res.text()}`);
}

/** An API rule and a drain by hand (an event and a drained deployment) for the Operations screens, after the traffic. */
async function seedOps(
  api: <T>(method: string, p: string, body?: unknown) => Promise<T>,
  ai: AiControl,
): Promise<void> {
  await api('POST', '/admin/v1/ops/rules', {
    name: 'drain-failing',
    description: 'Drain a deployment failing half its requests; the probe restores it',
    when: { signal: 'error_ratio', above: 0.5, windowSeconds: 60, minSamples: 20 },
    action: { type: 'drain' },
    cooldownSeconds: 300,
  });
  await api('POST', '/admin/v1/ops/rules', {
    name: 'spend-spike',
    when: { signal: 'spend_anomaly', above: 4, windowSeconds: 60, minSamples: 20 },
    action: { type: 'suspend_key' },
    dryRun: true,
  });
  const state = await api<{ deployments: { id: string }[] }>('GET', '/admin/v1/ops/state');
  await api('POST', `/admin/v1/ops/deployments/${encodeURIComponent(state.deployments[0].id)}/drain`, {
    reason: 'provider maintenance window',
  });
  // What rules do, straight through the ai plugin's control: a drain the probe will restore (a rule's
  // drain reason starts "ops rule "; its progress shows) and a weight override (marked beside the
  // configured weight).
  await ai.drain('chat-b', 'ops rule drain-failing: error ratio 0.62 > 0.5 over 60 s', {
    author: 'ops:drain-failing',
  });
  await ai.setWeight('chat', 'chat-a', 1, { author: 'ops:rebalance', reason: 'ops rule rebalance: latency' });
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const env = await startConsoleEnv({
    plugins: [usage, rateLimit, cache, health, behavior, ops],
    pluginConfig: {
      usage: { consumer: { blockMs: 50 } },
      // A rule from config (read-only on the Operations screen); probes rare, so the seeded drain stays.
      ops: {
        probe: { intervalMs: 3_600_000 },
        rules: [
          {
            name: 'slow-upstream',
            description: 'Hold the breaker open while p95 latency is above 5 s',
            when: { signal: 'latency_p95_ms', above: 5000, windowSeconds: 120, minSamples: 50 },
            action: { type: 'force_breaker', state: 'open' },
            cooldownSeconds: 600,
          },
        ],
      },
      behavior: { consumer: { blockMs: 50 } },
      health: { details: { access: 'admin' } },
      // A weighted alias of two deployments for the Operations screen's weights and probed drain.
      ai: {
        models: {
          'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] },
          chat: {
            deployments: [
              { provider: 'mock', model: 'gpt-4o-mini', name: 'chat-a', weight: 3 },
              { provider: 'mock', model: 'gpt-4o', name: 'chat-b', weight: 1 },
            ],
          },
        },
      },
    },
  });
  try {
    for (const [name, slug, plan] of [
      ['Acme Corp', 'acme', undefined],
      ['Globex', 'globex', undefined],
      ['Initech', 'initech', undefined],
    ] as const) {
      const t = await env.api<{ id: string }>('POST', '/admin/v1/tenants', { name, slug, ...(plan ? { plan } : {}) });
      await env.createUser(`owner@${slug}.example`, { tenantId: t.id, role: 'owner' });
    }
    await env.createUser('dev@default.example', { tenantId: env.tenantId, role: 'developer' });
    // A pending invitation for the invitations screen and the public accept page (signed out).
    const invitation = await env.api<{ token: string }>('POST', `/admin/v1/tenants/${env.tenantId}/invitations`, {
      email: 'ada@default.example',
      role: 'viewer',
    });
    // Some traffic for the usage, budgets, limits and cache screens (a repeat is a cache hit).
    const key = (
      await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
        name: 'screenshots',
        scopes: ['ai:invoke'],
      })
    ).key;
    for (const q of ['a', 'b', 'c', 'a']) {
      await fetch(`${env.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          temperature: 0,
          messages: [{ role: 'user', content: `screenshot ${q}` }],
        }),
      }).then((r) => r.arrayBuffer());
    }
    // A request refused before routing (an unknown model): the explorer lists it with its error code.
    await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5-typo', messages: [{ role: 'user', content: 'screenshot refused' }] }),
    }).then((r) => r.arrayBuffer());
    // A team, more keys and an OAuth client for the identity screens.
    await env.api('POST', `/admin/v1/tenants/${env.tenantId}/teams`, {
      name: 'Platform',
      description: 'Gateway and tooling',
    });
    await env.api('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
      name: 'batch jobs',
      scopes: ['ai:invoke'],
      expires_in_days: 90,
    });
    await env.api('POST', `/admin/v1/tenants/${env.tenantId}/oauth-clients`, {
      name: 'worker',
      grant_types: ['client_credentials'],
      scopes: ['ai:invoke'],
    });
    await env.api('PUT', `/admin/v1/tenants/${env.tenantId}/budgets`, {
      daily_hard_micros: 5_000,
      daily_soft_micros: 400,
    });
    await env.api('PUT', `/admin/v1/tenants/${env.tenantId}/limits`, {
      requestsPerMinute: 600,
      tokensPerMinute: 200_000,
    });
    await seedBehavior(
      env.url,
      (
        await env.api<{ key: string }>('POST', `/admin/v1/tenants/${env.tenantId}/api-keys`, {
          name: 'events',
          scopes: ['events:write'],
        })
      ).key,
    );
    await seedOps(env.api, env.gw.runtime(ops).ai()!);
    await new Promise((r) => setTimeout(r, 1500));
    const shots: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const page = await env.newPage({ colorScheme: scheme });
      await env.signIn(page, env.admin);
      for (const screen of SCREENS.filter((s) => !ONLY || ONLY.has(s.name))) {
        const size = page.viewportSize();
        if (screen.height && size) await page.setViewportSize({ width: size.width, height: screen.height });
        await env.navigate(page, screen.path);
        await page.waitForSelector(screen.ready, { timeout: 45_000 });
        await screen.after?.(page);
        await page.waitForTimeout(300);
        const file = path.join(OUT, `${screen.name}-${scheme}.png`);
        await page.screenshot({ path: file });
        if (screen.height && size) await page.setViewportSize(size);
        shots.push(file);
      }
    }
    // The list screens on a phone (390 px), whole page: rows as stacked cards (`SCREENS=phone`).
    if (!ONLY || ONLY.has('phone')) {
      const phone = await env.newPage({ colorScheme: 'light' });
      await env.signIn(phone, env.admin);
      await phone.setViewportSize({ width: 390, height: 844 });
      for (const [name, query] of PHONE_SCREENS) {
        const screen = SCREENS.find((s) => s.name === name)!;
        await env.navigate(phone, screen.path + query);
        await phone.waitForSelector(screen.ready, { timeout: 45_000 });
        await phone.waitForTimeout(300);
        const file = path.join(OUT, `${name}-phone.png`);
        await phone.screenshot({ path: file, fullPage: true });
        shots.push(file);
      }
    }
    if (!ONLY || ONLY.has('invite')) {
      for (const scheme of ['light', 'dark'] as const) {
        const guest = await env.newPage({ colorScheme: scheme });
        await guest.goto(env.consoleUrl(`/invite?token=${encodeURIComponent(invitation.token)}`));
        await guest.waitForSelector('[data-testid=invite-create]', { timeout: 45_000 });
        await guest.waitForTimeout(300);
        const file = path.join(OUT, `invite-${scheme}.png`);
        await guest.screenshot({ path: file });
        shots.push(file);
      }
    }
    if (ONLY) {
      console.log(`console:screenshots: ${shots.length} screenshots in ${path.relative(process.cwd(), OUT)}`);
      return;
    }
    const zh = await env.newPage({ colorScheme: 'light', locale: 'zh-CN' });
    await env.signIn(zh, env.admin);
    await zh.click('[data-testid=language-menu]');
    await zh.click('[data-testid=lang-zh-CN]');
    await env.navigate(zh, '/tenants');
    await zh.waitForSelector('[data-testid=tenant-table]', { timeout: 45_000 });
    await zh.waitForTimeout(300);
    const file = path.join(OUT, 'tenants-zh-CN.png');
    await zh.screenshot({ path: file });
    shots.push(file);
    console.log(`console:screenshots: ${shots.length} screenshots in ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
