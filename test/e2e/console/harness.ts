/**
 * The admin console's browser-test harness: a real gateway on PostgreSQL + Redis serving the built
 * console, Debian's chromium driven by playwright-core (never a downloaded browser), sign-in through
 * the real OAuth login page, and axe-core run inside the page.
 *
 * ```ts
 * const env = await startConsoleEnv();
 * const page = await env.newPage();
 * await env.signIn(page, env.admin);                 // the bootstrap superadmin
 * await page.goto(env.consoleUrl('/tenants'));
 * await env.checkA11y(page);                         // no serious or critical axe violations
 * await env.stop();
 * ```
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createBackend, startTestGateway, type Backend, type BackendKind, type TestGateway } from '@aihub/core/testing';
import type { PluginDefinition } from '@aihub/core/plugin-api';
import ai from '@aihub/plugin-ai';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import consolePlugin from '@aihub/plugin-console';
import tenancy from '@aihub/plugin-tenancy';

const root = path.resolve(__dirname, '..', '..', '..');
export const CHROMIUM = process.env.AIHUB_CHROMIUM ?? '/usr/bin/chromium';
const DIST = path.join(root, 'admin-ui', 'dist', 'browser');
export const PASSWORD = 'console-test-password-1';

/** A user the tests sign in as. */
export interface Account {
  email: string;
  password: string;
  id: string;
}

export interface ConsoleEnvOptions {
  /** Access-token lifetime (s): short to exercise refresh and expiry (the server's minimum is 30). */
  accessTokenTtlSeconds?: number;
  /** Extra plugin config, merged over the harness's (by plugin name). */
  pluginConfig?: Record<string, Record<string, unknown>>;
  /** More plugins (usage, rate-limit, cache …), loaded after ai and before the console. */
  plugins?: PluginDefinition[];
  /** Core config merged over the harness's (e.g. `telemetry` to trace requests). */
  config?: Record<string, unknown>;
  /** Browser colour scheme and language (screenshots). */
  colorScheme?: 'light' | 'dark';
  locale?: string;
  /** The storage behind the gateway: PostgreSQL + Redis (default) or the embedded default (SQLite, in-memory KV; the console bench). */
  backend?: BackendKind;
}

export interface ConsoleEnv {
  gw: TestGateway;
  backend: Backend;
  /** `http://127.0.0.1:<port>` (the OAuth issuer too). */
  url: string;
  /** The bootstrap superadmin's API key (every scope) for setting up data through the API. */
  adminKey: string;
  /** The bootstrap superadmin, with a known password. */
  admin: Account;
  /** The bootstrap tenant's id. */
  tenantId: string;
  browser: Browser;
  consoleUrl(p?: string): string;
  /** A page in a fresh browser context (its own cookies: a separate user at the login page). */
  newPage(options?: { colorScheme?: 'light' | 'dark'; locale?: string }): Promise<Page>;
  /** Admin API call as the superadmin key; throws with the problem body on an error status. */
  api<T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T>;
  /** A platform user with a password, optionally a member of `tenantId` with `role`. */
  createUser(
    email: string,
    membership?: { tenantId: string; role: 'owner' | 'admin' | 'developer' | 'viewer' },
  ): Promise<Account>;
  /** Signs `page` in through the login page; lands on `path` (default the overview). */
  signIn(page: Page, account: { email: string; password: string }, p?: string): Promise<void>;
  /**
   * Client-side navigation to a console path (no reload, so no new sign-in round trip): what a
   * click on a link does. `page.goto` reloads the app, which signs in again through the
   * authorization server's session.
   */
  navigate(page: Page, p: string): Promise<void>;
  /** Runs axe-core in the page: fails on serious or critical violations. */
  checkA11y(page: Page, what?: string): Promise<void>;
  /** CSP violations and page errors seen so far (a test may assert none). */
  pageErrors: string[];
  stop(): Promise<void>;
}

/** Builds admin-ui when its output is missing (CI builds it in `npm run build` first). */
/**
 * Waits until `poll()` answers `want` (polled from the test, 50 ms apart). Page state is read through
 * locators rather than a string `page.waitForFunction`, which the console's CSP (script-src 'self',
 * no eval) refuses whenever Playwright has to evaluate the string inside the page.
 */
