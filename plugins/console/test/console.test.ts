import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { startTestGateway, type TestGateway } from '@aihub/core/testing';
import tenancy from '@aihub/plugin-tenancy';
import auth from '@aihub/plugin-auth';
import consolePlugin, { redirectUris } from '../src/index';

const INDEX =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AI Hub console</title><base href="/admin/"><link rel="stylesheet" href="styles-ABCD1234.css"></head><body><app-root></app-root><script src="main-EFGH5678.js" type="module"></script></body></html>';
const MAIN = `console.log(${JSON.stringify('x'.repeat(4000))});`;

/** A stand-in for admin-ui/dist/browser: the plugin's behaviour does not depend on Angular's output. */
function fakeDist(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'aihub-console-'));
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'main-EFGH5678.js'), MAIN);
  writeFileSync(path.join(dir, 'styles-ABCD1234.css'), 'body{margin:0}');
  mkdirSync(path.join(dir, 'i18n'));
  writeFileSync(path.join(dir, 'i18n', 'en.json'), '{"a":"b"}');
  return dir;
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

async function start(dist: string, console: Record<string, unknown> = {}): Promise<TestGateway> {
  const port = await freePort();
  return startTestGateway({
    plugins: [tenancy, auth, consolePlugin],
    pluginConfig: {
      auth: {
        keySecret: 'console-test-secret-0123456789abcdefghijklmnop',
        issuer: `http://127.0.0.1:${port}`,
        bootstrap: { print: false },
      },
      console: { distDir: dist, ...console },
    },
    config: { server: { port } },
  });
}

describe('console plugin', () => {
  let dist: string;
  let gw: TestGateway;
  before(async () => {
    dist = fakeDist();
    gw = await start(dist);
  });
  after(async () => {
    await gw?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  test('index.html: base href, settings meta, no-store, and a CSP whose style nonce is the one on <app-root>', async () => {
    const res = await gw.fetch('/admin/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    assert.match(html, /<base href="\/admin\/">/);
    const meta = /<meta name="aihub-console" content="([^"]+)">/.exec(html);
    assert.ok(meta, 'settings meta tag');
    assert.deepEqual(JSON.parse(meta[1].replace(/&quot;/g, '"')), {
      clientId: 'aihub-console',
      apiBase: '',
      basePath: '/admin/',
      traceUrl: null,
    });
    const nonce = /<app-root ngCspNonce="([^"]+)">/.exec(html)?.[1];
    assert.ok(nonce);
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.ok(csp.includes(`style-src 'self' 'nonce-${nonce}'`), csp);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.match(csp, /frame-ancestors 'none'/);
    const again = await (await gw.fetch('/admin/')).text();
    assert.notEqual(/ngCspNonce="([^"]+)"/.exec(again)?.[1], nonce, 'a fresh nonce per response');
  });

  test('SPA fallback: client routes (deep links with queries) get index.html', async () => {
    for (const p of ['/admin/tenants', '/admin/audit?actor=u_1&since=2026-01-01', '/admin/callback?code=x&state=y']) {
      const res = await gw.fetch(p);
      assert.equal(res.status, 200, p);
      assert.match(await res.text(), /<app-root ngCspNonce=/, p);
    }
  });

  test('hashed assets: immutable for a year, compressed when asked, ETag revalidation for the rest', async () => {
    const plain = await gw.fetch('/admin/main-EFGH5678.js', { headers: { 'accept-encoding': 'identity' } });
    assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(plain.headers.get('content-type')!, /javascript/);
    assert.equal(await plain.text(), MAIN);
    const gz = await fetch(`${gw.url}/admin/main-EFGH5678.js`, { headers: { 'accept-encoding': 'gzip' } }).then(
      async (r) => ({ enc: r.headers.get('content-encoding'), body: Buffer.from(await r.arrayBuffer()) }),
    );
    // fetch decodes transparently; ask node:http-level bytes via a raw request instead.
    assert.ok(gz.enc === 'gzip' || gz.body.toString() === MAIN);
    const raw = await rawGet(gw.url, '/admin/main-EFGH5678.js', { 'accept-encoding': 'br, gzip' });
    assert.equal(raw.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(raw.body).toString(), MAIN);
    const rawGz = await rawGet(gw.url, '/admin/main-EFGH5678.js', { 'accept-encoding': 'gzip' });
    assert.equal(gunzipSync(rawGz.body).toString(), MAIN);
    assert.ok(rawGz.body.length < MAIN.length / 4);
    const i18n = await gw.fetch('/admin/i18n/en.json');
    assert.equal(i18n.headers.get('cache-control'), 'no-cache');
    const etag = i18n.headers.get('etag')!;
    assert.equal((await gw.fetch('/admin/i18n/en.json', { headers: { 'if-none-match': etag } })).status, 304);
  });

  test('a missing file is a 404, never index.html', async () => {
    const res = await gw.fetch('/admin/main-ZZZZ9999.js');
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: string }).code, 'console_file_not_found');
    assert.equal((await gw.fetch('/admin/..%2f..%2fpackage.json')).status, 404);
  });

  test('never shadows the admin API: known routes answer, unknown ones are a problem+json 404', async () => {
    const me = await gw.fetch('/admin/v1/me');
    assert.equal(me.status, 401);
    assert.match(me.headers.get('content-type')!, /problem\+json/);
    const unknown = await gw.fetch('/admin/v1/no-such-route');
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type')!, /problem\+json/);
    assert.equal(((await unknown.json()) as { code: string }).code, 'route_not_found');
    assert.equal((await gw.fetch('/admin/v1/openapi.json')).status, 200);
  });

  test('/admin redirects to /admin/', async () => {
    const res = await gw.fetch('/admin', { redirect: 'manual' });
    assert.equal(res.status, 308);
    assert.equal(res.headers.get('location'), '/admin/');
  });

  test('registers the first-party public client: code + PKCE to the console callback, refresh tokens, no secret', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: 'aihub-console',
      redirect_uri: `${gw.url}/admin/callback`,
      scope: 'openid admin:read admin:write',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
    });
    const res = await gw.fetch(`/oauth/authorize?${params}`, { redirect: 'manual' });
    assert.equal(res.status, 303, await res.text());
    assert.match(res.headers.get('location')!, /\/oauth\/interaction\//);
    const wrong = await gw.fetch(
      `/oauth/authorize?${new URLSearchParams({ ...Object.fromEntries(params), redirect_uri: 'https://evil.example/admin/callback' })}`,
      { redirect: 'manual' },
    );
    assert.notEqual(wrong.status, 303, 'an unregistered redirect URI is refused');
    // Without PKCE the authorization server refuses a public client.
    params.delete('code_challenge');
    params.delete('code_challenge_method');
    const noPkce = await gw.fetch(`/oauth/authorize?${params}`, { redirect: 'manual' });
    const refused = decodeURIComponent(noPkce.headers.get('location') ?? '');
    assert.match(refused, /error=invalid_request/);
    assert.match(refused, /PKCE/);
  });
});

