/**
 * One real HTTP server speaking every provider dialect the adapters call, with the shapes the
 * providers document and send (answers, SSE streams, error bodies, rate-limit headers). What it
 * answers next is set by the test (`next`); every request is recorded.
 */
import http from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { AddressInfo } from 'node:net';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

// jose is ESM-only; Node 20.19+ loads it with require.
const jose = require('jose') as typeof Jose;

export type Dialect = 'openai' | 'mistral' | 'anthropic' | 'gemini' | 'bedrock';
export type Scenario =
  'text' | 'cache_write' | 'tool' | 'length' | 'bad_request' | 'rate_limited' | 'server_error' | 'malformed_stream';

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface ConformanceUpstream {
  url: string;
  next: Scenario;
  requests: Recorded[];
  /** Calls of the OAuth token endpoint (`/token`) with a valid assertion. */
  tokenGrants: number;
  /** Bedrock calls whose SigV4 signature did not verify. */
  badSignatures: number;
  close(): Promise<void>;
}

/**
 * Token usage every scenario reports: 11 prompt tokens (4 of them cached), 3 completion tokens; in
 * `cache_write`, providers that cache on request (Anthropic, Bedrock) say 2 of the 11 were written.
 */
export const USAGE = { prompt: 11, completion: 3, cached: 4, cacheWrites: 2 };

const sse = (res: http.ServerResponse, events: string[]) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) res.write(e);
  res.end();
};
const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const data = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;

function dialectOf(url: string): Dialect | 'token' | undefined {
  if (url === '/token') return 'token';
  if (url.includes('/mistral/')) return 'mistral';
  if (url.endsWith('/chat/completions') || url.includes('/chat/completions?')) return 'openai';
  if (url.endsWith('/v1/messages')) return 'anthropic';
  if (url.includes(':generateContent') || url.includes(':streamGenerateContent')) return 'gemini';
  if (/^\/model\/[^/]+\/converse(-stream)?$/.test(url)) return 'bedrock';
  return undefined;
}

/** Starts the server on 127.0.0.1; `publicKey` verifies the service-account assertions at /token. */
export async function startConformanceUpstream(
  publicKey?: Jose.CryptoKey | Uint8Array | Jose.KeyObject,
  aws?: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Promise<ConformanceUpstream> {
  const state = { next: 'text' as Scenario, requests: [] as Recorded[], tokenGrants: 0, badSignatures: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '/';
      const dialect = dialectOf(url);
      if (dialect === 'token') return void token(raw, res);
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {}
      state.requests.push({ method: req.method ?? 'GET', url, headers: req.headers, body });
      if (!dialect) return json(res, 404, { error: { message: `no route ${url}` } });
      if (dialect === 'bedrock') {
        return void verifySigV4(req, raw, aws).then((ok) => {
          if (!ok) {
            state.badSignatures++;
            return json(
              res,
              403,
              { message: 'The request signature we calculated does not match the signature you provided.' },
              {
                'x-amzn-errortype':
                  'InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/',
              },
            );
          }
          answer('bedrock', state.next, url.endsWith('/converse-stream'), body as Record<string, unknown>, res);
        });
      }
      const b = body as Record<string, unknown>;
      const stream = dialect === 'gemini' ? url.includes(':streamGenerateContent') : b.stream === true;
      answer(dialect, state.next, stream, b, res);
    });
  });

  async function token(raw: string, res: http.ServerResponse): Promise<void> {
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !publicKey)
      return json(res, 400, { error: 'unsupported_grant_type' });
    try {
      const { payload } = await jose.jwtVerify(form.get('assertion') ?? '', publicKey, {
        audience: `${upstream.url}/token`,
      });
      if (payload.scope !== 'https://www.googleapis.com/auth/cloud-platform') throw new Error('scope');
      state.tokenGrants++;
      json(res, 200, { access_token: 'ya29.test-access-token', expires_in: 3599, token_type: 'Bearer' });
    } catch {
      json(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: ConformanceUpstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get next() {
      return state.next;
    },
    set next(s: Scenario) {
      state.next = s;
    },
    requests: state.requests,
    get tokenGrants() {
      return state.tokenGrants;
    },
    get badSignatures() {
      return state.badSignatures;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}

function answer(
  dialect: Dialect,
  scenario: Scenario,
  stream: boolean,
  body: Record<string, unknown>,
  res: http.ServerResponse,
): void {
  switch (scenario) {
    case 'bad_request':
      return errorAnswer(dialect, 400, res);
    case 'rate_limited':
      return errorAnswer(dialect, 429, res);
    case 'server_error':
      return errorAnswer(dialect, 500, res);
    case 'malformed_stream':
      if (dialect === 'bedrock') {
        // One good frame, then a frame whose checksum is wrong.
        res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
        res.write(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }));
        const broken = Buffer.from(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }));
        broken[broken.length - 1] ^= 0xff;
        res.end(broken);
        return;
      }
      // One good event, then bytes that are no event of the dialect, then the connection ends.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(firstEvent(dialect));
      res.end('data: {"choices":[{"delta":{"content":"unterminated\n\n');
      return;
    default:
      if (dialect === 'openai' || dialect === 'mistral') return openAi(dialect, scenario, stream, body, res);
      if (dialect === 'anthropic') return anthropic(scenario, stream, res);
      if (dialect === 'bedrock') return bedrock(scenario, stream, res);
      return gemini(scenario, stream, res);
  }
}

