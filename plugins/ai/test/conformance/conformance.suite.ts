/**
 * The conformance suite: every provider adapter, through the whole gateway, against a real server
 * speaking that provider's wire format (upstream.ts). One table of adapters × one list of cases:
 * a plain answer, a stream, tools both ways (declared and called; results sent back), usage,
 * finish reasons, the provider's 400 / 429 (with its retry delay) / 500, and a malformed stream.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { MOCK_KEY, startStack, type Backend, type Stack } from '../harness';
import { USAGE, startConformanceUpstream, type ConformanceUpstream, type Dialect } from './upstream';

interface Adapter {
  /** Alias clients ask for, and the provider's name. */
  name: string;
  dialect: Dialect;
  provider: (url: string) => Record<string, unknown>;
  model: string;
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const serviceAccount = (url: string) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'proj-1',
    private_key_id: 'kid1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: 'gw@proj-1.iam.gserviceaccount.com',
    token_uri: `${url}/token`,
  });

export const AWS = {
  region: 'us-east-1',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};

const ADAPTERS: Adapter[] = [
  {
    name: 'openai',
    dialect: 'openai',
    model: 'gpt-4o-mini',
    provider: (u) => ({ type: 'openai', baseUrl: `${u}/v1`, apiKey: MOCK_KEY }),
  },
  {
    name: 'azure',
    dialect: 'openai',
    model: 'my-deployment',
    provider: (u) => ({ type: 'azure-openai', baseUrl: u, apiKey: MOCK_KEY }),
  },
  { name: 'ollama', dialect: 'openai', model: 'llama3.2', provider: (u) => ({ type: 'ollama', baseUrl: `${u}/v1` }) },
  {
    name: 'anthropic',
    dialect: 'anthropic',
    model: 'claude-3-5-haiku-latest',
    provider: (u) => ({ type: 'anthropic', baseUrl: u, apiKey: MOCK_KEY }),
  },
  ...(['vllm', 'groq', 'together', 'deepseek', 'openrouter', 'lmstudio'] as const).map((preset) => ({
    name: preset,
    dialect: 'openai' as const,
    model: 'some-model',
    provider: (u: string) => ({ type: 'openai-compatible', preset, baseUrl: `${u}/v1`, apiKey: MOCK_KEY }),
  })),
  {
    name: 'mistral',
    dialect: 'mistral',
    model: 'mistral-small-latest',
    provider: (u) => ({ type: 'openai-compatible', preset: 'mistral', baseUrl: `${u}/mistral/v1`, apiKey: MOCK_KEY }),
  },
  {
    name: 'gemini',
    dialect: 'gemini',
    model: 'gemini-2.5-flash',
    provider: (u) => ({ type: 'gemini', baseUrl: `${u}/v1beta`, apiKey: MOCK_KEY }),
  },
  {
    name: 'bedrock',
    dialect: 'bedrock',
    model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    provider: (u) => ({
      type: 'bedrock',
      baseUrl: u,
      region: AWS.region,
      accessKeyId: AWS.accessKeyId,
      secretAccessKey: AWS.secretAccessKey,
      sessionToken: AWS.sessionToken,
    }),
  },
  {
    name: 'vertex',
    dialect: 'gemini',
    model: 'gemini-2.5-flash',
    provider: (u) => ({
      type: 'vertex-ai',
      baseUrl: `${u}/v1`,
      location: 'europe-west4',
      serviceAccount: serviceAccount(u),
    }),
  },
];

/**
 * USD per 1M tokens: the usage of every case costs 7 × 2 + 4 × 0.5 + 3 × 8 = 40 micro-dollars; with
 * 2 of the 7 uncached tokens written to the cache, 5 × 2 + 2 × 10 + 4 × 0.5 + 3 × 8 = 56.
 */
const PRICE = { input: 2, output: 8, cachedInput: 0.5, cacheWrite: 10 };

const tools = [
  {
    type: 'function' as const,
    function: {
      name: 'lookup',
      description: 'Look something up',
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    },
  },
];
export const hi = [{ role: 'user' as const, content: 'Hi' }];

