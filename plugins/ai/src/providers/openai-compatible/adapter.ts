import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import type { CallInput, Operation, ParsedAnswer, StreamTranslator, UpstreamErrorBody } from '../../types';
import { HttpProvider } from '../HttpProvider';
import { OpenAiStreamTranslator } from '../openai/stream';
import { scanOpenAiAnswer } from '../openai/translate';
import { PRESETS, type Preset, type PresetName } from './presets';
import { MistralStreamTranslator, fixChunkJson } from './stream';
import { presetBody } from './translate';

/**
 * A server speaking OpenAI's Chat Completions API, described by a preset (`type: openai-compatible,
 * preset: groq`): its base URL, `Authorization: Bearer` when a key is set, and its quirks applied to
 * requests and answers. Without a preset it is plain OpenAI at `baseUrl`.
 */
export class OpenAiCompatibleProvider extends HttpProvider {
  readonly type = 'openai-compatible' as const;
  readonly genAiSystem: string;
  readonly preset: PresetName | undefined;
  private readonly spec: Preset;

  constructor(name: string, config: ProviderConfig, http: HttpClient) {
    const spec: Preset = config.preset
      ? PRESETS[config.preset]
      : {
          baseUrl: 'http://localhost:8000/v1',
          keyRequired: false,
          genAiSystem: 'openai',
          priceProvider: undefined,
          streamUsage: 'stream_options',
          embeddings: true,
        };
    super(name, { ...config, headers: { ...spec.headers, ...config.headers } }, http, spec.baseUrl);
    this.spec = spec;
    this.preset = config.preset;
    this.genAiSystem = spec.genAiSystem;
  }

  /** genai-prices provider id of the preset (built-in prices). */
  get priceProvider(): string | undefined {
    return this.spec.priceProvider;
  }

  protected authHeaders(): Record<string, string> {
    return this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {};
  }

  override supports(op: Operation): boolean {
    return op === 'chat' || this.spec.embeddings;
  }

  protected url(op: Operation): string {
    return op === 'chat' ? `${this.base}/chat/completions` : `${this.base}/embeddings`;
  }

  protected requestBody(call: CallInput, model: string): string | Buffer {
    if (call.op === 'embeddings') return JSON.stringify({ ...call.body, model });
    return this.preset ? presetBody(this.preset, this.spec, call, model) : presetBody('vllm', this.spec, call, model);
  }

  parseAnswer(_call: CallInput, body: Buffer): ParsedAnswer {
    const answer = scanOpenAiAnswer(body);
    if (this.preset === 'mistral' && answer.finishReasons?.includes('model_length')) {
      const fixed = fixChunkJson(body.toString('utf8'));
      return {
        ...answer,
        body: fixed,
        finishReasons: answer.finishReasons.map((f) => (f === 'model_length' ? 'length' : f)),
      };
    }
    return answer;
  }

  streamTranslator(call: CallInput): StreamTranslator {
    return this.preset === 'mistral'
      ? new MistralStreamTranslator(!call.clientWantsUsage)
      : new OpenAiStreamTranslator(!call.clientWantsUsage);
  }

  parseError(_status: number, body: Buffer): UpstreamErrorBody {
    return parseCompatibleError(body);
  }
}

interface ValidationDetail {
  loc?: (string | number)[];
  msg?: string;
}

/**
 * Error bodies of OpenAI-compatible servers: OpenAI's `{error:{…}}` (OpenRouter's `code` is the HTTP
 * status as a number), `{error:"text"}`, Mistral's `{object:"error", message, type}` whose message
 * is an object of validation details on a 422, and bare `{message}` or `{detail}`.
 */
export function parseCompatibleError(body: Buffer): UpstreamErrorBody {
  let j: { error?: unknown; message?: unknown; detail?: unknown; type?: unknown; code?: unknown; param?: unknown };
  try {
    j = JSON.parse(body.toString('utf8')) as typeof j;
  } catch {
    return {};
  }
  if (typeof j.error === 'string') return { message: j.error };
  if (j.error && typeof j.error === 'object') {
    const e = j.error as { message?: unknown; type?: unknown; code?: unknown; param?: unknown };
    return {
      message: typeof e.message === 'string' ? e.message : undefined,
      type: typeof e.type === 'string' ? e.type : undefined,
      code: typeof e.code === 'string' ? e.code : null,
      param: typeof e.param === 'string' ? e.param : null,
    };
  }
  const details = (j.message as { detail?: unknown } | undefined)?.detail ?? j.detail;
  const message =
    typeof j.message === 'string'
      ? j.message
      : typeof j.detail === 'string'
        ? j.detail
        : Array.isArray(details)
          ? validationMessage(details as ValidationDetail[])
          : undefined;
  const first = Array.isArray(details) ? (details as ValidationDetail[])[0] : undefined;
  const param = first?.loc
    ? first.loc.filter((p) => p !== 'body').join('.')
    : typeof j.param === 'string'
      ? j.param
      : null;
  return {
    message,
    type: typeof j.type === 'string' ? j.type : undefined,
    code: typeof j.code === 'string' ? j.code : null,
    param: param || null,
  };
}

function validationMessage(details: ValidationDetail[]): string {
  return details
    .map((d) => `${(d.loc ?? []).filter((p) => p !== 'body').join('.') || 'body'}: ${d.msg ?? 'invalid'}`)
    .join('; ');
}
