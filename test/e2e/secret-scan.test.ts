/**
 * The log and telemetry secret scan (issue 13). A production-chain gateway (embedded default, and
 * PostgreSQL + Redis) with logs captured at debug level, every trace exported to a local OTLP
 * receiver and metrics scraped runs the whole tour: the bootstrap superadmin key, a tenant, a user
 * with a password (and a new one), API keys (and a refused one), an OAuth client's secret (and a
 * wrong one) and its access token, a sign-in with a wrong password, and chat, streaming and
 * embeddings calls to an upstream that refuses its provider key with that key echoed in its error
 * text. None of those secrets — nor their distinctive parts — may appear in a log line, a span, the
 * metrics, an answer (beyond the one that creates it) or an audit entry.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Kernel, createLogger } from '@aihub/core';
import { createBackend, type BackendKind } from '@aihub/core/testing';
import { generateApiKey } from '@aihub/plugin-auth';
import { PRODUCTION_PLUGINS, SECURITY_KEY_SECRET, productionPluginConfig } from './support/security-gateway';
import {
  logCapture,
  scan,
  startLeakyUpstream,
  startRawOtlpReceiver,
  type Leak,
  type Secret,
} from './support/secret-scan';

const REDIRECT = 'https://app.example/callback';

/** A small browser for the login page: a cookie jar and manual redirects. */
class Browser {
  private readonly jar = new Map<string, string>();
  constructor(private readonly base: string) {}

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url.startsWith('http') ? url : `${this.base}${url}`, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }

  async follow(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    let current = url.startsWith('http') ? url : `${this.base}${url}`;
    for (let i = 0; i < 10 && res.status >= 300 && res.status < 400; i++) {
      current = new URL(res.headers.get('location')!, current).toString();
      if (!current.startsWith(this.base)) break;
      await res.arrayBuffer();
      res = await this.request(current);
    }
    return { res, url: current };
  }
}

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(
    `secret scan on ${kind === 'embedded' ? 'the embedded default (SQLite)' : 'PostgreSQL + Redis'}`,
    { timeout: 90_000 },
    () => {
      it('no secret of the tour reaches logs, spans, metrics, answers or audit entries', async (t) => {
        const otlp = await startRawOtlpReceiver();
        const upstream = await startLeakyUpstream();
        const backend = await createBackend(kind);
        const logs = logCapture();
        const adminKey = generateApiKey().key;
        const providerKey = `sk-proj-${randomBytes(24).toString('hex')}`;
        // Azure OpenAI keys are 32 hex characters with no prefix a pattern could recognise.
        const azureKey = randomBytes(16).toString('hex');
        const password = `Correct-Horse-${randomBytes(12).toString('hex')}`;
        const newPassword = `Battery-Staple-${randomBytes(12).toString('hex')}`;
        const wrongPassword = `Wrong-Guess-${randomBytes(12).toString('hex')}`;
        const refusedKey = generateApiKey().key;
        const secrets: Secret[] = [
          { name: 'bootstrap admin key', value: adminKey },
          { name: 'provider API key', value: providerKey },
          { name: 'Azure provider key', value: azureKey },
          { name: 'user password', value: password },
          { name: 'new user password', value: newPassword },
          { name: 'wrong password', value: wrongPassword },
          { name: 'refused API key', value: refusedKey },
        ];
        /** Answers other than the one that hands a secret out, by what they were. */
        const answers: string[] = [];
        const steps: string[] = [];
        const t0 = performance.now();
        let kernel: Kernel | undefined;
        // The first start prints the superadmin's credentials (bootstrap.print): they must reach the
        // terminal or a 0600 file in the data directory, never stdout (where the JSON logs go).
        const dataDir = mkdtempSync(path.join(tmpdir(), 'aihub-secret-scan-'));
        const consoleOut: string[] = [];
        const stdoutWrite = process.stdout.write;
        process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
          consoleOut.push(String(chunk));
          return (stdoutWrite as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
        }) as typeof process.stdout.write;
        try {
          kernel = await Kernel.start({
            inline: {
              ...backend.config,
              dataDir,
              server: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 2000 },
              telemetry: {
                tracing: { endpoint: `${otlp.url}/v1/traces`, sampleRatio: 1 },
                metrics: { processMetrics: false },
              },
              plugins: PRODUCTION_PLUGINS.map((name) => ({
                name,
                config: productionPluginConfig(adminKey, {
                  auth: { keySecret: SECURITY_KEY_SECRET, bootstrap: { print: true, adminKey } },
                  // The cheapest scrypt cost the policy allows: the tour hashes four passwords.
                  tenancy: { password: { scryptN: 1024 } },
                  ai: {
                    requireAuth: true,
                    providers: {
                      leaky: { type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: providerKey },
                      'leaky-azure': { type: 'azure-openai', baseUrl: upstream.url, apiKey: azureKey },
                    },
                    models: {
                      'gpt-4o-mini': { deployments: [{ provider: 'leaky', model: 'gpt-4o-mini' }] },
                      'gpt-4o': { deployments: [{ provider: 'leaky-azure', model: 'gpt-4o' }] },
                      'text-embedding-3-small': {
                        deployments: [{ provider: 'leaky', model: 'text-embedding-3-small' }],
                      },
                    },
                    retry: { maxAttempts: 1 },
                  },
                })[name],
              })).map((e) => (e.config === undefined ? { name: e.name } : e)),
            },
            env: {},
            logger: createLogger({ level: 'debug', format: 'json', stream: logs.stream }),
          });
          process.stdout.write = stdoutWrite;
          const base = kernel.url;
          steps.push(`started in ${Math.round(performance.now() - t0)} ms`);
          const credentialsFile = readdirSync(dataDir).find((f) => f.startsWith('bootstrap-credentials-'));
          const banner = credentialsFile
            ? readFileSync(path.join(dataDir, credentialsFile), 'utf8')
            : consoleOut.join('');
          const bootstrapPassword = /password\s*:\s*(\S+)/.exec(banner)?.[1];
          assert.ok(
            bootstrapPassword && bootstrapPassword.length >= 16,
            'the first start handed out a superadmin password (in a file or on the terminal)',
          );
          secrets.push({ name: 'bootstrap superadmin password', value: bootstrapPassword });
          const call = async (
            method: string,
            path: string,
            opts: {
              key?: string;
              body?: unknown;
              headers?: Record<string, string>;
              form?: Record<string, string>;
              handsOut?: boolean;
            } = {},
          ) => {
            const headers: Record<string, string> = { ...opts.headers };
            if (opts.key) headers.authorization = `Bearer ${opts.key}`;
            let body: string | undefined;
            if (opts.form) {
              headers['content-type'] = 'application/x-www-form-urlencoded';
              body = new URLSearchParams(opts.form).toString();
            } else if (opts.body !== undefined) {
              headers['content-type'] = 'application/json';
              body = JSON.stringify(opts.body);
            }
            const started = performance.now();
            const res = await fetch(`${base}${path}`, { method, headers, body });
            const text = await res.text();
            // The request line is left out: a secret the test itself put in a query is not a leak.
            if (!opts.handsOut)
              answers.push(
                `${method} ${path.split('?')[0]} → ${res.status} ${JSON.stringify(Object.fromEntries(res.headers))} ${text}`,
              );
            steps.push(`${method} ${path.split('?')[0]} ${res.status} ${Math.round(performance.now() - started)} ms`);
            let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            return { status: res.status, json, text };
          };

          // A tenant, a user with a password, a membership, an API key and an OAuth client.
          const tenant = await call('POST', '/admin/v1/tenants', {
            key: adminKey,
            body: { name: 'Scan', slug: 'scan' },
          });
          assert.equal(tenant.status, 201, tenant.text);
          const tenantId = tenant.json.id as string;
          const email = 'scan-user@scan.test';
          const user = await call('POST', '/admin/v1/users', { key: adminKey, body: { email, password } });
          assert.equal(user.status, 201, user.text);
          const member = await call('POST', `/admin/v1/tenants/${tenantId}/members`, {
            key: adminKey,
            body: { email, role: 'admin' },
          });
          assert.ok(member.status < 300, member.text);
          const key = await call('POST', `/admin/v1/tenants/${tenantId}/api-keys`, {
            key: adminKey,
            body: { name: 'scan', scopes: ['ai:invoke', 'admin:read', 'admin:write', 'events:write'], role: 'admin' },
            handsOut: true,
          });
          assert.equal(key.status, 201, key.text);
          const apiKey = key.json.key as string;
          secrets.push({ name: 'tenant API key', value: apiKey });
          const client = await call('POST', `/admin/v1/tenants/${tenantId}/oauth-clients`, {
            key: adminKey,
            body: { name: 'worker', grant_types: ['client_credentials'], scopes: ['ai:invoke'] },
            handsOut: true,
          });
          assert.equal(client.status, 201, client.text);
          const { client_id: clientId, client_secret: clientSecret } = client.json as {
            client_id: string;
            client_secret: string;
          };
          secrets.push({ name: 'OAuth client secret', value: clientSecret });
          const basic = (secret: string) =>
            `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
          const token = await call('POST', '/oauth/token', {
            headers: { authorization: basic(clientSecret) },
            form: { grant_type: 'client_credentials', scope: 'ai:invoke' },
            handsOut: true,
          });
          assert.equal(token.status, 200, token.text);
          const accessToken = token.json.access_token as string;
          secrets.push({ name: 'OAuth access token', value: accessToken });
          const wrongSecret = `ahcs_${randomBytes(24).toString('hex')}`;
          secrets.push({ name: 'wrong client secret', value: wrongSecret });
          assert.equal(
            (
              await call('POST', '/oauth/token', {
                headers: { authorization: basic(wrongSecret) },
                form: { grant_type: 'client_credentials' },
              })
            ).status,
            401,
          );

          // A sign-in with a wrong password on the login page (authorization code + PKCE).
          const web = await call('POST', `/admin/v1/tenants/${tenantId}/oauth-clients`, {
            key: adminKey,
            body: {
              name: 'web',
              grant_types: ['authorization_code'],
              redirect_uris: [REDIRECT],
              scopes: ['ai:invoke'],
              token_endpoint_auth_method: 'none',
            },
          });
          assert.equal(web.status, 201, web.text);
          const verifier = randomBytes(32).toString('base64url');
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          const browser = new Browser(base);
          const q = new URLSearchParams({
            client_id: web.json.client_id,
            response_type: 'code',
            redirect_uri: REDIRECT,
            scope: 'openid ai:invoke',
            state: 's',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          });
          const page = await browser.follow(`/oauth/authorize?${q}`);
          assert.equal(page.res.status, 200, `login page at ${page.url}`);
          await page.res.text();
          const login = await browser.follow(`${new URL(page.url).pathname}/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ email, password: wrongPassword }).toString(),
          });
          const loginText = await login.res.text();
          answers.push(`login → ${login.res.status} ${loginText}`);
          assert.ok(login.res.status >= 400, `a wrong password is refused (${login.res.status})`);

          // A new password, set by the superadmin.
          assert.equal(
            (await call('PATCH', `/admin/v1/users/${user.json.id}`, { key: adminKey, body: { password: newPassword } }))
              .status,
            200,
          );

          // AI calls the upstream refuses, echoing the provider key: JSON, streaming, embeddings, JWT.
          const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] };
          const refused = await call('POST', '/v1/chat/completions', { key: apiKey, body: chat });
          assert.ok(refused.status >= 400, `the upstream's 401 is an error to the client (${refused.status})`);
          await call('POST', '/v1/chat/completions', { key: apiKey, body: { ...chat, stream: true } });
          await call('POST', '/v1/embeddings', { key: apiKey, body: { model: 'text-embedding-3-small', input: 'hi' } });
          await call('POST', '/v1/chat/completions', {
            key: accessToken,
            body: { ...chat, messages: [{ role: 'user', content: 'from a JWT' }] },
          });
          await call('POST', '/v1/chat/completions', { key: apiKey, body: { ...chat, model: 'gpt-4o' } });
          await call('POST', '/v1/chat/completions', { key: apiKey, body: { ...chat, model: 'gpt-4o', stream: true } });
          assert.ok(
            upstream.seen.some((a) => a.includes(providerKey)),
            'the gateway sent the provider key upstream',
          );
          assert.ok(
            upstream.seen.some((a) => a.includes(azureKey)),
            'the gateway sent the Azure key upstream',
          );
          // A refused API key, an x-api-key header, a key in the query string, events and admin reads.
          assert.equal((await call('GET', '/v1/models', { key: refusedKey })).status, 401);
          await call('GET', '/v1/models', { headers: { 'x-api-key': refusedKey } });
          await call('GET', `/v1/models?api_key=${refusedKey}`);
          await call('POST', '/v1/track', {
            key: apiKey,
            body: { userId: 'u1', event: 'Scanned', properties: { note: 'no secrets here' } },
          });
          await call('GET', `/admin/v1/tenants/${tenantId}/api-keys`, { key: apiKey });
          await call('GET', `/admin/v1/tenants/${tenantId}/oauth-clients`, { key: adminKey });
          await call('GET', '/admin/v1/me', { key: apiKey });
          await call('GET', '/admin/v1/me', { key: accessToken });
          await call('GET', `/admin/v1/users/${user.json.id}`, { key: adminKey });
          await call('GET', '/health/details', { key: adminKey });
          await call('GET', '/health/ready');

          // Audit entries (platform and tenant) and the metrics.
          const audit = [
            await call('GET', '/admin/v1/audit?limit=200', { key: adminKey }),
            await call('GET', `/admin/v1/tenants/${tenantId}/audit?limit=200`, { key: adminKey }),
          ];
          assert.ok(audit.every((a) => a.status === 200));
          const auditEntries = audit.flatMap((a) => (a.json.data as unknown[]).map((e) => JSON.stringify(e)));
          assert.ok(auditEntries.length >= 5, `audit entries were written (${auditEntries.length})`);
          const metricsRes = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } });
          const metrics = metricsRes.status === 200 ? await metricsRes.text() : '';

          // Stopping flushes the span exporter and the queue.
          await kernel.stop('test');
          kernel = undefined;

          if (process.env.AIHUB_SCAN_TIMING === '1') t.diagnostic(steps.join('\n'));
          // AIHUB_SCAN_DUMP=<file>: what was scanned, to look at by hand.
          if (process.env.AIHUB_SCAN_DUMP)
            writeFileSync(
              `${process.env.AIHUB_SCAN_DUMP}.${kind}`,
              [...logs.lines, '', ...answers, '', ...auditEntries].join('\n'),
            );
          t.diagnostic(
            `${logs.lines.length} log lines, ${otlp.spans.length} spans in ${otlp.bodies.length} exports, ${metrics.length} bytes of metrics, ${answers.length} answers, ${auditEntries.length} audit entries`,
          );
          assert.ok(logs.lines.length > 10, 'logs were captured');
          assert.ok(otlp.spans.length > 10, 'spans were exported');
          assert.ok(
            otlp.spans.some((s) => s.kind === 3),
            'the upstream calls were traced',
          );
          const leaks: Leak[] = [
            ...scan('log', logs.lines, secrets),
            ...scan('stdout', consoleOut, secrets),
            ...scan('span export', otlp.bodies, secrets),
            ...scan(
              'span',
              otlp.spans.map((s) => JSON.stringify(s)),
              secrets,
            ),
            ...scan('metrics', [metrics], secrets),
            ...scan('answer', answers, secrets),
            ...scan('audit entry', auditEntries, secrets),
          ];
          assert.deepEqual(
            leaks.map((l) => `${l.channel}: ${l.secret}`),
            [],
            `secrets found:\n${leaks.map((l) => `  ${l.channel} carries the ${l.secret}: …${l.context}…`).join('\n')}`,
          );
        } finally {
          process.stdout.write = stdoutWrite;
          rmSync(dataDir, { recursive: true, force: true });
          await kernel?.stop('test').catch(() => {});
          await backend.cleanup().catch(() => {});
          await upstream.close();
          await otlp.close();
        }
      });
    },
  );
}