export async function waitUntil<T>(poll: () => Promise<T>, want: T, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await poll();
  while (last !== want) {
    if (Date.now() > deadline)
      assert.fail(`${what}: waited ${timeoutMs} ms for ${String(want)}, last saw ${String(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await poll();
  }
}

export function ensureConsoleBuilt(): void {
  if (existsSync(path.join(DIST, 'index.html'))) return;
  console.log('test/e2e/console: admin-ui is not built; building it (npm run build -w admin-ui)…');
  execFileSync('npx', ['ng', 'build'], { cwd: path.join(root, 'admin-ui'), stdio: 'inherit', timeout: 600_000 });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Debian's chromium with the flags CI needs; playwright-core gives it a fresh temporary profile. */
export function launchChromium(): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (never let a tool download a browser)`,
  );
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

let axeSource: string | undefined;

export async function startConsoleEnv(options: ConsoleEnvOptions = {}): Promise<ConsoleEnv> {
  ensureConsoleBuilt();
  const backend = await createBackend(options.backend ?? 'postgres');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminKey = generateApiKey().key;
  const extra = options.pluginConfig ?? {};
  let gw: TestGateway;
  try {
    gw = await startTestGateway({
      plugins: [tenancy, auth, ai, ...(options.plugins ?? []), consolePlugin],
      pluginConfig: {
        // Config of the extra plugins as given; the harness's own plugins merge theirs below.
        ...extra,
        // Invitation links as production makes them: <publicUrl>/admin/invite?token=… on the gateway's own origin.
        tenancy: {
          ...extra.tenancy,
          invitations: { publicUrl: url, ...(extra.tenancy?.invitations as object | undefined) },
        },
        auth: {
          keySecret: 'console-e2e-secret-0123456789abcdefghijklmnopqrstuv',
          issuer: url,
          bootstrap: { adminKey, print: false },
          ...(options.accessTokenTtlSeconds ? { oauth: { accessTokenTtlSeconds: options.accessTokenTtlSeconds } } : {}),
          ...extra.auth,
        },
        ai: {
          requireAuth: true,
          providers: { mock: { type: 'mock', mock: { latencyMs: 0, completionTokens: 8 } } },
          models: { 'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] } },
          ...extra.ai,
        },
        console: { ...extra.console },
      },
      config: { ...backend.config, ...options.config, server: { port } },
    });
  } catch (err) {
    await backend.cleanup();
    throw err;
  }
  const api = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
  const me = await api<{ user: { id: string; email: string }; tenant: { id: string } }>('GET', '/admin/v1/me');
  await api('PATCH', `/admin/v1/users/${me.user.id}`, { password: PASSWORD });
  const admin: Account = { email: me.user.email, password: PASSWORD, id: me.user.id };

  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const env: ConsoleEnv = {
    gw,
    backend,
    url,
    adminKey,
    admin,
    tenantId: me.tenant.id,
    browser,
    pageErrors,
    consoleUrl: (p = '/') => `${url}/admin${p.startsWith('/') ? p : `/${p}`}`,
    async newPage(o = {}) {
      const context = await browser.newContext({
        colorScheme: o.colorScheme ?? options.colorScheme ?? 'light',
        locale: o.locale ?? options.locale ?? 'en-US',
        viewport: { width: 1280, height: 800 },
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('console', (msg) => {
        if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text()))
          pageErrors.push(`CSP: ${msg.text()}`);
      });
      page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
      return page;
    },
    api,
    async createUser(email, membership) {
      const user = await api<{ id: string }>('POST', '/admin/v1/users', { email, password: PASSWORD });
      if (membership)
        await api('POST', `/admin/v1/tenants/${membership.tenantId}/members`, { email, role: membership.role });
      return { email, password: PASSWORD, id: user.id };
    },
    async signIn(page, account, p = '/') {
      await page.goto(env.consoleUrl(p));
      // The console redirects to the authorization server's login page.
      await page.waitForURL(/\/oauth\/interaction\//, { timeout: 20_000 });
      await page.fill('#email', account.email);
      await page.fill('#password', account.password);
      await Promise.all([
        page.waitForURL((u) => u.pathname.startsWith('/admin/') && !u.pathname.startsWith('/admin/callback'), {
          timeout: 20_000,
        }),
        page.click('button[type=submit]'),
      ]);
      await page.waitForSelector('[data-testid=nav]', { timeout: 20_000 });
    },
    async navigate(page, p) {
      const target = JSON.stringify(new URL(env.consoleUrl(p)).pathname + new URL(env.consoleUrl(p)).search);
      await page.evaluate(
        `history.pushState(null, '', ${target}); dispatchEvent(new PopStateEvent('popstate', { state: null }))`,
      );
      await page.waitForURL((u) => u.pathname + u.search === JSON.parse(target));
    },
    async checkA11y(page, what = page.url()) {
      axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
      // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) does not block it.
      await page.evaluate(axeSource);
      // Let running CSS transitions and animations end first (e.g. a button fading from disabled to
      // enabled just after a click, a form field's error message fading in): axe would otherwise
      // measure the contrast of a colour halfway through. An animation can start a frame after the
      // element it animates appears, so look again after two frames until none is left (endless ones,
      // such as spinners, do not count), for 2 s at most.
      await page.evaluate(`(async () => {
        const until = Date.now() + 2000;
        for (;;) {
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const left = document.getAnimations().filter((a) => a.playState !== 'finished' && a.playState !== 'idle' && a.effect?.getTiming().iterations !== Infinity);
          if (!left.length || Date.now() > until) return;
          await Promise.race([Promise.all(left.map((a) => a.finished.catch(() => {}))), new Promise((r) => setTimeout(r, until - Date.now()))]);
        }
      })()`);
      // A string expression: it runs in the page (this file is type-checked without the DOM library).
      const violations = (await page.evaluate(
        `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
      )) as { id: string; impact: string; help: string; targets: string[] }[];
      const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(bad, [], `axe on ${what}: ${JSON.stringify(bad, null, 2)}`);
    },
    async stop() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await gw.stop().catch(() => {});
      await backend.cleanup().catch(() => {});
    },
  };
  return env;
}
