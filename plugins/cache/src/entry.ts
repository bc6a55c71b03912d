import type { AiUsage } from '@aihub/core/plugin-api';

/** What is stored per key (JSON in the shared layer). */
export interface CacheEntry {
  v: 1;
  kind: 'chat' | 'embeddings';
  /** The model the client asked for. */
  model: string;
  /** Epoch ms the entry was stored and expires. */
  storedAt: number;
  expiresAt: number;
  /** The complete non-streaming response body (`chat.completion` or embeddings `list`). */
  body: Record<string, unknown>;
}

/** OpenAI's usage object. */
export interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** The contracts' usage shape from an OpenAI usage object (zeros when absent). */
export function toAiUsage(u: OpenAiUsage | undefined | null): AiUsage {
  const prompt = num(u?.prompt_tokens);
  const completion = num(u?.completion_tokens);
  return {
    promptTokens: prompt,
    completionTokens: completion,
    cachedTokens: num(u?.prompt_tokens_details?.cached_tokens),
    totalTokens: num(u?.total_tokens) || prompt + completion,
    estimated: false,
  };
}

export function toOpenAiUsage(u: AiUsage): OpenAiUsage {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.totalTokens,
    ...(u.cachedTokens ? { prompt_tokens_details: { cached_tokens: u.cachedTokens } } : {}),
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

interface ChatChoice {
  index?: number;
  message?: {
    role?: string;
    content?: string | null;
    refusal?: string | null;
    tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
  };
  finish_reason?: string | null;
  logprobs?: unknown;
}

/**
 * An entry ready to serve: the response pre-encoded once, so a hit only writes a buffer. The SSE
 * renderings are made on first use (with and without the usage chunk) and kept.
 */
export class StoredEntry {
  readonly json: Buffer;
  readonly usage: AiUsage;
  private sse?: Buffer;
  private sseWithUsage?: Buffer;

  constructor(
    readonly entry: CacheEntry,
    /** Size of the serialized entry (what the shared layer holds). */
    readonly bytes: number,
  ) {
    this.json = Buffer.from(JSON.stringify(entry.body));
    this.usage = toAiUsage(entry.body.usage as OpenAiUsage | undefined);
  }

  /** Bytes this entry may take in the in-process LRU: the JSON plus, for chats, two SSE renderings. */
  get l1Size(): number {
    return this.entry.kind === 'chat' ? this.json.length * 3 + 1024 : this.json.length + 256;
  }

  /** The answer as an OpenAI `chat.completion.chunk` stream, ending with `data: [DONE]`. */
  stream(includeUsage: boolean): Buffer {
    if (includeUsage) return (this.sseWithUsage ??= Buffer.from(renderSse(this.entry.body, true)));
    return (this.sse ??= Buffer.from(renderSse(this.entry.body, false)));
  }
}

/**
 * Replays a `chat.completion` as the stream OpenAI would have sent: per choice a role chunk, the
 * content (or refusal, tool calls) in one delta, a finish chunk; with `include_usage` every chunk
 * carries `usage: null` and a last chunk with empty choices carries the usage.
 */
export function renderSse(body: Record<string, unknown>, includeUsage: boolean): string {
  const base: Record<string, unknown> = {
    id: body.id,
    object: 'chat.completion.chunk',
    created: body.created,
    model: body.model,
  };
  if (body.system_fingerprint !== undefined) base.system_fingerprint = body.system_fingerprint;
  if (body.service_tier !== undefined) base.service_tier = body.service_tier;
  let out = '';
  const emit = (choices: unknown[], usage?: unknown) => {
    const chunk: Record<string, unknown> = { ...base, choices };
    if (includeUsage) chunk.usage = usage ?? null;
    out += `data: ${JSON.stringify(chunk)}\n\n`;
  };
  const choices = Array.isArray(body.choices) ? (body.choices as ChatChoice[]) : [];
  for (let i = 0; i < choices.length; i++) {
    const c = choices[i];
    const index = typeof c.index === 'number' ? c.index : i;
    const m = c.message ?? {};
    // Like OpenAI: the first chunk has content '' for a text answer and null for a tool-call answer.
    emit([
      {
        index,
        delta: { role: m.role ?? 'assistant', content: typeof m.content === 'string' ? '' : null, refusal: null },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    if (typeof m.content === 'string' && m.content.length)
      emit([{ index, delta: { content: m.content }, logprobs: c.logprobs ?? null, finish_reason: null }]);
    if (typeof m.refusal === 'string' && m.refusal.length)
      emit([{ index, delta: { refusal: m.refusal }, logprobs: null, finish_reason: null }]);
    if (Array.isArray(m.tool_calls) && m.tool_calls.length) {
      const calls = m.tool_calls.map((t, k) => ({
        index: k,
        id: t.id,
        type: t.type ?? 'function',
        function: { name: t.function?.name ?? '', arguments: t.function?.arguments ?? '' },
      }));
      emit([{ index, delta: { tool_calls: calls }, logprobs: null, finish_reason: null }]);
    }
    emit([{ index, delta: {}, logprobs: null, finish_reason: c.finish_reason ?? 'stop' }]);
  }
  if (includeUsage) emit([], body.usage ?? null);
  return `${out}data: [DONE]\n\n`;
}
