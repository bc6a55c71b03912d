import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import type { CallInput, Operation, ParsedAnswer, StreamTranslator, UpstreamErrorBody } from '../../types';
import { HttpProvider, parseOpenAiError } from '../HttpProvider';
import { openAiBody, scanOpenAiAnswer } from '../openai/translate';
import { OpenAiStreamTranslator } from '../openai/stream';

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

/**
 * Azure OpenAI: the deployment is in the URL
 * (`{baseUrl}/openai/deployments/{deployment}/chat/completions?api-version=…`), the key in the
 * `api-key` header; bodies and answers are OpenAI's. The body's `model` is ignored by Azure, so the
 * client's bytes go as they are.
 */
export class AzureOpenAiProvider extends HttpProvider {
  readonly type = 'azure-openai' as const;
  readonly genAiSystem = 'azure.ai.openai';
  private readonly query: string;

  constructor(name: string, config: ProviderConfig, http: HttpClient) {
    super(name, config, http, 'https://invalid.openai.azure.com');
    this.query = `?api-version=${encodeURIComponent(config.apiVersion ?? AZURE_DEFAULT_API_VERSION)}`;
  }

  protected authHeaders(): Record<string, string> {
    return this.config.apiKey ? { 'api-key': this.config.apiKey } : {};
  }

  protected url(op: Operation, deployment: string): string {
    return `${this.base}/openai/deployments/${encodeURIComponent(deployment)}/${op === 'chat' ? 'chat/completions' : 'embeddings'}${this.query}`;
  }

  protected requestBody(call: CallInput): string | Buffer {
    return openAiBody(call, undefined);
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
