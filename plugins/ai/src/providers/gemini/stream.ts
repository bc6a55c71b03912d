import { randomBytes } from 'node:crypto';
import { StreamEventError } from '../../engine/errors';
import type { RawUsage, StreamTranslator, UpstreamErrorBody } from '../../types';
import { SseEvents } from '../sse';
import {
  finishReason,
  newCallId,
  objects,
  openAiUsage,
  usageFromGemini,
  type GeminiCandidate,
  type GeminiPart,
  type GeminiResponse,
} from './translate';

/**
 * `streamGenerateContent?alt=sse` → OpenAI chat.completion.chunk events. Each Gemini event is a
 * partial GenerateContentResponse: text parts become `delta.content`, a functionCall part (sent
 * whole) one `delta.tool_calls` entry with its arguments, the candidate's finishReason the finish
 * chunk, the last usageMetadata the usage chunk (when the client asked for it). Gemini sends no end
 * marker: the stream is complete when the body ends after a finish reason, and `[DONE]` is written
 * then. An `{error:{…}}` event is a google.rpc.Status.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  usage: RawUsage | undefined;
  done = false;
  firstTokenAt: number | undefined;
  responseModel: string | undefined;
  finishReason: string | undefined;
  streamError: UpstreamErrorBody | undefined;
  private readonly events = new SseEvents();
  private readonly id = `chatcmpl-${randomBytes(12).toString('base64url')}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;
  private forwarded = false;
  private readonly toolCount = new Map<number, number>();
  private text = '';

  constructor(
    private readonly model: string,
    private readonly includeUsage: boolean,
  ) {}

  push(chunk: Buffer): string | null {
    let out = '';
    for (const data of this.events.push(chunk)) out += this.event(data);
    if (!out) return null;
    this.forwarded = true;
    return out;
  }

  end(): string | null {
    let out = '';
    for (const data of this.events.end()) out += this.event(data);
    if (this.finishReason !== undefined && !this.streamError) {
      if (this.includeUsage && this.usage)
        out += `data: ${JSON.stringify({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.responseModel ?? this.model, choices: [], usage: openAiUsage(this.usage) })}\n\n`;
      out += 'data: [DONE]\n\n';
      this.done = true;
    }
    return out || null;
  }

  completionText(): string {
    return this.text;
  }

  private chunk(index: number, delta: Record<string, unknown>, finish: string | null): string {
    const c: Record<string, unknown> = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.responseModel ?? this.model,
      choices: [{ index, delta, logprobs: null, finish_reason: finish }],
    };
    if (this.includeUsage) c.usage = null;
    return `data: ${JSON.stringify(c)}\n\n`;
  }

  private event(data: string): string {
    let e: GeminiResponse & { error?: { message?: unknown; status?: unknown } };
    try {
      e = JSON.parse(data) as typeof e;
    } catch {
      return '';
    }
    if (!e || typeof e !== 'object' || Array.isArray(e)) return '';
    if (e.error) {
      const status = typeof e.error.status === 'string' ? e.error.status.toLowerCase() : undefined;
      const body: UpstreamErrorBody = {
        message: typeof e.error.message === 'string' ? e.error.message : 'the provider failed mid-stream',
        type: status,
        code: status ?? null,
        param: null,
      };
      if (!this.forwarded) throw new StreamEventError(body);
      this.streamError = body;
      return `data: ${JSON.stringify({ error: { message: body.message, type: 'server_error', param: null, code: body.code } })}\n\n`;
    }
    if (typeof e.modelVersion === 'string') this.responseModel = e.modelVersion;
    if (e.usageMetadata) this.usage = usageFromGemini(e.usageMetadata) ?? this.usage;
    let out = '';
    if (!this.started) {
      this.started = true;
      out += this.chunk(0, { role: 'assistant', content: '', refusal: null }, null);
    }
    const candidates = objects<GeminiCandidate>(e.candidates);
    if (candidates.length === 0 && e.promptFeedback?.blockReason) {
      this.finishReason = 'content_filter';
      return out + this.chunk(0, {}, 'content_filter');
    }
    for (const c of candidates) {
      const index = typeof c.index === 'number' ? c.index : 0;
      for (const p of objects<GeminiPart>(c.content?.parts)) {
        if (typeof p.text === 'string' && !p.thought && p.text) {
          this.firstTokenAt ??= performance.now();
          this.text += p.text;
          out += this.chunk(index, { content: p.text }, null);
        } else if (p.functionCall && typeof p.functionCall === 'object') {
          this.firstTokenAt ??= performance.now();
          const n = this.toolCount.get(index) ?? 0;
          this.toolCount.set(index, n + 1);
          const args = JSON.stringify(p.functionCall.args ?? {});
          this.text += args;
          const id = typeof p.functionCall.id === 'string' && p.functionCall.id ? p.functionCall.id : newCallId();
          out += this.chunk(
            index,
            {
              tool_calls: [
                {
                  index: n,
                  id,
                  type: 'function',
                  function: { name: String(p.functionCall.name ?? ''), arguments: args },
                },
              ],
            },
            null,
          );
        }
      }
      const finish = finishReason(
        typeof c.finishReason === 'string' ? c.finishReason : undefined,
        (this.toolCount.get(index) ?? 0) > 0,
      );
      if (finish) {
        this.finishReason = finish;
        out += this.chunk(index, {}, finish);
      }
    }
    return out;
  }
}