describe('console redirect URIs follow the port in use', () => {
  test('the default config started on another port (--port) accepts the console at 127.0.0.1:<that port>', async () => {
    const port = await freePort();
    // config/aihub.yaml as `aihub start --port <port>` loads it, with AIHUB_PORT unset.
    const { loadConfig } = await import('@aihub/core/testing');
    const { loaded, problems } = await loadConfig({
      file: path.resolve(__dirname, '../../../config/aihub.yaml'),
      env: {},
      port,
    });
    assert.deepEqual(problems, []);
    const entry = loaded!.config.plugins.find((p: { name: string }) => p.name === 'console')!;
    const cfg = consolePlugin.config!.parse(entry.config ?? {});
    const { redirect } = redirectUris(cfg, `http://localhost:${port}`);
    assert.ok(redirect.includes(`http://127.0.0.1:${port}/admin/callback`), redirect.join(' '));
    assert.ok(!redirect.some((u) => u.includes(':8080')), `nothing on 8080: ${redirect.join(' ')}`);

    // Through a gateway on that port with the auth plugin's default issuer (http://localhost:<port>).
    const dist = fakeDist();
    const gw = await startTestGateway({
      plugins: [tenancy, auth, consolePlugin],
      pluginConfig: {
        auth: { keySecret: 'console-test-secret-0123456789abcdefghijklmnop', bootstrap: { print: false } },
        console: { ...cfg, distDir: dist },
      },
      config: { server: { port } },
    });
    try {
      const authorize = (redirectUri: string) => {
        const v = randomBytes(32).toString('base64url');
        const params = new URLSearchParams({
          response_type: 'code',
          client_id: 'aihub-console',
          redirect_uri: redirectUri,
          scope: 'openid admin:read',
          code_challenge: createHash('sha256').update(v).digest('base64url'),
          code_challenge_method: 'S256',
          state: 's',
        });
        return gw.fetch(`/oauth/authorize?${params}`, { redirect: 'manual' });
      };
      assert.equal((await authorize(`http://127.0.0.1:${port}/admin/callback`)).status, 303);
      assert.equal((await authorize(`http://localhost:${port}/admin/callback`)).status, 303);
      assert.notEqual((await authorize('http://127.0.0.1:8080/admin/callback')).status, 303, 'not the default port');
    } finally {
      await gw.stop();
      rmSync(dist, { recursive: true, force: true });
    }
  });

  test('the twin is added only for loopback names; extraOrigins still add theirs', () => {
    const cfg = consolePlugin.config!.parse({ extraOrigins: ['https://ops.example'] });
    assert.deepEqual(redirectUris(cfg, 'https://aihub.example').redirect, [
      'https://aihub.example/admin/callback',
      'https://ops.example/admin/callback',
    ]);
    assert.deepEqual(redirectUris(consolePlugin.config!.parse({}), 'http://127.0.0.1:9001').redirect, [
      'http://127.0.0.1:9001/admin/callback',
      'http://localhost:9001/admin/callback',
    ]);
  });
});