/** The suite on one storage backend (usage records and costs are checked through it). */
export function conformanceSuite(backend: Backend): void {
  describe(`provider conformance (${backend})`, () => {
    let up: ConformanceUpstream;
    let stack: Stack;
    let client: OpenAI;
    before(async () => {
      up = await startConformanceUpstream(publicKey, AWS);
      stack = await startStack({
        backend,
        ai: {
          requireAuth: false,
          // One attempt, and a 429's 7 s is longer than the gateway waits: the client sees it.
          retry: { maxAttempts: 1, maxRetryAfterMs: 1000 },
          breaker: { enabled: false },
          providers: Object.fromEntries(ADAPTERS.map((a) => [a.name, a.provider(up.url)])),
          models: Object.fromEntries(
            ADAPTERS.map((a) => [
              a.name,
              { deployments: [{ provider: a.name, model: a.model, priceOverride: PRICE }] },
            ]),
          ),
        },
      });
      client = new OpenAI({ apiKey: 'x', baseURL: `${stack.url}/v1`, maxRetries: 0 });
    });
    after(async () => {
      await stack?.stop();
      await up?.close();
    });

    for (const a of ADAPTERS) {
      describe(a.name, () => {
        const sent = () => up.requests.at(-1)!;

        it('plain answer: content, finish reason, usage (cached included) to the client and the usage record', async () => {
          up.next = 'text';
          const { data, response } = await client.chat.completions
            .create({ model: a.name, messages: [{ role: 'system', content: 'Be brief.' }, ...hi] })
            .withResponse();
          assert.equal(data.choices[0].message.content, 'Hello there');
          assert.equal(data.choices[0].finish_reason, 'stop');
          assert.equal(data.usage?.prompt_tokens, USAGE.prompt);
          assert.equal(data.usage?.completion_tokens, USAGE.completion);
          assert.equal(data.usage?.prompt_tokens_details?.cached_tokens, USAGE.cached);
          assert.ok(JSON.stringify(sent().body).includes('Be brief.'), 'the system prompt reached the provider');
          const rec = await stack.usage.waitFor(response.headers.get('x-request-id')!);
          assert.equal(rec.promptTokens, USAGE.prompt);
          assert.equal(rec.completionTokens, USAGE.completion);
          assert.equal(rec.cachedTokens, USAGE.cached);
          assert.equal(rec.estimated, false);
          assert.equal(rec.costMicros, 40, 'cached prompt tokens at the cached rate');
        });

        it('cache writes: priced at the cache-write rate where the provider reports them', async () => {
          up.next = 'cache_write';
          const writes = a.dialect === 'anthropic' || a.dialect === 'bedrock';
          for (const stream of [false, true]) {
            const res = await stack.fetch('/v1/chat/completions', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ model: a.name, messages: hi, stream }),
            });
            assert.equal(res.status, 200);
            await res.text();
            const rec = await stack.usage.waitFor(res.headers.get('x-request-id')!);
            assert.equal(rec.promptTokens, USAGE.prompt);
            assert.equal(rec.costMicros, writes ? 56 : 40, `stream: ${stream}`);
          }
        });

        it('stream: deltas, finish reason and the usage chunk', async () => {
          up.next = 'text';
          const stream = await client.chat.completions.create({
            model: a.name,
            messages: hi,
            stream: true,
            stream_options: { include_usage: true },
          });
          let text = '';
          let finish: string | null = null;
          let usage: OpenAI.CompletionUsage | undefined;
          for await (const c of stream) {
            text += c.choices[0]?.delta?.content ?? '';
            finish = c.choices[0]?.finish_reason ?? finish;
            if (c.usage) usage = c.usage;
          }
          assert.equal(text, 'Hello');
          assert.equal(finish, 'stop');
          assert.equal(usage?.prompt_tokens, USAGE.prompt);
          assert.equal(usage?.completion_tokens, USAGE.completion);
        });

        it('tools out: declared to the provider, its call back as tool_calls', async () => {
          up.next = 'tool';
          const data = await client.chat.completions.create({
            model: a.name,
            messages: hi,
            tools,
            tool_choice: 'required',
          });
          const call = data.choices[0].message.tool_calls?.[0];
          assert.equal(data.choices[0].finish_reason, 'tool_calls');
          assert.equal(call?.type === 'function' && call.function.name, 'lookup');
          assert.deepEqual(JSON.parse(call?.type === 'function' ? call.function.arguments : ''), { q: 'x' });
          assert.ok(call?.id, 'the call has an id');
          const body = JSON.stringify(sent().body);
          assert.ok(body.includes('lookup') && body.includes('Look something up'), 'the tool was declared');
        });

        it('tools streamed: the SDK assembles the call', async () => {
          up.next = 'tool';
          const stream = client.chat.completions.stream({ model: a.name, messages: hi, tools, stream: true });
          const done = await stream.finalChatCompletion();
          const call = done.choices[0].message.tool_calls?.[0];
          assert.equal(done.choices[0].finish_reason, 'tool_calls');
          assert.equal(call?.type === 'function' && call.function.name, 'lookup');
          assert.deepEqual(JSON.parse(call?.type === 'function' ? call.function.arguments : ''), { q: 'x' });
        });

        it('tools in: the assistant call and the tool result reach the provider', async () => {
          up.next = 'text';
          const data = await client.chat.completions.create({
            model: a.name,
            tools,
            messages: [
              ...hi,
              {
                role: 'assistant',
                content: null,
                tool_calls: [
                  { id: 'call_prev1', type: 'function', function: { name: 'lookup', arguments: '{"q":"weather"}' } },
                ],
              },
              { role: 'tool', tool_call_id: 'call_prev1', content: '{"forecast":"sunny"}' },
            ],
          });
          assert.equal(data.choices[0].message.content, 'Hello there');
          const body = JSON.stringify(sent().body);
          assert.ok(body.includes('weather'), 'the call went up');
          assert.ok(body.includes('sunny'), 'the result went up');
        });

        it('finish reason length', async () => {
          up.next = 'length';
          const data = await client.chat.completions.create({ model: a.name, messages: hi, max_tokens: 3 });
          assert.equal(data.choices[0].finish_reason, 'length');
        });

        it("the provider's 400 reaches the client as a 400 with its message", async () => {
          up.next = 'bad_request';
          const err = await client.chat.completions.create({ model: a.name, messages: hi }).then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(err instanceof OpenAI.APIError, String(err));
          assert.equal(err.status, 400);
          assert.match(err.message, /Bad thing/);
        });

        it("429: the client gets 429 with the provider's retry delay", async () => {
          up.next = 'rate_limited';
          const res = await stack.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: a.name, messages: hi }),
          });
          assert.equal(res.status, 429);
          // Bedrock's throttling answer names no delay: none is invented.
          assert.equal(res.headers.get('retry-after'), a.dialect === 'bedrock' ? null : '7');
          const body = (await res.json()) as { error: { code: string } };
          assert.equal(body.error.code, 'rate_limit_exceeded');
        });

        it('500: a 502 upstream_error', async () => {
          up.next = 'server_error';
          const res = await stack.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: a.name, messages: hi }),
          });
          assert.equal(res.status, 502);
          assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'upstream_error');
        });

        it('malformed stream: the client sees the stream end in an error, not a [DONE]', async () => {
          up.next = 'malformed_stream';
          const res = await stack.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: a.name, messages: hi, stream: true }),
          });
          assert.equal(res.status, 200);
          const text = await res.text();
          assert.ok(text.includes('Hel'), 'the good event was forwarded');
          assert.ok(!text.includes('[DONE]'), text);
          assert.match(text, /"error"/);
        });
      });
    }

    it('vertex-ai: one OAuth token (a verified service-account assertion) serves every call, as a bearer', () => {
      assert.equal(up.tokenGrants, 1);
      const vertex = up.requests.filter((r) =>
        r.url.includes('/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-flash:'),
      );
      assert.ok(vertex.length >= 10);
      assert.ok(vertex.every((r) => r.headers.authorization === 'Bearer ya29.test-access-token'));
      const gemini = up.requests.filter((r) => r.url.startsWith('/v1beta/models/gemini-2.5-flash:'));
      assert.ok(gemini.every((r) => r.headers['x-goog-api-key'] === MOCK_KEY && r.headers.authorization === undefined));
      assert.ok(gemini.some((r) => r.url.endsWith(':streamGenerateContent?alt=sse')));
    });
  });
}
