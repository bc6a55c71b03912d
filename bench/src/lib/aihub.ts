/** Helpers for benchmarks that drive an AI Hub gateway through its admin API. */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { createRedisStore } from '@aihub/core';

async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A tenant API key with ai:invoke, and an OAuth client_credentials JWT, made through the admin API. */
export async function credentials(base: string, adminKey: string): Promise<{ key: string; jwt?: string }> {
  const auth = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const tenant = await json(`${base}/admin/v1/tenants`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'Bench', slug: `bench-${randomBytes(3).toString('hex')}` }),
  });
  const key = await json(`${base}/admin/v1/tenants/${tenant.id}/api-keys`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'bench', scopes: ['ai:invoke'] }),
  });
  let jwt: string | undefined;
  try {
    const client = await json(`${base}/admin/v1/tenants/${tenant.id}/oauth-clients`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'bench', grant_types: ['client_credentials'], scopes: ['ai:invoke'] }),
    });
    const token = await json(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'ai:invoke' }).toString(),
    });
    jwt = String(token.access_token);
  } catch (err) {
    process.stdout.write(`(no JWT: ${(err as Error).message})\n`);
  }
  return { key: String(key.key), jwt };
}

/** A local OTLP/HTTP endpoint that accepts and discards trace exports (the gateways export to it). */
export async function otlpSink(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    req.resume();
    // An empty export response in the request's encoding (protobuf: zero bytes).
    const protobuf = (req.headers['content-type'] ?? '').startsWith('application/x-protobuf');
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json' })
        .end(protobuf ? undefined : '{}'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`,
    close: () => server.close(),
  };
}

/** Deletes every Redis key a benchmarked gateway made under `prefix` (usage streams grow by the million). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const store = createRedisStore({ url, prefix });
  try {
    await store.deleteByPrefix('');
  } finally {
    await store.close();
  }
}
