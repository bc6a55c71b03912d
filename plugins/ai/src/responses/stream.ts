/**
 * OpenAI chat.completion.chunk SSE → Responses API typed SSE events, each with its
 * sequence_number: response.created, response.in_progress, then per output item
 * output_item.added, (content_part.added, output_text.delta…, output_text.done, content_part.done)
 * or (function_call_arguments.delta…, function_call_arguments.done), output_item.done, and at the
 * end response.completed (response.incomplete when the answer was cut). An upstream error event
 * becomes `error` followed by response.failed.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  functionCallItem,
  messageItem,
  reasoningTokensOf,
  responseObject,
  responseUsage,
  statusOf,
  type ResponseTokens,
} from './fromChat';
import { newId, type ResponsesRequest } from './toChat';

type Json = Record<string, unknown>;

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}
interface Chunk {
  model?: string;
  choices?: {
    delta?: { content?: string | null; refusal?: string | null; tool_calls?: ChunkToolCall[] };
    finish_reason?: string | null;
  }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
    completion_tokens_details?: { reasoning_tokens?: number };
  } | null;
  error?: { message?: string; type?: string; code?: string | null };
}

/** The open output item. */
interface OpenItem {
  index: number;
  id: string;
  kind: 'message' | 'function_call';
  text: string;
  callId: string;
  name: string;
}

export interface StreamEnd {
  /** The final Response object (status completed, incomplete or failed). */
  response: Json;
  output: Json[];
}

export class ResponsesSseTransform extends Transform {
  private buf = '';
  // A UTF-8 character may be split across two upstream chunks.
  private readonly decoder = new StringDecoder('utf8');
  private seq = 0;
  private started = false;
  private ended = false;
  private model: string;
  private open: OpenItem | undefined;
  private readonly output: Json[] = [];
  /** OpenAI tool_call index → the output index of its function_call item. */
  private readonly calls = new Map<number, number>();
  private finish: string | null = null;
  private tokens: ResponseTokens | undefined;

  /**
   * @param settle called once with the final response before its last event is written (stores it);
   *   the stream waits for it, so a follow-up request made on `response.completed` finds it.
   * @param settledTokens the usage as the gateway read it from the provider (cache writes included,
   *   which chat chunks cannot carry), else its estimate; the usage chunk is used when this has none.
   */
  constructor(
    private readonly id: string,
    private readonly createdAt: number,
    // Not `req`: stream utilities (end-of-stream) take a stream with a `req` for an HTTP response.
    private readonly request: ResponsesRequest,
    alias: string,
    private readonly settle: (end: StreamEnd) => Promise<void>,
    private readonly settledTokens: () => ResponseTokens | undefined,
  ) {
    super();
    this.model = alias;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.buf += this.decoder.write(chunk);
    let out = '';
    let i: number;
    while ((i = this.buf.indexOf('\n\n')) >= 0) {
      const raw = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      out += this.onEvent(raw);
    }
    cb(null, out || undefined);
  }

  override _flush(cb: TransformCallback): void {
    this.buf += this.decoder.end();
    const out = this.buf.trim() ? this.onEvent(this.buf) : '';
    if (out) this.push(out);
    this.end_()
      .then((last) => cb(null, last || undefined))
      .catch((err: unknown) => cb(err as Error));
  }