function firstEvent(dialect: Dialect): string {
  if (dialect === 'anthropic')
    return `event: message_start\n${data({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], usage: { input_tokens: 7, output_tokens: 1 } } })}event: content_block_start\n${data({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })}event: content_block_delta\n${data({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } })}`;
  if (dialect === 'gemini')
    return data({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }],
      modelVersion: 'gemini-x',
    });
  return data({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }],
  });
}

function errorAnswer(dialect: Dialect, status: number, res: http.ServerResponse): void {
  if (dialect === 'bedrock') {
    // Bedrock names the error in a header and sends no Retry-After.
    const type =
      status === 400 ? 'ValidationException' : status === 429 ? 'ThrottlingException' : 'InternalServerException';
    return json(
      res,
      status,
      { message: status === 400 ? 'Bad thing' : 'Too many requests, please wait before trying again.' },
      {
        'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        'x-amzn-requestid': 'req-1',
      },
    );
  }
  const rateHeaders: Record<string, string> = status === 429 && dialect !== 'gemini' ? { 'retry-after': '7' } : {};
  if (dialect === 'anthropic') {
    const type = status === 400 ? 'invalid_request_error' : status === 429 ? 'rate_limit_error' : 'api_error';
    return json(
      res,
      status,
      { type: 'error', error: { type, message: status === 400 ? 'messages: Bad thing' : 'Try later' } },
      { ...rateHeaders, 'anthropic-ratelimit-requests-remaining': '0', 'request-id': 'req_1' },
    );
  }
  if (dialect === 'gemini') {
    const statusName = status === 400 ? 'INVALID_ARGUMENT' : status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL';
    const details =
      status === 429
        ? [
            {
              '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
              violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests' }],
            },
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
          ]
        : [];
    return json(res, status, {
      error: {
        code: status,
        message: status === 400 ? 'Bad thing' : 'Resource has been exhausted (e.g. check quota).',
        status: statusName,
        details,
      },
    });
  }
  if (dialect === 'mistral' && status === 400) {
    return json(res, 400, {
      object: 'error',
      message: 'Bad thing',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  }
  const type = status === 400 ? 'invalid_request_error' : status === 429 ? 'rate_limit_exceeded' : 'server_error';
  json(
    res,
    status,
    {
      error: {
        message: status === 400 ? 'Bad thing' : 'Rate limit reached',
        type,
        param: status === 400 ? 'messages' : null,
        code: status === 429 ? 'rate_limit_exceeded' : null,
      },
    },
    { ...rateHeaders, 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '7s' },
  );
}

function openAi(
  dialect: 'openai' | 'mistral',
  scenario: Scenario,
  stream: boolean,
  body: Record<string, unknown>,
  res: http.ServerResponse,
): void {
  const usage = {
    prompt_tokens: USAGE.prompt,
    completion_tokens: USAGE.completion,
    total_tokens: USAGE.prompt + USAGE.completion,
    prompt_tokens_details: { cached_tokens: USAGE.cached },
  };
  const finish =
    scenario === 'tool'
      ? 'tool_calls'
      : scenario === 'length'
        ? dialect === 'mistral'
          ? 'model_length'
          : 'length'
        : 'stop';
  const callId = dialect === 'mistral' ? 'Ab3dE6gH9' : 'call_1';
  const base = { id: 'chatcmpl-1', created: 1, model: String(body.model) };
  if (!stream) {
    const message =
      scenario === 'tool'
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: callId, type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
          }
        : { role: 'assistant', content: 'Hello there' };
    return json(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage,
    });
  }
  const chunk = (delta: unknown, finishReason: string | null, extra: Record<string, unknown> = {}) =>
    data({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    });
  const askedUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  if (scenario === 'tool') {
    // Mistral sends a call whole and (in older versions) without index; OpenAI in fragments.
    if (dialect === 'mistral')
      events.push(
        chunk(
          { tool_calls: [{ id: callId, type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
          null,
        ),
      );
    else
      events.push(
        chunk(
          { tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: 'lookup', arguments: '' } }] },
          null,
        ),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }, null),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }, null),
      );
  } else events.push(chunk({ content: 'Hel' }, null), chunk({ content: 'lo' }, null));
  // Servers that report stream usage unasked put it on the finish chunk (Mistral, OpenRouter).
  events.push(askedUsage ? chunk({}, finish) : chunk({}, finish, { usage }));
  if (askedUsage) events.push(data({ ...base, object: 'chat.completion.chunk', choices: [], usage }));
  events.push('data: [DONE]\n\n');
  sse(res, events);
}

