import { randomBytes } from 'node:crypto';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { StreamEventError } from '../../engine/errors';
import type { RawUsage, StreamTranslator, UpstreamErrorBody } from '../../types';
import { openAiUsage } from '../gemini/translate';
import { finishReason, usageFromConverse, type ConverseUsage } from './translate';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
/** A frame longer than this is not Bedrock's (its events are small): the stream is treated as broken. */
const MAX_FRAME = 16 << 20;

interface ConverseEvent {
  role?: string;
  contentBlockIndex?: number;
  start?: { toolUse?: { toolUseId?: string; name?: string } };
  delta?: { text?: string; toolUse?: { input?: string }; reasoningContent?: { text?: string } };
  stopReason?: string;
  usage?: ConverseUsage;
  message?: string;
}

/**
 * ConverseStream's binary event stream (application/vnd.amazon.eventstream: length-prefixed frames
 * with a CRC, decoded by @smithy/eventstream-codec) → OpenAI chat.completion.chunk events.
 * messageStart opens the answer, contentBlockStart of a toolUse and its input deltas become
 * `delta.tool_calls`, text deltas `delta.content`, messageStop the finish chunk, metadata the usage
 * chunk; `[DONE]` follows once the stream has stopped. Exception frames (throttlingException,
 * modelStreamErrorException, …) are errors; a frame that fails its checksum ends the stream as broken.
 */
export class ConverseStreamTranslator implements StreamTranslator {
  usage: RawUsage | undefined;
  done = false;
  firstTokenAt: number | undefined;
  responseModel: string | undefined;
  finishReason: string | undefined;
  streamError: UpstreamErrorBody | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private broken = false;
  private forwarded = false;
  private stopped = false;
  private readonly id = `chatcmpl-${randomBytes(12).toString('base64url')}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private readonly toolIndex = new Map<number, number>();
  private text = '';

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {
    this.responseModel = model;
  }

  push(chunk: Buffer): string | null {
    if (this.broken) return null;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let out = '';
    while (this.buffer.length >= 4) {
      const total = this.buffer.readUInt32BE(0);
      if (total < 16 || total > MAX_FRAME) {
        this.broken = true;
        break;
      }
      if (this.buffer.length < total) break;
      const frame = this.buffer.subarray(0, total);
      this.buffer = this.buffer.subarray(total);
      let message: ReturnType<typeof codec.decode>;
      try {
        message = codec.decode(frame);
      } catch {
        this.broken = true;
        break;
      }
      out += this.frame(message);
    }
    if (!out) return null;
    this.forwarded = true;
    return out;
  }

  end(): string | null {
    // Bedrock sends metadata (usage) after messageStop; a stream that stopped is complete without it.
    if (!this.stopped || this.broken || this.streamError) return null;
    this.done = true;
    let out = '';
    if (this.includeUsage && this.usage)
      out += `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: openAiUsage(this.usage) })}\n\n`;
    return `${out}data: [DONE]\n\n`;
  }

  completionText(): string {
    return this.text;
  }

  private chunk(delta: Record<string, unknown>, finish: string | null): string {
    const c: Record<string, unknown> = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    };
    if (this.includeUsage) c.usage = null;
    return `data: ${JSON.stringify(c)}\n\n`;
  }

  private frame(message: ReturnType<typeof codec.decode>): string {
    const header = (name: string) => {
      const h = message.headers[name];
      return h && h.type === 'string' ? h.value : undefined;
    };
    let e: ConverseEvent = {};
    try {
      const parsed = JSON.parse(toUtf8(message.body) || '{}') as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) e = parsed as ConverseEvent;
    } catch {}
    if (header(':message-type') === 'exception' || header(':message-type') === 'error') {
      const type = header(':exception-type') ?? header(':error-code') ?? 'serviceException';
      const body: UpstreamErrorBody = {
        message:
          typeof e.message === 'string' ? e.message : (header(':error-message') ?? 'the provider failed mid-stream'),
        type,
        code: type,
        param: null,
      };
      if (!this.forwarded) throw new StreamEventError(body);
      this.streamError = body;
      return `data: ${JSON.stringify({ error: { message: body.message, type: 'server_error', param: null, code: body.code } })}\n\n`;
    }
    switch (header(':event-type')) {
      case 'messageStart':
        return this.chunk({ role: 'assistant', content: '', refusal: null }, null);
      case 'contentBlockStart': {
        const tool = e.start?.toolUse;
        if (!tool || typeof tool !== 'object') return '';
        const idx = this.toolIndex.size;
        this.toolIndex.set(e.contentBlockIndex ?? 0, idx);
        this.firstTokenAt ??= performance.now();
        return this.chunk(
          {
            tool_calls: [
              { index: idx, id: tool.toolUseId, type: 'function', function: { name: tool.name, arguments: '' } },
            ],
          },
          null,
        );
      }
      case 'contentBlockDelta': {
        const d = e.delta;
        if (typeof d?.text === 'string' && d.text) {
          this.firstTokenAt ??= performance.now();
          this.text += d.text;
          return this.chunk({ content: d.text }, null);
        }
        if (typeof d?.toolUse?.input === 'string') {
          this.text += d.toolUse.input;
          return this.chunk(
            {
              tool_calls: [
                { index: this.toolIndex.get(e.contentBlockIndex ?? 0) ?? 0, function: { arguments: d.toolUse.input } },
              ],
            },
            null,
          );
        }
        return '';
      }
      case 'messageStop':
        this.stopped = true;
        this.finishReason = finishReason(typeof e.stopReason === 'string' ? e.stopReason : undefined);
        return this.chunk({}, this.finishReason);
      case 'metadata':
        this.usage = usageFromConverse(e.usage) ?? this.usage;
        return '';
      default:
        return '';
    }
  }
}
