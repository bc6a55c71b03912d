import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { completionText } from '../../../bench/src/mock-upstream/content';
import { loadTokenizer } from '../src/tokenCount';
import { MOCK_KEY, metricValue, postJson, startStack, type Backend, type Stack } from './harness';

function events(text: string): string[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));
}

function contentOf(evts: string[]): string {
  let s = '';
  for (const e of evts) {
    if (!e.startsWith('{"id"')) continue;
    const j = JSON.parse(e) as { choices: { delta: { content?: string } }[] };
    s += j.choices[0]?.delta.content ?? '';
  }
  return s;
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  stream: true,
  messages: [{ role: 'user', content: 'Tell me a story' }],
  ...extra,
});

/** Streams: failures after the first byte, missing usage, client disconnects, timeouts. */
export function streamSuite(backend: Backend): void {
  describe(`streaming failures and cancellation (${backend})`, () => {
    let stack: Stack;
    before(async () => {
      await loadTokenizer(); // estimates below are the tokenizer's, not the fallback's while it loads
      stack = await startStack({
        backend,
        mock: { record: 200 },
        ai: (mock) => ({
          requireAuth: false,
          retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
          providers: {
            short: { type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: MOCK_KEY, timeouts: { totalMs: 300 } },
          },
          models: {
            s: {
              deployments: [
                { provider: 'up', model: 's-primary', weight: 1 },
                { provider: 'up', model: 's-secondary', weight: 0 },
              ],
            },
            t: { deployments: [{ provider: 'short', model: 't-slow' }] },
          },
        }),
      });
    });
    after(() => stack.stop());

    const served = (model: string) =>
      stack.mock.requests.filter((r) => (r.body as { model?: string }).model === model).length;

    it('ends a stream cut mid-way with an OpenAI error event, no fallback, and records it as an error', async () => {
      const secondaryBefore = served('s-secondary');
      stack.mock.setFailure({ cutAfterChunks: 4, match: { model: 's-primary' } });
      const res = await postJson(stack, '/v1/chat/completions', chat('s'));
      assert.equal(res.status, 200);
      const evts = events(await res.text());
      assert.equal(contentOf(evts), completionText(3));
      const last = JSON.parse(evts.at(-1)!) as { error: { code: string; type: string; message: string } };
      assert.equal(last.error.code, 'upstream_stream_error');
      assert.equal(last.error.type, 'server_error');
      assert.ok(!evts.includes('[DONE]'), '[DONE] means success; a failed stream ends without it');
      assert.equal(served('s-secondary'), secondaryBefore, 'no fallback after the first byte');
      const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.status, 'error');
      assert.equal(rec.errorCode, 'upstream_stream_error');
      assert.equal(rec.estimated, true);
      assert.equal(rec.completionTokens, 3);
      assert.ok(rec.promptTokens > 0);
    });

    it('makes the openai SDK throw on the error event', async () => {
      stack.mock.setFailure({ cutAfterChunks: 3, match: { model: 's-primary' } });
      const client = new OpenAI({ apiKey: 'x', baseURL: `${stack.url}/v1`, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: 's',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      });
      let text = '';
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })(),
        (err: unknown) => err instanceof OpenAI.APIError && /incomplete/.test(err.message),
      );
      assert.equal(text, completionText(2));
    });

    it('forwards an error event the upstream sends mid-stream, and flags a stream that ends without [DONE]', async () => {
      stack.mock.setFailure({ errorAfterChunks: 3, match: { model: 's-primary' } });
      let res = await postJson(stack, '/v1/chat/completions', chat('s'));
      let evts = events(await res.text());
      assert.match(evts.at(-1)!, /"type":"server_error"/);
      let rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.status, 'error');
      assert.equal(rec.errorCode, 'upstream_stream_error');

      stack.mock.setFailure({ endAfterChunks: 3, match: { model: 's-primary' } });
      res = await postJson(stack, '/v1/chat/completions', chat('s'));
      evts = events(await res.text());
      assert.equal((JSON.parse(evts.at(-1)!) as { error: { code: string } }).error.code, 'upstream_stream_truncated');
      rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.errorCode, 'upstream_stream_truncated');
    });

    it('falls back for a stream that fails before its first event (status, or an error event first)', async () => {
      stack.mock.setFailure({ status: 500, times: 2, match: { model: 's-primary' } });
      let res = await postJson(stack, '/v1/chat/completions', chat('s'));
      assert.equal(contentOf(events(await res.text())), completionText(8));
      assert.equal((await stack.usage.waitFor(res.headers.get('x-request-id')!)).deployment, 'up/s-secondary');
      stack.mock.setFailure({ errorAfterChunks: 0, times: 2, match: { model: 's-primary' } });
      res = await postJson(stack, '/v1/chat/completions', chat('s'));
      const evts = events(await res.text());
      assert.equal(evts.at(-1), '[DONE]');
      const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.deployment, 'up/s-secondary');
      assert.equal(
        await metricValue(stack, 'aihub_ai_retries_total', { deployment: 'up/s-primary', reason: 'stream_error' }),
        1,
      );
    });

    it('estimates usage with a tokenizer when the provider reports none, and marks it', async () => {
      stack.mock.setFailure({ noUsage: true, match: { model: 's-primary' } });
      let res = await postJson(stack, '/v1/chat/completions', chat('s'));
      assert.equal(contentOf(events(await res.text())), completionText(8));
      let rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.status, 'success');
      assert.equal(rec.estimated, true);
      assert.equal(rec.completionTokens, 8);
      assert.ok(rec.promptTokens >= 5 && rec.promptTokens <= 20, `prompt ${rec.promptTokens}`);
      stack.mock.setFailure({ noUsage: true, match: { model: 's-primary' } });
      res = await postJson(stack, '/v1/chat/completions', { ...chat('s'), stream: false });
      await res.arrayBuffer();
      rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.estimated, true);
      assert.equal(rec.completionTokens, 8);
    });

    it('aborts the upstream when the client leaves mid-stream, and still records usage (cancelled)', async () => {
      const aborted = stack.mock.stats.aborted;
      stack.mock.setFailure({ chunkDelayMs: 100, match: { model: 's-primary' } });
      const ac = new AbortController();
      const r = await fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(chat('s')),
        signal: ac.signal,
      });
      const reader = r.body!.getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0);
      ac.abort();
      await stack.mock.waitForAborts(aborted + 1, 3000);
      const rec = await stack.usage.waitFor(r.headers.get('x-request-id')!);
      assert.equal(rec.status, 'cancelled');
      assert.equal(rec.httpStatus, 499);
      assert.equal(rec.estimated, true);
      assert.ok(rec.completionTokens < 8);
      assert.equal(
        await metricValue(stack, 'aihub_ai_requests_total', { model: 's', provider: 'up', status: 'cancelled' }),
        1,
      );
    });

    it('aborts the upstream when the client leaves while a non-streaming answer is pending', async () => {
      const aborted = stack.mock.stats.aborted;
      stack.mock.setFailure({ delayMs: 3000, match: { model: 's-primary' } });
      const ac = new AbortController();
      const pending = fetch(`${stack.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'cancel-non-stream-1' },
        body: JSON.stringify({ ...chat('s'), stream: false }),
        signal: ac.signal,
      });
      await new Promise((r) => setTimeout(r, 150));
      ac.abort();
      await assert.rejects(pending);
      await stack.mock.waitForAborts(aborted + 1, 3000);
      const rec = await stack.usage.waitFor('cancel-non-stream-1');
      assert.equal(rec.clientRequestId, 'cancel-non-stream-1');
      assert.notEqual(rec.requestId, 'cancel-non-stream-1', 'the idempotency key is the gateway’s own id');
      assert.equal(rec.status, 'cancelled');
      assert.equal(rec.completionTokens, 0);
      assert.equal(rec.estimated, true);
    });

    it('ends a stream that exceeds the total timeout with an upstream_timeout error event', async () => {
      stack.mock.setFailure({ chunkDelayMs: 100, match: { model: 't-slow' } });
      const res = await postJson(stack, '/v1/chat/completions', chat('t'));
      const evts = events(await res.text());
      assert.equal((JSON.parse(evts.at(-1)!) as { error: { code: string } }).error.code, 'upstream_timeout');
      const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
      assert.equal(rec.errorCode, 'upstream_timeout');
    });
  });
}