function anthropic(scenario: Scenario, stream: boolean, res: http.ServerResponse): void {
  const stop = scenario === 'tool' ? 'tool_use' : scenario === 'length' ? 'max_tokens' : 'end_turn';
  // Anthropic lists cache reads and writes apart from input: 7 + 4 = 11 prompt tokens (5 + 2 + 4 with writes).
  const writes = scenario === 'cache_write' ? USAGE.cacheWrites : 0;
  const usage = {
    input_tokens: USAGE.prompt - USAGE.cached - writes,
    cache_read_input_tokens: USAGE.cached,
    cache_creation_input_tokens: writes,
    output_tokens: USAGE.completion,
  };
  if (!stream) {
    const content =
      scenario === 'tool'
        ? [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'x' } }]
        : [{ type: 'text', text: 'Hello there' }];
    return json(res, 200, {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage,
    });
  }
  const ev = (type: string, o: Record<string, unknown>) => `event: ${type}\n${data({ type, ...o })}`;
  const events = [
    ev('message_start', {
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-x',
        content: [],
        stop_reason: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    ev('ping', {}),
  ];
  if (scenario === 'tool') {
    events.push(
      ev('content_block_start', {
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} },
      }),
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"x"}' } }),
    );
  } else {
    events.push(
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hel' } }),
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo' } }),
    );
  }
  events.push(
    ev('content_block_stop', { index: 0 }),
    ev('message_delta', {
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: USAGE.completion },
    }),
    ev('message_stop', {}),
  );
  sse(res, events);
}

