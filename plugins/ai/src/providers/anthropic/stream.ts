import { StringDecoder } from 'node:string_decoder';
import { StreamEventError } from '../../engine/errors';
import type { RawUsage, StreamTranslator, UpstreamErrorBody } from '../../types';
import { finishReason, openAiUsageJson, usageFromAnthropic, type AnthropicUsage } from './translate';
import { dataOf } from '../openai/stream';

interface AnthropicEvent {
  type?: string;
  index?: number;
  message?: { id?: string; model?: string; usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string; text?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

/**
 * Anthropic's stream (message_start, content_block_start/delta/stop, message_delta, message_stop,
 * ping, error) → OpenAI chat.completion.chunk events ending with `data: [DONE]`. Text deltas become
 * `delta.content`, tool_use blocks become `delta.tool_calls` (id and name first, then argument
 * fragments), stop reasons become finish reasons, and usage becomes the final usage chunk when the
 * client asked for `stream_options.include_usage`.
 */
export class AnthropicStreamTranslator implements StreamTranslator {
  usage: RawUsage | undefined;
  done = false;
  firstTokenAt: number | undefined;
  responseModel: string | undefined;
  finishReason: string | undefined;
  streamError: UpstreamErrorBody | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private forwarded = false;
  /** No text decoded yet (a BOM may open the stream). */
  private atStart = true;
  /** The last chunk ended with CR: a LF opening the next one completes that CRLF. */
  private lastCR = false;
  private id = 'chatcmpl-anthropic';
  private created = Math.floor(Date.now() / 1000);
  private inputUsage: AnthropicUsage | undefined;
  private readonly toolIndex = new Map<number, number>();
  private text = '';
  private readonly usageField: string;

  /**
   * @param native forward Anthropic's own events as they are (a /v1/messages request sent natively)
   *   instead of OpenAI chunks; usage, the end and errors are still read from them.
   */
  constructor(
    private readonly includeUsage: boolean,
    private readonly native = false,
  ) {
    this.usageField = includeUsage ? ',"usage":null' : '';
  }

  push(chunk: Buffer): string | null {
    let text = this.decoder.write(chunk);
    if (this.atStart && text.length) {
      // The event-stream format allows a BOM before the first event; it is not part of that event.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStart = false;
    }
    // A CRLF split between two chunks is one line end, not two (which would end an event early).
    if (this.lastCR && text.charCodeAt(0) === 10) text = text.slice(1);
    if (text.length) this.lastCR = text.charCodeAt(text.length - 1) === 13;
    let s = this.pending + text;
    if (s.indexOf('\r') !== -1) s = s.replace(/\r\n?/g, '\n');
    const last = s.lastIndexOf('\n\n');
    if (last === -1) {
      this.pending = s;
      return null;
    }
    this.pending = s.slice(last + 2);
    let out = '';
    for (const evt of s.slice(0, last).split('\n\n')) {
      const translated = this.event(evt);
      out += this.native ? `${evt}\n\n` : translated;
    }
    if (!out) return null;
    this.forwarded = true;
    return out;
  }

  end(): string | null {
    const rest = (this.pending + this.decoder.end()).trim();
    this.pending = '';
    if (!rest) return null;
    const translated = this.event(rest);
    return this.native ? `${rest}\n\n` : translated || null;
  }

  completionText(): string {
    return this.text;
  }

  private chunk(delta: string, finish: string | null): string {
    return `data: {"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.responseModel ?? '')},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]${this.usageField}}\n\n`;
  }

  private token(): void {
    this.firstTokenAt ??= performance.now();
  }

  private event(evt: string): string {
    const data = dataOf(evt);
    if (!data) return '';
    let e: AnthropicEvent;
    try {
      e = JSON.parse(data) as AnthropicEvent;
    } catch {
      return '';
    }
    switch (e.type) {
      case 'message_start':
        if (e.message?.id) this.id = e.message.id;
        this.responseModel = e.message?.model;
        this.inputUsage = e.message?.usage;
        return this.chunk('{"role":"assistant","content":"","refusal":null}', null);
      case 'content_block_start': {
        const b = e.content_block;
        if (b?.type === 'tool_use') {
          const idx = this.toolIndex.size;
          this.toolIndex.set(e.index ?? 0, idx);
          this.token();
          return this.chunk(
            `{"tool_calls":[{"index":${idx},"id":${JSON.stringify(b.id)},"type":"function","function":{"name":${JSON.stringify(b.name)},"arguments":""}}]}`,
            null,
          );
        }
        if (b?.type === 'text' && b.text) {
          this.token();
          this.text += b.text;
          return this.chunk(`{"content":${JSON.stringify(b.text)}}`, null);
        }
        return '';
      }
      case 'content_block_delta': {
        const d = e.delta;
        if (d?.type === 'text_delta' && typeof d.text === 'string') {
          this.token();
          this.text += d.text;
          return this.chunk(`{"content":${JSON.stringify(d.text)}}`, null);
        }
        if (d?.type === 'input_json_delta' && typeof d.partial_json === 'string') {
          this.text += d.partial_json;
          return this.chunk(
            `{"tool_calls":[{"index":${this.toolIndex.get(e.index ?? 0) ?? 0},"function":{"arguments":${JSON.stringify(d.partial_json)}}}]}`,
            null,
          );
        }
        return '';
      }
      case 'message_delta': {
        this.finishReason = finishReason(e.delta?.stop_reason);
        const merged = e.usage ? { ...this.inputUsage, ...stripNull(e.usage) } : undefined;
        if (merged && typeof e.usage?.output_tokens === 'number')
          this.usage = usageFromAnthropic(merged, e.usage.output_tokens);
        return this.chunk('{}', this.finishReason);
      }
      case 'message_stop': {
        this.done = true;
        let out = '';
        if (this.includeUsage && this.usage) {
          out += `data: {"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.created},"model":${JSON.stringify(this.responseModel ?? '')},"choices":[],"usage":${JSON.stringify(openAiUsageJson(this.usage))}}\n\n`;
        }
        return `${out}data: [DONE]\n\n`;
      }
      case 'error': {
        const body: UpstreamErrorBody = {
          message: e.error?.message ?? 'the provider failed mid-stream',
          type: e.error?.type,
          code: e.error?.type ?? null,
          param: null,
        };
        if (!this.forwarded) throw new StreamEventError(body);
        this.streamError = body;
        return `data: ${JSON.stringify({ error: { message: body.message, type: 'server_error', param: null, code: body.code } })}\n\n`;
      }
      default:
        return '';
    }
  }
}

/** message_delta usage may carry nulls for fields it does not update. */
function stripNull(u: AnthropicUsage): AnthropicUsage {
  const out: AnthropicUsage = {};
  for (const [k, v] of Object.entries(u)) if (v !== null && v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
