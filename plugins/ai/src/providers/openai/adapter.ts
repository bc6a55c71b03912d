import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import type { CallInput, Operation, ParsedAnswer, StreamTranslator, UpstreamErrorBody } from '../../types';
import { HttpProvider, parseOpenAiError } from '../HttpProvider';
import { OpenAiStreamTranslator } from './stream';
import { openAiBody, scanOpenAiAnswer } from './translate';

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
