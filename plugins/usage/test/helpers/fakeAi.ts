/**
 * A stand-in for the ai plugin's chat route that meters the way the usage plugin asks the ai plugin
 * to (README "No-loss metering"): a write-ahead `pending` record published with publishNow BEFORE the
 * upstream call, and the final record (buffered publish) once the request is over — success, error,
 * client cancel, or cache hit. It proxies to an OpenAI-compatible upstream (the bench mock upstream).
 */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import {
  PrincipalKey,
  TenantKey,
  USAGE_TOPIC,
  definePlugin,
  type GatewayContext,
  type PluginContext,
  type PluginDefinition,
  type UsageRecord,
} from '@aihub/core/plugin-api';

export const PRICE = { inputPerToken: 2, cachedPerToken: 1, outputPerToken: 8 };

export interface FakeAiOptions {
  upstreamUrl: string;
  /** Publish the write-ahead record (default true). */
  writeAhead?: boolean;
  /** Send the usage request id upstream as x-request-id (the kill test matches it with the mock's log). */
  forwardRequestId?: boolean;
}

type Pending = Omit<UsageRecord, 'status'> & { status: 'pending' };

function cost(prompt: number, cached: number, completion: number) {
  const inputCostMicros = (prompt - cached) * PRICE.inputPerToken;
  const cachedCostMicros = cached * PRICE.cachedPerToken;
  const outputCostMicros = completion * PRICE.outputPerToken;
  return {
    inputCostMicros,
    cachedCostMicros,
    outputCostMicros,
    costMicros: inputCostMicros + cachedCostMicros + outputCostMicros,
  };
}

function baseRecord(
  c: GatewayContext,
  model: string,
  stream: boolean,
  started: number,
): Omit<
  UsageRecord,
  | 'status'
  | 'promptTokens'
  | 'completionTokens'
  | 'cachedTokens'
  | 'totalTokens'
  | 'estimated'
  | 'costMicros'
  | 'priced'
  | 'latencyMs'
  | 'ttftMs'
  | 'httpStatus'
  | 'errorCode'
  | 'cacheHit'
> {
  const p = PrincipalKey.get(c);
  const t = TenantKey.get(c);
  return {
    // Server-generated: a caller-chosen x-request-id must never be the billing idempotency key.
    requestId: randomUUID(),
    timestamp: new Date(started).toISOString(),
    tenantId: t?.id ?? p?.tenantId ?? null,
    keyId: p?.keyId ?? null,
    userId: p?.userId ?? null,
    teamId: p?.teamId ?? null,
    endpoint: 'chat.completions',
    model,
    resolvedModel: model,
    provider: 'mock',
    deployment: 'mock-1',
    experiment: null,
    variant: null,
    stream,
  };
}

/** Failure-injection headers for the mock upstream pass through (x-mock-*). */
function mockHeaders(c: GatewayContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers)) if (k.startsWith('x-mock-') && typeof v === 'string') out[k] = v;
  return out;
}

/** Rough prompt estimate for the write-ahead record (the real ai plugin uses its tokenizer). */
function estimatePrompt(body: { messages?: { content?: unknown }[] }): number {
  return Math.max(1, Math.ceil(JSON.stringify(body.messages ?? []).length / 4));
}

