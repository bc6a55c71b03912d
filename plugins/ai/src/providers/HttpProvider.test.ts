import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createHttpClient } from '@aihub/core/testing';
import { providerSchema } from '../config';
import { AttemptSignal } from '../engine/AttemptSignal';
import type { CallInput } from '../types';
import { createProvider } from './createProvider';

const call: CallInput = {
  op: 'chat',
  body: { model: 'm', messages: [] },
  raw: Buffer.from('{"model":"m","messages":[]}'),
  stream: false,
  clientWantsUsage: false,
};

/** A local upstream for one suite: started before it, closed (with its connections) after it. */
function localUpstream(handler: http.RequestListener) {
  const server = http.createServer(handler);
  const up = { client: createHttpClient(), origin: '' };
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    up.origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await up.client.close();
    server.closeAllConnections();
    server.close();
  });
  return up;
}

describe('HttpProvider request target (origin and path without per-call URL parsing)', () => {
  const seen: { url: string; auth?: string; apiKey?: string; body: string }[] = [];
  const up = localUpstream((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({
        url: req.url ?? '',
        auth: req.headers.authorization,
        apiKey: req.headers['api-key'] as string | undefined,
        body,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });

  const send = async (type: string, baseUrl: string, model = 'm') => {
    const provider = createProvider('p', providerSchema.parse({ type, baseUrl, apiKey: 'sk-test' }), up.client);
    const res = await (
      provider as unknown as {
        send: (
          c: CallInput,
          m: string,
          s: AttemptSignal,
          h?: Record<string, string>,
        ) => Promise<{ statusCode: number; body: { text(): Promise<string> } }>;
      }
    ).send(call, model, new AttemptSignal(), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), '{"ok":true}');
    return seen.at(-1)!;
  };

  it('keeps the base path (with or without a trailing slash) in front of the operation path', async () => {
    assert.equal((await send('openai', `${up.origin}/v1`)).url, '/v1/chat/completions');
    assert.equal((await send('openai', `${up.origin}/proxy/openai/v1/`)).url, '/proxy/openai/v1/chat/completions');
    assert.equal((await send('anthropic', up.origin)).url, '/v1/messages');
  });

  it('adds Azure deployment paths and its api-version query; sends the body and credentials', async () => {
    const r = await send('azure-openai', `${up.origin}/`, 'my deployment');
    assert.equal(r.url, '/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21');
    assert.equal(r.apiKey, 'sk-test');
    assert.equal(r.body, '{"model":"m","messages":[]}');
  });

  it('never sends URL user-info to the host; a base with a query falls back to parsing', async () => {
    const withUser = await send('openai', up.origin.replace('http://', 'http://user:secret@') + '/v1');
    assert.equal(withUser.url, '/v1/chat/completions');
    assert.equal(withUser.auth, 'Bearer sk-test');
    assert.equal((await send('openai', `${up.origin}/v1?tenant=a`)).url, '/v1?tenant=a/chat/completions');
  });
});

describe('HttpProvider.sendBuffered (a whole response without a body stream)', () => {
  const closed: string[] = [];
  const up = localUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/v1/chat/completions' && req.headers['x-case'] === 'ok') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        // Two writes: the handler joins chunks.
        res.write('{"id":"a",');
        setTimeout(() => res.end('"object":"chat.completion"}'), 5);
      } else if (req.headers['x-case'] === 'big-error') {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: { message: 'x'.repeat(5000) } }));
      } else if (req.headers['x-case'] === 'slow-body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"partial":');
        res.on('close', () => closed.push('slow-body'));
        // Never finishes unless the client goes away.
      } else if (req.headers['x-case'] === 'no-head') {
        res.on('close', () => closed.push('no-head'));
      }
    });
  });
  const limits = { answer: 1024, error: 1024 };
  const provider = (firstByteMs = 10_000) =>
    createProvider(
      'p',
      providerSchema.parse({
        type: 'openai',
        baseUrl: `${up.origin}/v1`,
        apiKey: 'sk-test',
        timeouts: { firstByteMs },
      }),
      up.client,
    );

  it('resolves with status, headers and every chunk of the body', async () => {
    const res = await provider().sendBuffered(call, 'm', new AttemptSignal(), { 'x-case': 'ok' }, limits);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-upstream'], 'yes');
    assert.equal(res.body.toString(), '{"id":"a","object":"chat.completion"}');
  });

  it('refuses a body over the limit for its status', async () => {
    await assert.rejects(
      provider().sendBuffered(call, 'm', new AttemptSignal(), { 'x-case': 'big-error' }, limits),
      /larger than 1024 bytes/,
    );
    const res = await provider().sendBuffered(
      call,
      'm',
      new AttemptSignal(),
      { 'x-case': 'big-error' },
      { answer: 1024, error: 10_000 },
    );
    assert.equal(res.statusCode, 500);
  });

  it('aborts the upstream request when the attempt is aborted, before and during the body', async () => {
    const signal = new AttemptSignal();
    const pending = provider().sendBuffered(call, 'm', signal, { 'x-case': 'slow-body' }, limits);
    setTimeout(() => signal.abort(), 50);
    await assert.rejects(pending, (err: Error & { code?: string }) => err.code === 'UND_ERR_ABORTED');
    const early = new AttemptSignal();
    early.abort();
    await assert.rejects(
      provider().sendBuffered(call, 'm', early, { 'x-case': 'ok' }, limits),
      (err: Error & { code?: string }) => err.code === 'UND_ERR_ABORTED',
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(closed.includes('slow-body'), 'the upstream saw the connection close');
  });

  it('times out on a missing response head (headersTimeout)', async () => {
    await assert.rejects(
      provider(100).sendBuffered(call, 'm', new AttemptSignal(), { 'x-case': 'no-head' }, limits),
      (err: Error & { code?: string }) => err.code === 'UND_ERR_HEADERS_TIMEOUT',
    );
  });
});

