import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import type { CallInput, Operation, ParsedAnswer, StreamTranslator, UpstreamErrorBody } from '../../types';
import { HttpProvider } from '../HttpProvider';
import { AnthropicStreamTranslator } from './stream';
import { fromAnthropicAnswer, toAnthropicRequest } from './translate';

export const ANTHROPIC_DEFAULT_VERSION = '2023-06-01';

/** Anthropic's Messages API behind the OpenAI chat surface (no embeddings). */
export class AnthropicProvider extends HttpProvider {
  readonly type = 'anthropic' as const;
  readonly genAiSystem = 'anthropic';

  constructor(name: string, config: ProviderConfig, http: HttpClient) {
    super(name, config, http, 'https://api.anthropic.com');
  }

  protected authHeaders(): Record<string, string> {
    const h: Record<string, string> = { 'anthropic-version': this.config.apiVersion ?? ANTHROPIC_DEFAULT_VERSION };
    if (this.config.apiKey) h['x-api-key'] = this.config.apiKey;
    return h;
  }

  override supports(op: Operation): boolean {
    return op === 'chat';
  }

  protected url(): string {
    return `${this.base}/v1/messages`;
  }

  protected requestBody(call: CallInput, model: string): string {
    return JSON.stringify(toAnthropicRequest(call.body, model, this.config.maxTokensDefault, call.stream));
  }

  parseAnswer(_call: CallInput, body: Buffer): ParsedAnswer {
    const { json, usage, finish } = fromAnthropicAnswer(JSON.parse(body.toString('utf8')));
    return { body: JSON.stringify(json), usage, responseModel: json.model as string | undefined, responseId: json.id as string | undefined, finishReasons: [finish] };
  }

  streamTranslator(call: CallInput): StreamTranslator {
    return new AnthropicStreamTranslator(call.clientWantsUsage);
  }

  parseError(_status: number, body: Buffer): UpstreamErrorBody {
    try {
      const j = JSON.parse(body.toString('utf8')) as { error?: { type?: string; message?: string } };
      return { message: j.error?.message, type: j.error?.type, code: j.error?.type ?? null, param: null };
    } catch {
      return {};
    }
  }
}