function gemini(scenario: Scenario, stream: boolean, res: http.ServerResponse): void {
  const finishReason = scenario === 'length' ? 'MAX_TOKENS' : 'STOP';
  const usageMetadata = {
    promptTokenCount: USAGE.prompt,
    candidatesTokenCount: USAGE.completion,
    cachedContentTokenCount: USAGE.cached,
    totalTokenCount: USAGE.prompt + USAGE.completion,
  };
  const call = { functionCall: { name: 'lookup', args: { q: 'x' } } };
  if (!stream) {
    const parts = scenario === 'tool' ? [call] : [{ text: 'Hello there' }];
    return json(res, 200, {
      candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
      usageMetadata,
      modelVersion: 'gemini-x',
      responseId: 'resp1',
    });
  }
  const events =
    scenario === 'tool'
      ? [
          data({
            candidates: [{ content: { role: 'model', parts: [call] }, finishReason, index: 0 }],
            usageMetadata,
            modelVersion: 'gemini-x',
          }),
        ]
      : [
          data({
            candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }],
            usageMetadata: { promptTokenCount: USAGE.prompt, totalTokenCount: USAGE.prompt },
            modelVersion: 'gemini-x',
          }),
          data({
            candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, finishReason, index: 0 }],
            usageMetadata,
            modelVersion: 'gemini-x',
          }),
        ];
  // Google ends SSE events with CRLF pairs.
  sse(
    res,
    events.map((e) => e.replace(/\n\n$/, '\r\n\r\n')),
  );
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One ConverseStream event as an event-stream frame. */
function frame(type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify({ ...(payload as object), p: 'abcdefghij' })),
  });
}

function bedrock(scenario: Scenario, stream: boolean, res: http.ServerResponse): void {
  const stopReason = scenario === 'tool' ? 'tool_use' : scenario === 'length' ? 'max_tokens' : 'end_turn';
  // Like Anthropic, Bedrock lists cache reads and writes apart from inputTokens.
  const writes = scenario === 'cache_write' ? USAGE.cacheWrites : 0;
  const usage = {
    inputTokens: USAGE.prompt - USAGE.cached - writes,
    outputTokens: USAGE.completion,
    totalTokens: USAGE.prompt + USAGE.completion,
    cacheReadInputTokens: USAGE.cached,
    cacheWriteInputTokens: writes,
  };
  if (!stream) {
    const content =
      scenario === 'tool'
        ? [{ toolUse: { toolUseId: 'tooluse_1', name: 'lookup', input: { q: 'x' } } }]
        : [{ text: 'Hello there' }];
    return json(res, 200, {
      output: { message: { role: 'assistant', content } },
      stopReason,
      usage,
      metrics: { latencyMs: 12 },
    });
  }
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
  res.write(frame('messageStart', { role: 'assistant' }));
  if (scenario === 'tool') {
    res.write(
      frame('contentBlockStart', {
        contentBlockIndex: 0,
        start: { toolUse: { toolUseId: 'tooluse_1', name: 'lookup' } },
      }),
    );
    res.write(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"q":' } } }));
    res.write(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '"x"}' } } }));
  } else {
    res.write(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }));
    res.write(frame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }));
  }
  res.write(frame('contentBlockStop', { contentBlockIndex: 0 }));
  res.write(frame('messageStop', { stopReason }));
  res.end(frame('metadata', { usage, metrics: { latencyMs: 12 } }));
}

/** Recomputes the request's SigV4 signature with the known credentials and compares it. */
async function verifySigV4(
  req: http.IncomingMessage,
  body: string,
  aws: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined,
): Promise<boolean> {
  const auth = req.headers.authorization;
  const date = req.headers['x-amz-date'];
  if (!aws || typeof auth !== 'string' || typeof date !== 'string') return false;
  if (aws.sessionToken && req.headers['x-amz-security-token'] !== aws.sessionToken) return false;
  const signer = new SignatureV4({ service: 'bedrock', region: aws.region, credentials: aws, sha256: Sha256 });
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const signed = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: req.url ?? '/',
      query: {},
      headers: { host: String(req.headers.host), 'content-type': String(req.headers['content-type']) },
      body,
    },
    { signingDate },
  );
  return signed.headers.authorization === auth;
}