describe('HttpProvider connection pool follows demand (issue 14 item 17)', () => {
  // The upstream holds every answer until `gate` calls are in flight at once (or 4 s pass), like a
  // slow model. Peak concurrency at the upstream shows the pool's cap whatever the machine's load:
  // a fixed pool of 128 let 128 through and queued the rest (300 calls at 500 ms took 1.5 s+).
  const state = { gate: 0, peak: 0, waiting: [] as http.ServerResponse[] };
  const release = () => {
    for (const r of state.waiting.splice(0))
      r.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  };
  const up = localUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      state.waiting.push(res);
      state.peak = Math.max(state.peak, state.waiting.length);
      if (state.waiting.length >= state.gate) release();
    });
  });

  const burst = async (n: number, gate: number, extra: Record<string, unknown>) => {
    Object.assign(state, { gate, peak: 0 });
    const timer = setInterval(release, 4_000);
    const provider = createProvider(
      'p',
      providerSchema.parse({ type: 'openai', baseUrl: `${up.origin}/v1`, apiKey: 'k', ...extra }),
      up.client,
    );
    try {
      const codes = await Promise.all(
        Array.from({ length: n }, async () => {
          const res = await (
            provider as unknown as {
              send: (
                c: CallInput,
                m: string,
                s: AttemptSignal,
                h?: Record<string, string>,
              ) => Promise<{ statusCode: number; body: { text(): Promise<string> } }>;
            }
          ).send(call, 'm', new AttemptSignal(), undefined);
          await res.body.text();
          return res.statusCode;
        }),
      );
      assert.deepEqual(new Set(codes), new Set([200]));
      return state.peak;
    } finally {
      clearInterval(timer);
      await provider.close?.();
    }
  };

  it('300 concurrent calls on the shared pool are all in flight at the upstream at once', async () => {
    assert.equal(await burst(300, 300, {}), 300);
  });

  it('maxConnections caps the provider: 30 calls over 10 connections, never more than 10 in flight', async () => {
    assert.equal(await burst(30, 10, { maxConnections: 10 }), 10);
  });
});
