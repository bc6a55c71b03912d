import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import type { CallInput, Operation, ParsedAnswer, StreamTranslator, UpstreamErrorBody } from '../../types';
import { HttpProvider, parseOpenAiError } from '../HttpProvider';
import { OpenAiStreamTranslator, usageFrom } from './stream';
import { allStrings, firstString, lastObject } from '../scan';

const INCLUDE_USAGE = Buffer.from(',"stream_options":{"include_usage":true}}');

/**
 * The request body for an OpenAI-compatible upstream, with as little re-serialisation as possible:
 * the client's bytes as they are when nothing must change; for a stream without `stream_options`,
 * the same bytes with `"stream_options":{"include_usage":true}` spliced in before the final brace;
 * otherwise (another model name, transforms) one JSON.stringify of a shallow copy.
 */
export function openAiBody(call: CallInput, model: string | undefined): string | Buffer {
  const body = call.body;
  const renameModel = model !== undefined && body.model !== model;
  const injectUsage = call.stream && !call.clientWantsUsage;
  const raw = call.raw;
  if (raw && !renameModel) {
    if (!injectUsage) return raw;
    if (body.stream_options === undefined) {
      let end = raw.length - 1;
      while (end > 0 && raw[end] !== 125 /* } */) end--;
      let prev = end - 1;
      while (prev > 0 && (raw[prev] === 32 || raw[prev] === 10 || raw[prev] === 13 || raw[prev] === 9)) prev--;
      if (end > 0 && raw[prev] !== 123 /* { */) return Buffer.concat([raw.subarray(0, end), INCLUDE_USAGE]);
    }
  }
  const out: Record<string, unknown> = { ...body };
  if (renameModel) out.model = model;
  if (injectUsage) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true };
  return JSON.stringify(out);
}

/** Reads usage, model, id and finish reasons from a chat/embeddings answer without parsing it all. */
export function scanOpenAiAnswer(body: Buffer): ParsedAnswer {
  const text = body.toString('latin1');
  return {
    body,
    usage: usageFrom(lastObject(text, 'usage')),
    responseModel: firstString(text, 'model'),
    responseId: firstString(text, 'id'),
    finishReasons: allStrings(text, 'finish_reason'),
  };
}

/** OpenAI, and any server speaking its API (vLLM, LiteLLM, Groq, …): `Authorization: Bearer`. */
export class OpenAiProvider extends HttpProvider {
  readonly type: 'openai' | 'ollama' = 'openai';
  readonly genAiSystem: string = 'openai';

  constructor(name: string, config: ProviderConfig, http: HttpClient, defaultBaseUrl = 'https://api.openai.com/v1') {
    super(name, config, http, defaultBaseUrl);
  }

  protected authHeaders(): Record<string, string> {
    return this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {};
  }

  protected url(op: Operation): string {
    return op === 'chat' ? `${this.base}/chat/completions` : `${this.base}/embeddings`;
  }

  protected requestBody(call: CallInput, model: string): string | Buffer {
    return openAiBody(call, model);
  }

  parseAnswer(_call: CallInput, body: Buffer): ParsedAnswer {
    return scanOpenAiAnswer(body);
  }

  streamTranslator(call: CallInput): StreamTranslator {
    return new OpenAiStreamTranslator(!call.clientWantsUsage);
  }

  parseError(_status: number, body: Buffer): UpstreamErrorBody {
    return parseOpenAiError(body);
  }
}

/** Ollama's OpenAI-compatible API (`/v1`), no key needed. */
export class OllamaProvider extends OpenAiProvider {
  override readonly type = 'ollama' as const;
  override readonly genAiSystem = 'ollama';

  constructor(name: string, config: ProviderConfig, http: HttpClient) {
    super(name, config, http, 'http://localhost:11434/v1');
  }
}