export function fakeAiPlugin(options: FakeAiOptions): PluginDefinition & { published: () => number } {
  let published = 0;
  const writeAhead = options.writeAhead ?? true;
  const def = definePlugin({
    apiVersion: 'aihub.plugin/v1',
    name: 'test-ai',
    version: '0.0.0',
    core: '*',
    routePrefix: '',
    routes(router, ctx: PluginContext) {
      router.post(
        '/v1/chat/completions',
        async (c) => {
          const body = c.request.body as {
            model: string;
            messages: { role: string; content: string }[];
            stream?: boolean;
          };
          const started = Date.now();
          const stream = body.stream === true;
          const base = baseRecord(c, body.model, stream, started);
          const final = (r: Partial<UsageRecord>) => {
            const prompt = r.promptTokens ?? 0;
            const completion = r.completionTokens ?? 0;
            const cached = r.cachedTokens ?? 0;
            const money = r.cacheHit
              ? { costMicros: 0, inputCostMicros: 0, cachedCostMicros: 0, outputCostMicros: 0 }
              : cost(prompt, cached, completion);
            const record = {
              ...base,
              promptTokens: prompt,
              completionTokens: completion,
              cachedTokens: cached,
              totalTokens: prompt + completion,
              estimated: r.estimated ?? false,
              ...money,
              priced: true,
              latencyMs: Date.now() - started,
              ttftMs: r.ttftMs ?? null,
              status: r.status ?? 'success',
              httpStatus: r.httpStatus ?? 200,
              errorCode: r.errorCode ?? null,
              cacheHit: r.cacheHit ?? false,
            } satisfies UsageRecord & Record<string, unknown>;
            published++;
            ctx.queue.publish(USAGE_TOPIC, record);
          };

          if (c.get('x-test-cache-hit') === '1') {
            // A cache hit: no upstream call, so no write-ahead record; metered with zero cost.
            c.body = {
              id: 'chatcmpl-cached',
              object: 'chat.completion',
              model: body.model,
              choices: [{ index: 0, message: { role: 'assistant', content: 'cached' }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
            };
            final({ promptTokens: 7, completionTokens: 3, cacheHit: true });
            return;
          }

          if (writeAhead) {
            const est = estimatePrompt(body);
            const pending: Pending = {
              ...base,
              status: 'pending',
              promptTokens: est,
              completionTokens: 0,
              cachedTokens: 0,
              totalTokens: est,
              estimated: true,
              costMicros: est * PRICE.inputPerToken,
              priced: true,
              latencyMs: 0,
              ttftMs: null,
              httpStatus: 0,
              errorCode: null,
              cacheHit: false,
            };
            await ctx.queue.publishNow(USAGE_TOPIC, [pending]);
          }

          const abort = new AbortController();
          const upstreamBody = stream ? { ...body, stream_options: { include_usage: true } } : body;
          let res: Response;
          try {
            res = await fetch(`${options.upstreamUrl}/v1/chat/completions`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                ...mockHeaders(c),
                ...(options.forwardRequestId ? { 'x-request-id': base.requestId } : {}),
              },
              body: JSON.stringify(upstreamBody),
              signal: abort.signal,
            });
          } catch (err) {
            final({
              status: 'error',
              httpStatus: 502,
              errorCode: 'upstream_unreachable',
              promptTokens: estimatePrompt(body),
              estimated: true,
            });
            throw err;
          }
          if (!stream || !res.ok || !res.body) {
            const json = (await res.json()) as {
              usage?: {
                prompt_tokens: number;
                completion_tokens: number;
                prompt_tokens_details?: { cached_tokens?: number };
              };
            };
            c.status = res.status;
            c.body = json;
            final({
              status: res.ok ? 'success' : 'error',
              httpStatus: res.status,
              errorCode: res.ok ? null : 'upstream_error',
              promptTokens: json.usage?.prompt_tokens ?? 0,
              completionTokens: json.usage?.completion_tokens ?? 0,
              cachedTokens: json.usage?.prompt_tokens_details?.cached_tokens ?? 0,
            });
            return;
          }

          // Streaming: forward chunks; usage comes in the last chunk (include_usage). A client that
          // leaves mid-way aborts the upstream call and is metered as cancelled with what was streamed.
          const out = new PassThrough();
          c.status = 200;
          c.set('content-type', 'text/event-stream');
          c.body = out;
          let ttft: number | null = null;
          let streamedTokens = 0;
          let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
          let cancelled = false;
          c.res.once('close', () => {
            if (!c.res.writableFinished) {
              cancelled = true;
              abort.abort();
            }
          });
          out.on('error', () => {});
          void (async () => {
            const reader = res.body!.getReader();
            const decoder = new TextDecoder();
            let buf = '';
            try {
              for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                const text = decoder.decode(value, { stream: true });
                buf += text;
                let nl: number;
                while ((nl = buf.indexOf('\n\n')) !== -1) {
                  const event = buf.slice(0, nl);
                  buf = buf.slice(nl + 2);
                  const data = event.startsWith('data: ') ? event.slice(6) : '';
                  if (data && data !== '[DONE]') {
                    const chunk = JSON.parse(data) as {
                      choices?: { delta?: { content?: string } }[];
                      usage?: { prompt_tokens: number; completion_tokens: number };
                    };
                    if (chunk.choices?.[0]?.delta?.content) {
                      streamedTokens++;
                      ttft ??= Date.now() - started;
                    }
                    if (chunk.usage) usage = chunk.usage;
                  }
                  if (!out.destroyed) out.write(`${event}\n\n`);
                }
              }
              out.end();
            } catch {
              // aborted
            }
            if (cancelled || !usage) {
              final({
                status: 'cancelled',
                httpStatus: 200,
                errorCode: 'client_closed',
                promptTokens: usage?.prompt_tokens ?? estimatePrompt(body),
                completionTokens: streamedTokens,
                estimated: true,
                ttftMs: ttft,
              });
            } else {
              final({
                status: 'success',
                promptTokens: usage.prompt_tokens,
                completionTokens: usage.completion_tokens,
                ttftMs: ttft,
              });
            }
          })();
        },
        { tags: ['ai'], scopes: ['ai:invoke'], summary: 'test chat route' },
      );
    },
  });
  return Object.assign(def, { published: () => published });
}
