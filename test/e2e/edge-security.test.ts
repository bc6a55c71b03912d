/**
 * The HTTP edge with the production chain (health, tenancy, auth, ai on the mock provider), issue 13
 * findings 4, 7b, 11 and 13: uploads refused from their headers with the real authenticator, odd
 * methods on real routes (OAuth's included) never 5xx, readiness details for superadmins only, and
 * the OAuth login page signing in in a real browser under the security headers (no CSP violation).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import auth, { generateApiKey } from '@aihub/plugin-auth';
import ai from '@aihub/plugin-ai';
import health from '@aihub/plugin-health';
import tenancy from '@aihub/plugin-tenancy';
import { rawRequest } from '../../core/src/testing/edgeKit';

const CHROMIUM = process.env.AIHUB_CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'correct horse battery staple';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('HTTP edge with the production chain', () => {
  let gw: TestGateway;
  let url: string;
  const admin = generateApiKey().key;
  let tenantAdminKey: string;
  let tenantId: string;
  const post = async (path: string, body: unknown, key = admin) => {
    const res = await gw.fetch(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gw = await startTestGateway({
      plugins: [health, tenancy, auth, ai],
      pluginConfig: {
        health: { cacheMs: 0, details: { access: 'admin' } },
        auth: {
          keySecret: 'edge-e2e-secret-0123456789abcdefghijklmnopqrstuv',
          issuer: url,
          bootstrap: { adminKey: admin, print: false },
        },
        ai: {
          requireAuth: true,
          providers: { mock: { type: 'mock', mock: { latencyMs: 0 } } },
          models: { 'gpt-4o-mini': { deployments: [{ provider: 'mock', model: 'gpt-4o-mini' }] } },
        },
      },
      config: { server: { port, bodyLimit: '10mb' } },
    });
    const t = await post('/admin/v1/tenants', { name: 'Edge', slug: 'edge' });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    tenantId = t.body.id as string;
    const k = await post(`/admin/v1/tenants/${tenantId}/api-keys`, {
      name: 'tenant admin',
      scopes: ['ai:invoke', 'admin:read', 'admin:write'],
      role: 'admin',
    });
    assert.equal(k.status, 201, JSON.stringify(k.body));
    tenantAdminKey = k.body.key as string;
  });
  after(() => gw?.stop());

  it('refuses 9.9 MB uploads without a key or with a forged one from the headers: 401 at once, connection closed, body unread', async () => {
    const forged = generateApiKey().key;
    for (const credential of ['', `Authorization: Bearer ${forged}\r\n`, 'Authorization: Basic YTpi\r\n']) {
      const res = await rawRequest(
        gw.kernel.port,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${credential}Content-Type: application/json\r\nContent-Length: 9900000\r\n\r\n`,
        {
          body: '{"model":"gpt-4o-mini","messages":[',
          timeoutMs: 5000,
        },
      );
      assert.equal(res.status, 401, credential);
      assert.ok(res.answeredAfterMs < 2000, `answered after ${res.answeredAfterMs} ms`);
      assert.equal(res.headers.connection, 'close');
      assert.ok(res.closed);
    }
    const ok = await gw.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(ok.status, 200);
  });

  it('answers odd methods on real routes (OpenAI API, admin API, OAuth server, health) without a 5xx', async () => {
    const paths = [
      '/v1/chat/completions',
      '/v1/models',
      '/admin/v1/tenants',
      `/admin/v1/tenants/${tenantId}`,
      '/oauth/token',
      '/oauth/authorize',
      '/.well-known/openid-configuration',
      '/health/ready',
    ];
    for (const method of [
      'TRACE',
      'PROPFIND',
      'MKCOL',
      'LOCK',
      'SEARCH',
      'PURGE',
      'LINK',
      'UNLINK',
      'REPORT',
      'MOVE',
      'COPY',
    ]) {
      for (const path of paths) {
        const res = await rawRequest(
          gw.kernel.port,
          `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`,
          { closeWithinMs: 0 },
        );
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} → ${res.status} ${res.body.slice(0, 200)}`);
        assert.doesNotMatch(res.body, /\bat .+:\d+:\d+/, 'no stack trace');
      }
    }
  });

  it('gives /health/ready details and /health/details to superadmins only', async () => {
    const anonymous = (await (await gw.fetch('/health/ready')).json()) as Record<string, unknown>;
    assert.deepEqual(anonymous, { status: 'ok' });
    const tenantAdmin = (await (
      await gw.fetch('/health/ready', { headers: { authorization: `Bearer ${tenantAdminKey}` } })
    ).json()) as Record<string, unknown>;
    assert.deepEqual(tenantAdmin, { status: 'ok' });
    assert.equal(
      (await gw.fetch('/health/details', { headers: { authorization: `Bearer ${tenantAdminKey}` } })).status,
      403,
    );
    const platform = (await (
      await gw.fetch('/health/ready', { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as { checks?: Record<string, unknown> };
    assert.ok(platform.checks && 'core:database' in platform.checks);
    assert.equal((await gw.fetch('/health/details', { headers: { authorization: `Bearer ${admin}` } })).status, 200);
  });

  it(
    'signs in through the OAuth login page in a real browser under the security headers, without a CSP violation',
    { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is missing` },
    async () => {
      // The client's redirect URI: another origin, as a real app's is.
      const codes: string[] = [];
      const app = http.createServer((req, res) => {
        const u = new URL(req.url!, 'http://x');
        if (u.searchParams.get('code')) codes.push(u.searchParams.get('code')!);
        res.writeHead(200, { 'content-type': 'text/html' }).end('<p>back in the app</p>');
      });
      await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
      const redirect = `http://127.0.0.1:${(app.address() as net.AddressInfo).port}/cb`;
      const email = 'edge-user@example.com';
      assert.equal((await post('/admin/v1/users', { email, password: PASSWORD })).status, 201);
      assert.equal((await post(`/admin/v1/tenants/${tenantId}/members`, { email, role: 'developer' })).status, 201);
      const client = await post(`/admin/v1/tenants/${tenantId}/oauth-clients`, {
        name: 'web app',
        grant_types: ['authorization_code'],
        redirect_uris: [redirect],
        scopes: ['ai:invoke'],
        token_endpoint_auth_method: 'none',
      });
      assert.equal(client.status, 201, JSON.stringify(client.body));
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const q = new URLSearchParams({
        client_id: client.body.client_id as string,
        response_type: 'code',
        redirect_uri: redirect,
        scope: 'openid ai:invoke',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        const violations: string[] = [];
        page.on('console', (m) => {
          if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
        });
        const login = await page.goto(`${url}/oauth/authorize?${q}`);
        assert.equal(login?.status(), 200);
        const headers = login!.headers();
        assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
        assert.equal(headers['x-frame-options'], 'DENY');
        assert.equal(headers['cache-control'], 'no-store');
        assert.equal(headers['x-content-type-options'], 'nosniff');
        await page.fill('#email', email);
        await page.fill('#password', PASSWORD);
        await Promise.all([
          page.waitForURL((u) => u.href.startsWith(redirect) || u.pathname.includes('/interaction/'), {
            timeout: 10_000,
          }),
          page.click('button[type=submit]'),
        ]);
        if (!page.url().startsWith(redirect)) {
          // The consent page, when shown.
          await Promise.all([
            page.waitForURL((u) => u.href.startsWith(redirect), { timeout: 10_000 }),
            page.click('button[value=allow]'),
          ]);
        }
        assert.ok(page.url().startsWith(redirect), page.url());
        assert.equal(codes.length, 1, 'the app received the authorization code');
        assert.deepEqual(violations, []);
      } finally {
        await browser.close();
        app.close();
      }
    },
  );
});
