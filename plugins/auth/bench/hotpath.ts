/**
 * What authentication adds to a request, measured two ways:
 *
 * 1. In process: one cached API-key check, and one cached JWT check (the hook's work, no HTTP).
 * 2. Over HTTP on loopback, one request in flight, interleaved: a route without auth against the same
 *    route with an API key (authenticate + tenant resolution + scope check) and with a JWT access
 *    token. The difference of the p50 latencies is what auth adds.
 *
 *   node --conditions=aihub-source --import tsx plugins/auth/bench/hotpath.ts [sqlite|postgres] [requests]
 *
 * postgres also uses Redis (the production chain); both need the local services.
 */
import http from 'node:http';
import { createTestDatabase } from '@aihub/core/testing';
import { definePlugin } from '@aihub/core/plugin-api';
import { startTestGateway } from '@aihub/core/testing';
import tenancy from '@aihub/plugin-tenancy';
import auth, { generateApiKey } from '../src/index';

const backend = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
const N = Number(process.argv[3] ?? 20_000);

const probe = definePlugin({
  apiVersion: 'aihub.plugin/v1',
  name: 'auth-bench',
  version: '0.0.0',
  core: '^0.1.0',
  routePrefix: '',
  dependsOn: ['auth'],
  routes(router) {
    const handler = (ctx: { body: unknown }) => {
      ctx.body = { ok: true };
    };
    router.get('/v1/bench/none', handler, { auth: 'none', tags: ['ai'] });
    router.get('/v1/bench/auth', handler, { scopes: ['ai:invoke'], tags: ['ai'] });
  },
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error(`${path}: ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)];
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function main(): Promise<void> {
  const db = await createTestDatabase(backend);
  const adminKey = generateApiKey().key;
  const gw = await startTestGateway({
    plugins: [tenancy, auth, probe],
    pluginConfig: {
      auth: {
        keySecret: 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz',
        issuer: 'http://aihub.bench',
        bootstrap: { adminKey, print: false },
      },
    },
    config: {
      database: { url: db.url },
      ...(backend === 'postgres'
        ? { redis: { url: 'redis://127.0.0.1:6379', keyPrefix: `aihub-bench-${Date.now()}:` } }
        : {}),
      telemetry: { tracing: { sampleRatio: 0 } },
    },
  });
  try {
    const port = Number(new URL(gw.url).port);
    const post = async (path: string, body: unknown) =>
      (await (
        await gw.fetch(path, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, string>;
    const tenants = (await (
      await gw.fetch('/admin/v1/tenants', { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { data: { id: string }[] };
    const tenant = tenants.data[0].id;
    const key = (await post(`/admin/v1/tenants/${tenant}/api-keys`, { name: 'bench' })).key;
    const client = await post(`/admin/v1/tenants/${tenant}/oauth-clients`, {
      name: 'bench',
      grant_types: ['client_credentials'],
    });
    const tokenRes = await gw.fetch('/oauth/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const jwt = ((await tokenRes.json()) as { access_token: string }).access_token;

    // 1. In process.
    const rt = gw.runtime(auth);
    rt.apiKeys.authenticate(key);
    await rt.tokens!.verify(jwt);
    for (const [name, fn] of [
      ['API key (cached)', () => rt.apiKeys.authenticate(key)],
      ['JWT (cached)', () => rt.tokens!.verify(jwt)],
    ] as const) {
      const rounds: number[] = [];
      for (let r = 0; r < 50; r++) {
        const t = performance.now();
        for (let i = 0; i < 1000; i++) fn();
        rounds.push((performance.now() - t) / 1000);
      }
      console.log(`in process  ${name.padEnd(18)} p50 ${us(p(rounds, 0.5))} per check`);
    }
    {
      // An uncached JWT (first sight of a token): jose signature verification.
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await rt.oauth!.verifier.verifySlow(jwt, { cache: false });
        times.push(performance.now() - t);
      }
      console.log(`in process  ${'JWT (uncached)'.padEnd(18)} p50 ${us(p(times, 0.5))} per check`);
    }

    // 2. Over HTTP, interleaved so drift hits every variant alike.
    const variants: [string, string, Record<string, string>][] = [
      ['no auth', '/v1/bench/none', {}],
      ['API key', '/v1/bench/auth', { authorization: `Bearer ${key}` }],
      ['JWT', '/v1/bench/auth', { authorization: `Bearer ${jwt}` }],
    ];
    const times = variants.map(() => [] as number[]);
    for (let i = 0; i < 2000; i++) for (const [, path, headers] of variants) await get(port, path, headers);
    for (let i = 0; i < N; i++) {
      for (let v = 0; v < variants.length; v++) times[v].push(await get(port, variants[v][1], variants[v][2]));
    }
    const base = p(times[0], 0.5);
    console.log(`\nHTTP (${backend}${backend === 'postgres' ? ' + Redis' : ''}), ${N} requests each, 1 in flight`);
    for (let v = 0; v < variants.length; v++) {
      const p50 = p(times[v], 0.5);
      console.log(
        `  ${variants[v][0].padEnd(8)} p50 ${us(p50)}  p99 ${us(p(times[v], 0.99))}${v > 0 ? `  added p50 ${us(p50 - base)}` : ''}`,
      );
    }
  } finally {
    agent.destroy();
    await gw.stop();
    await db.drop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
