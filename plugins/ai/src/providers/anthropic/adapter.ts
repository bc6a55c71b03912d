import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import { AttemptSignal } from '../../engine/AttemptSignal';
import type {
  BodyLimits,
  BufferedResponse,
  CallInput,
  Operation,
  ParsedAnswer,
  StreamTranslator,
  UpstreamErrorBody,
  UpstreamResponse,
} from '../../types';
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

  override send(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
  ): Promise<UpstreamResponse> {
    return super.send(call, model, signal, withBeta(call.native?.beta, extraHeaders));
  }

  override sendBuffered(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
    limits: BodyLimits,
  ): Promise<BufferedResponse> {
    return super.sendBuffered(call, model, signal, withBeta(call.native?.beta, extraHeaders), limits);
  }

  protected requestBody(call: CallInput, model: string): string {
    // A Messages request from the /v1/messages ingress goes as the client wrote it.
    if (call.native?.format === 'anthropic')
      return JSON.stringify({ ...call.native.body, model, stream: call.stream || undefined });
    return JSON.stringify(toAnthropicRequest(call.body, model, this.config.maxTokensDefault, call.stream));
  }

  parseAnswer(call: CallInput, body: Buffer): ParsedAnswer {
    const { json, usage, finish } = fromAnthropicAnswer(JSON.parse(body.toString('utf8')));
    return {
      body: JSON.stringify(json),
      usage,
      responseModel: json.model as string | undefined,
      responseId: json.id as string | undefined,
      finishReasons: [finish],
      native: call.native?.format === 'anthropic' ? body : undefined,
    };
  }

  streamTranslator(call: CallInput): StreamTranslator {
    return new AnthropicStreamTranslator(call.clientWantsUsage, call.native?.format === 'anthropic');
  }

  /**
   * Anthropic's own count of a Messages request's input tokens (POST /v1/messages/count_tokens,
   * free of charge); `body` is the client's request, sent with this deployment's model.
   */
  async countTokens(body: Record<string, unknown>, model: string, beta?: string): Promise<number> {
    const signal = new AttemptSignal();
    const timer = setTimeout(() => signal.abort(), this.totalMs);
    try {
      const res = await this.postJson(
        `${this.base}/v1/messages/count_tokens`,
        JSON.stringify({ ...body, model }),
        signal,
        { answer: 65_536, error: 65_536 },
        withBeta(beta, undefined),
      );
      if (res.statusCode !== 200)
        throw Object.assign(
          new Error(this.parseError(res.statusCode, res.body).message ?? `count_tokens answered ${res.statusCode}`),
          { status: res.statusCode },
        );
      const n = (JSON.parse(res.body.toString('utf8')) as { input_tokens?: unknown }).input_tokens;
      if (typeof n !== 'number') throw new Error('count_tokens answered without input_tokens');
      return n;
    } finally {
      clearTimeout(timer);
    }
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

/** The client's `anthropic-beta` header beside the gateway's own (trace) headers, for a request sent natively. */
function withBeta(
  beta: string | undefined,
  headers: Record<string, string> | undefined,
): Record<string, string> | undefined {
  return beta ? { ...headers, 'anthropic-beta': beta } : headers;
}