  private event(type: string, data: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: this.seq++ })}\n\n`;
  }

  private snapshot(
    status: string,
    extra: { usage?: Json | null; incomplete_details?: Json | null; error?: Json | null } = {},
  ): Json {
    return responseObject(this.id, this.createdAt, this.request, this.model, {
      status,
      output: this.output.slice(),
      usage: extra.usage ?? null,
      incomplete_details: extra.incomplete_details,
      error: extra.error,
    });
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const r = this.snapshot('in_progress');
    return this.event('response.created', { response: r }) + this.event('response.in_progress', { response: r });
  }

  private onEvent(raw: string): string {
    if (this.ended) return '';
    let data = '';
    for (const line of raw.split('\n')) if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
    if (!data || data === '[DONE]') return '';
    let j: Chunk;
    try {
      j = JSON.parse(data) as Chunk;
    } catch {
      return '';
    }
    if (typeof j.model === 'string' && j.model) this.model = j.model;
    if (j.error) return this.fail(j.error);
    let out = this.start();
    if (j.usage) {
      const u = j.usage;
      this.tokens = {
        promptTokens: u.prompt_tokens ?? 0,
        completionTokens: u.completion_tokens ?? 0,
        cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
        cacheWriteTokens: 0,
        reasoningTokens: reasoningTokensOf(u),
      };
    }
    // Responses has no `n`: the first choice is the answer.
    const c = j.choices?.[0];
    if (!c) return out;
    const d = c.delta ?? {};
    const text =
      typeof d.content === 'string' && d.content !== ''
        ? d.content
        : typeof d.refusal === 'string' && d.refusal !== ''
          ? d.refusal
          : '';
    if (text) {
      if (this.open?.kind !== 'message') out += this.openMessage();
      const item = this.open!;
      item.text += text;
      out += this.event('response.output_text.delta', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        delta: text,
        logprobs: [],
      });
    }
    for (const tc of d.tool_calls ?? []) {
      const key = tc.index ?? 0;
      let idx = this.calls.get(key);
      if (idx === undefined) {
        out += this.openCall(tc.id ?? newId('call'), tc.function?.name ?? '');
        idx = this.open!.index;
        this.calls.set(key, idx);
      }
      const args = tc.function?.arguments;
      // Chat streams one call after the other; a late fragment of a call already closed cannot be placed.
      if (args && this.open?.index === idx) {
        this.open.text += args;
        out += this.event('response.function_call_arguments.delta', {
          item_id: this.open.id,
          output_index: idx,
          delta: args,
        });
      }
    }
    if (c.finish_reason) this.finish = c.finish_reason;
    return out;
  }

  private openMessage(): string {
    const out = this.closeItem();
    const item: OpenItem = {
      index: this.output.length,
      id: newId('msg'),
      kind: 'message',
      text: '',
      callId: '',
      name: '',
    };
    this.open = item;
    const added = { id: item.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    this.output.push(added);
    return (
      out +
      this.event('response.output_item.added', { output_index: item.index, item: added }) +
      this.event('response.content_part.added', {
        item_id: item.id,
        output_index: item.index,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      })
    );
  }

  private openCall(callId: string, name: string): string {
    const out = this.closeItem();
    const item: OpenItem = {
      index: this.output.length,
      id: newId('fc'),
      kind: 'function_call',
      text: '',
      callId,
      name,
    };
    this.open = item;
    const added = functionCallItem(item.id, callId, name, '', 'in_progress');
    this.output.push(added);
    return out + this.event('response.output_item.added', { output_index: item.index, item: added });
  }

  private closeItem(): string {
    const item = this.open;
    if (!item) return '';
    this.open = undefined;
    if (item.kind === 'message') {
      const done = messageItem(item.id, item.text, 'completed');
      this.output[item.index] = done;
      const part = (done.content as Json[])[0];
      return (
        this.event('response.output_text.done', {
          item_id: item.id,
          output_index: item.index,
          content_index: 0,
          text: item.text,
          logprobs: [],
        }) +
        this.event('response.content_part.done', {
          item_id: item.id,
          output_index: item.index,
          content_index: 0,
          part,
        }) +
        this.event('response.output_item.done', { output_index: item.index, item: done })
      );
    }
    const done = functionCallItem(item.id, item.callId, item.name, item.text, 'completed');
    this.output[item.index] = done;
    return (
      this.event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: item.index,
        name: item.name,
        arguments: item.text,
      }) + this.event('response.output_item.done', { output_index: item.index, item: done })
    );
  }

  private failed: Json | undefined;

  private fail(error: NonNullable<Chunk['error']>): string {
    this.ended = true;
    const code = error.code ?? (error.type === 'rate_limit_error' ? 'rate_limit_exceeded' : 'server_error');
    const message = error.message ?? 'The upstream stream failed.';
    this.failed = { code, message };
    return this.start() + this.event('error', { code, message, param: null });
  }

  /** The last events: the open item closed, then response.completed / incomplete / failed (after `settle`). */
  private async end_(): Promise<string> {
    if (this.failed) {
      const response = this.snapshot('failed', {
        error: this.failed,
        usage: this.tokens ? responseUsage(this.tokens) : null,
      });
      await this.settle({ response, output: this.output });
      return this.event('response.failed', { response });
    }
    if (this.ended) return '';
    this.ended = true;
    let out = this.start();
    // An answer with neither text nor tool calls is still one (empty) message, as OpenAI answers it.
    if (this.output.length === 0) out += this.openMessage();
    out += this.closeItem();
    const { status, incomplete_details } = statusOf(this.finish);
    const settled = this.settledTokens();
    const tokens =
      settled && this.tokens
        ? { ...settled, reasoningTokens: settled.reasoningTokens || this.tokens.reasoningTokens }
        : (settled ?? this.tokens);
    const response = this.snapshot(status, { usage: responseUsage(tokens), incomplete_details });
    await this.settle({ response, output: this.output });
    return out + this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }
}
