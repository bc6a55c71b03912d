import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createHttpClient } from '@aihub/core';
import { providerSchema } from '../config';
import { AttemptSignal } from '../engine/AttemptSignal';
import type { CallInput } from '../types';
import { createProvider } from './createProvider';

const call: CallInput = { op: 'chat', body: { model: 'm', messages: [] }, raw: Buffer.from('{"model":"m","messages":[]}'), stream: false, clientWantsUsage: false };

describe('HttpProvider request target (origin and path without per-call URL parsing)', () => {
  const seen: { url: string; auth?: string; apiKey?: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, apiKey: req.headers['api-key'] as string | undefined, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  const client = createHttpClient();
  let origin = '';
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await client.close();
    server.close();
  });

  const send = async (type: string, baseUrl: string, model = 'm') => {
    const provider = createProvider('p', providerSchema.parse({ type, baseUrl, apiKey: 'sk-test' }), client);
    const res = await (provider as unknown as { send: (c: CallInput, m: string, s: AttemptSignal, h?: Record<string, string>) => Promise<{ statusCode: number; body: { text(): Promise<string> } }> }).send(
      call,
      model,
      new AttemptSignal(),
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    );
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), '{"ok":true}');
    return seen.at(-1)!;
  };

  it('keeps the base path (with or without a trailing slash) in front of the operation path', async () => {
    assert.equal((await send('openai', `${origin}/v1`)).url, '/v1/chat/completions');
    assert.equal((await send('openai', `${origin}/proxy/openai/v1/`)).url, '/proxy/openai/v1/chat/completions');
    assert.equal((await send('anthropic', origin)).url, '/v1/messages');
  });

  it('adds Azure deployment paths and its api-version query; sends the body and credentials', async () => {
    const r = await send('azure-openai', `${origin}/`, 'my deployment');
    assert.equal(r.url, '/openai/deployments/my%20deployment/chat/completions?api-version=2024-10-21');
    assert.equal(r.apiKey, 'sk-test');
    assert.equal(r.body, '{"model":"m","messages":[]}');
  });

  it('never sends URL user-info to the host; a base with a query falls back to parsing', async () => {
    const withUser = await send('openai', origin.replace('http://', 'http://user:secret@') + '/v1');
    assert.equal(withUser.url, '/v1/chat/completions');
    assert.equal(withUser.auth, 'Bearer sk-test');
    assert.equal((await send('openai', `${origin}/v1?tenant=a`)).url, '/v1?tenant=a/chat/completions');
  });
});
