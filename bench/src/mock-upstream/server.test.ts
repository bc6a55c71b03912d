import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { completionText } from './content';
import { startMockUpstream, type MockUpstream } from './server';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi there' }] };

function events(text: string): string[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));
}

describe('mock upstream', () => {
  let mock: MockUpstream;
  before(async () => {
    mock = await startMockUpstream({ completionTokens: 5, apiKey: 'sk-test-key-123456' });
  });
  after(() => mock.close());
  const auth = { authorization: 'Bearer sk-test-key-123456' };

  it('answers a chat completion with usage and counts it', async () => {
    mock.reset();
    const res = await post(`${mock.url}/v1/chat/completions`, chat, auth);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { completion_tokens: number; prompt_tokens: number };
    };
    assert.equal(body.choices[0].message.content, completionText(5));
    assert.equal(body.choices[0].finish_reason, 'stop');
    assert.equal(body.usage.completion_tokens, 5);
    assert.equal(mock.stats.requests, 1);
    assert.equal(mock.stats.completionTokens, 5);
    assert.equal(mock.stats.promptTokens, body.usage.prompt_tokens);
  });

  it('rejects a wrong key with a masked key in the message', async () => {
    const res = await post(`${mock.url}/v1/chat/completions`, chat, { authorization: 'Bearer sk-wrong-000000000' });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { message: string; code: string } };
    assert.equal(body.error.code, 'invalid_api_key');
    assert.match(body.error.message, /sk-wron\*\*\*0000/);
  });

  it('streams chunks and a usage chunk only when include_usage is set', async () => {
    const withUsage = events(
      await (
        await post(
          `${mock.url}/v1/chat/completions`,
          { ...chat, stream: true, stream_options: { include_usage: true } },
          auth,
        )
      ).text(),
    );
    assert.equal(withUsage.at(-1), '[DONE]');
    const usage = JSON.parse(withUsage.at(-2)!) as { choices: unknown[]; usage: { completion_tokens: number } };
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.completion_tokens, 5);
    const without = events(
      await (await post(`${mock.url}/v1/chat/completions`, { ...chat, stream: true }, auth)).text(),
    );
    assert.equal(without.filter((e) => e.includes('"usage":{')).length, 0);
    assert.equal(without.length, 1 + 5 + 1 + 1);
  });

  it('honours max_tokens with finish_reason length', async () => {
    const body = (await (await post(`${mock.url}/v1/chat/completions`, { ...chat, max_tokens: 2 }, auth)).json()) as {
      choices: { finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    assert.equal(body.choices[0].finish_reason, 'length');
    assert.equal(body.usage.completion_tokens, 2);
  });

  it('injects statuses with Retry-After for the next matching request only', async () => {
    mock.setFailure({ status: 429, retryAfter: 2, match: { model: 'gpt-4o-mini' } });
    const first = await post(`${mock.url}/v1/chat/completions`, chat, auth);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '2');
    await first.body?.cancel();
    const second = await post(`${mock.url}/v1/chat/completions`, chat, auth);
    assert.equal(second.status, 200);
    await second.body?.cancel();
  });

  it('injects failures from x-mock headers', async () => {
    const res = await post(`${mock.url}/v1/chat/completions`, chat, { ...auth, 'x-mock-status': '503' });
    assert.equal(res.status, 503);
    await res.body?.cancel();
    await assert.rejects(post(`${mock.url}/v1/chat/completions`, chat, { ...auth, 'x-mock-drop': '1' }));
  });

  it('cuts a stream mid-way and counts partial tokens', async () => {
    mock.reset();
    mock.setFailure({ cutAfterChunks: 3 });
    const res = await post(`${mock.url}/v1/chat/completions`, { ...chat, stream: true }, auth);
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
    assert.equal(mock.stats.partialCompletionTokens, 2);
    assert.equal(mock.stats.requests, 0);
    assert.equal(mock.stats.aborted, 0);
  });

  it('sends an in-stream error event', async () => {
    mock.setFailure({ errorAfterChunks: 2 });
    const ev = events(await (await post(`${mock.url}/v1/chat/completions`, { ...chat, stream: true }, auth)).text());
    assert.match(ev.at(-1)!, /^\{"error":/);
  });

  it('counts a client that goes away as aborted', async () => {
    mock.reset();
    const req = request(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-mock-delay-ms': '2000' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify(chat));
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await mock.waitForAborts(1, 2000);
    assert.equal(mock.stats.aborted, 1);
    assert.equal(mock.stats.requests, 0);
  });

  it('serves embeddings as floats and base64', async () => {
    const floats = (await (
      await post(`${mock.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: ['a', 'b'] }, auth)
    ).json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
    assert.equal(floats.data.length, 2);
    assert.equal(floats.data[0].embedding.length, 8);
    const b64 = (await (
      await post(
        `${mock.url}/v1/embeddings`,
        { model: 'text-embedding-3-small', input: 'a', encoding_format: 'base64' },
        auth,
      )
    ).json()) as { data: { embedding: string }[] };
    const buf = Buffer.from(b64.data[0].embedding, 'base64');
    assert.equal(buf.length, 8 * 4);
    assert.ok(Math.abs(new Float32Array(buf.buffer, buf.byteOffset, 8)[0] - floats.data[0].embedding[0]) < 1e-6);
  });

  it('serves the Azure deployment URL shape with api-key and api-version', async () => {
    const url = `${mock.url}/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21`;
    assert.equal((await post(url, chat, auth)).status, 401);
    const res = await post(url, chat, { 'api-key': 'sk-test-key-123456' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { model: string }).model, 'my-gpt');
  });

  it('speaks the Anthropic Messages API, streaming and tools included', async () => {
    const h = { 'x-api-key': 'sk-test-key-123456', 'anthropic-version': '2023-06-01' };
    const bad = await post(
      `${mock.url}/v1/messages`,
      { model: 'claude', max_tokens: 10, messages: [{ role: 'system', content: 'x' }] },
      h,
    );
    assert.equal(bad.status, 400);
    const res = (await (
      await post(
        `${mock.url}/v1/messages`,
        { model: 'claude', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] },
        h,
      )
    ).json()) as { stop_reason: string; usage: { output_tokens: number } };
    assert.equal(res.stop_reason, 'max_tokens');
    assert.equal(res.usage.output_tokens, 3);
    const text = await (
      await post(
        `${mock.url}/v1/messages`,
        {
          model: 'claude',
          max_tokens: 100,
          stream: true,
          tools: [{ name: 'lookup', input_schema: { type: 'object' } }],
          messages: [{ role: 'user', content: 'hi' }],
        },
        h,
      )
    ).text();
    assert.match(text, /event: content_block_start\ndata: .*"tool_use"/);
    assert.match(text, /"stop_reason":"tool_use"/);
    assert.match(text, /event: message_stop/);
  });

  it('runs as a separate process from the CLI', async () => {
    const cli = path.join(__dirname, 'cli.ts');
    const child = spawn(process.execPath, ['--conditions=aihub-source', '--import', 'tsx', cli, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { url } = JSON.parse(line.toString()) as { url: string };
    const res = await fetch(`${url}/v1/models`);
    assert.equal(res.status, 200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0);
  });
});