describe('console plugin behind a reverse proxy prefix', () => {
  test('basePath /gw/admin/ and apiBase /gw: base href, meta, callback redirect URI', async () => {
    const dist = fakeDist();
    const gw = await start(dist, {
      basePath: '/gw/admin/',
      apiBase: '/gw',
      traceUrl: 'http://jaeger:16686/trace/{traceId}?uiEmbed=v0&x=1',
    });
    try {
      const html = await (await gw.fetch('/gw/admin/members')).text();
      assert.match(html, /<base href="\/gw\/admin\/">/);
      assert.match(html, /&quot;apiBase&quot;:&quot;\/gw&quot;/);
      // The trace link template reaches the app, escaped inside the attribute.
      const meta = JSON.parse(
        /<meta name="aihub-console" content="([^"]+)">/
          .exec(html)![1]
          .replace(/&quot;/g, '"')
          .replace(/&amp;/g, '&'),
      );
      assert.equal(meta.traceUrl, 'http://jaeger:16686/trace/{traceId}?uiEmbed=v0&x=1');
      assert.equal((await gw.fetch('/admin/')).status, 404, 'not served at the default path');
      const v = randomBytes(32).toString('base64url');
      const params = new URLSearchParams({
        response_type: 'code',
        client_id: 'aihub-console',
        redirect_uri: `${gw.url}/gw/gw/admin/callback`,
        scope: 'openid admin:read',
        code_challenge: createHash('sha256').update(v).digest('base64url'),
        code_challenge_method: 'S256',
        state: 's',
      });
      assert.equal((await gw.fetch(`/oauth/authorize?${params}`, { redirect: 'manual' })).status, 303);
    } finally {
      await gw.stop();
      rmSync(dist, { recursive: true, force: true });
    }
  });

  test('config refuses a base path under the API and a missing build says how to build it', async () => {
    assert.equal(consolePlugin.config!.safeParse({ basePath: '/admin/v1/ui/' }).success, false);
    assert.equal(consolePlugin.config!.safeParse({ basePath: 'admin' }).success, false);
    // traceUrl: an http(s) URL with {traceId} exactly once.
    assert.equal(consolePlugin.config!.safeParse({ traceUrl: 'http://jaeger:16686/trace/' }).success, false);
    assert.equal(consolePlugin.config!.safeParse({ traceUrl: 'javascript:alert(1)//{traceId}' }).success, false);
    assert.equal(consolePlugin.config!.safeParse({ traceUrl: 'http://j/{traceId}/{traceId}' }).success, false);
    assert.equal(
      consolePlugin.config!.safeParse({ traceUrl: 'https://grafana.example/explore?trace={traceId}' }).success,
      true,
    );
    const empty = mkdtempSync(path.join(tmpdir(), 'aihub-console-empty-'));
    try {
      await assert.rejects(start(empty), /npm run build/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

/** A GET whose body is not decoded (fetch would undo the content encoding). */
async function rawGet(
  base: string,
  p: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${p}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}
