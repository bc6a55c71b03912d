/**
 * OpenAI chat.completion.chunk SSE → Anthropic Messages SSE (message_start, ping,
 * content_block_start/delta/stop with text_delta and input_json_delta, message_delta with
 * stop_reason and usage, message_stop; an upstream error event becomes an `error` event).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { anthropicUsage, messageId, stopReason } from './fromChat';

type Json = Record<string, unknown>;

interface ChunkToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}
interface Chunk {
  id?: string;
  model?: string;
  choices?: { delta?: { content?: string | null; tool_calls?: ChunkToolCall[] }; finish_reason?: string | null }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    prompt_tokens_details?: { cached_tokens?: number };
  } | null;
  error?: { message?: string; type?: string };
}

const event = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

export class AnthropicSseTransform extends Transform {
  private buf = '';
  // A UTF-8 character may be split across two upstream chunks.
  private readonly decoder = new StringDecoder('utf8');
  private started = false;
  private ended = false;
  /** Index of the open content block, -1 when none is open. */
  private open = -1;
  private openKind: 'text' | 'tool' | undefined;
  private next = 0;
  /** OpenAI tool_call index → our content block index. */
  private toolBlocks = new Map<number, number>();
  private finish: string | null = null;
  private usage: Chunk['usage'] = null;

  constructor(private readonly alias: string) {
    super();
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
    let out = this.buf.trim() ? this.onEvent(this.buf) : '';
    out += this.finishMessage();
    cb(null, out || undefined);
  }

  private onEvent(raw: string): string {
    let data = '';
    for (const line of raw.split('\n')) if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
    if (!data) return '';
    if (data === '[DONE]') return this.finishMessage();
    let j: Chunk;
    try {
      j = JSON.parse(data) as Chunk;
    } catch {
      return '';
    }
    if (j.error) {
      this.ended = true;
      const type =
        j.error.type === 'rate_limit_error'
          ? 'rate_limit_error'
          : j.error.type === 'invalid_request_error'
            ? 'invalid_request_error'
            : 'api_error';
      return event('error', { error: { type, message: j.error.message ?? 'The upstream stream failed.' } });
    }
    let out = this.start(j);
    if (j.usage) this.usage = j.usage;
    for (const c of j.choices ?? []) {
      const d = c.delta ?? {};
      if (typeof d.content === 'string' && d.content !== '') {
        if (this.openKind !== 'text') out += this.openBlock('text', { type: 'text', text: '' });
        out += event('content_block_delta', { index: this.open, delta: { type: 'text_delta', text: d.content } });
      }
      for (const tc of d.tool_calls ?? []) {
        const key = tc.index ?? 0;
        let idx = this.toolBlocks.get(key);
        if (idx === undefined) {
          out += this.openBlock('tool', {
            type: 'tool_use',
            id: tc.id ?? `toolu_${key}`,
            name: tc.function?.name ?? '',
            input: {},
          });
          idx = this.open;
          this.toolBlocks.set(key, idx);
        }
        const args = tc.function?.arguments;
        // Anthropic blocks never interleave: a late fragment of an earlier call is dropped only if its block closed (not produced by OpenAI-style streams in practice).
        if (args && idx === this.open)
          out += event('content_block_delta', { index: idx, delta: { type: 'input_json_delta', partial_json: args } });
      }
      if (c.finish_reason) this.finish = c.finish_reason;
    }
    return out;
  }

  private start(j: Chunk): string {
    if (this.started) return '';
    this.started = true;
    const message = {
      id: messageId(j.id),
      type: 'message',
      role: 'assistant',
      model: j.model ?? this.alias,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return event('message_start', { message }) + event('ping', {});
  }

  private openBlock(kind: 'text' | 'tool', block: Json): string {
    const out = this.closeBlock();
    this.open = this.next++;
    this.openKind = kind;
    return out + event('content_block_start', { index: this.open, content_block: block });
  }

  private closeBlock(): string {
    if (this.open < 0) return '';
    const out = event('content_block_stop', { index: this.open });
    this.open = -1;
    this.openKind = undefined;
    return out;
  }

  private finishMessage(): string {
    if (this.ended) return '';
    this.ended = true;
    let out = this.start({}) + this.closeBlock();
    const u = this.usage;
    const usage = anthropicUsage(
      u
        ? {
            promptTokens: u.prompt_tokens ?? 0,
            completionTokens: u.completion_tokens ?? 0,
            cachedTokens: u.prompt_tokens_details?.cached_tokens ?? 0,
          }
        : undefined,
    );
    out += event('message_delta', {
      delta: { stop_reason: stopReason(this.finish) ?? 'end_turn', stop_sequence: null },
      usage,
    });
    out += event('message_stop', {});
    return out;
  }
}
