import { Readable } from 'node:stream';
import type { HttpClient } from '@aihub/core/plugin-api';
import type { ProviderConfig } from '../../config';
import type { AttemptSignal } from '../../engine/AttemptSignal';
import { UpstreamError } from '../../engine/errors';
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
import { readWhole } from '../buffered';
import { HttpProvider } from '../HttpProvider';
import { GoogleTokenSource, TokenError, loadServiceAccount } from './auth';
import { GeminiStreamTranslator } from './stream';
import { fromGeminiAnswer, parseRpcError, rpcRetryDelayMs, toGeminiRequest, type GeminiResponse } from './translate';

const ERROR_LIMITS: BodyLimits = { answer: 1 << 16, error: 1 << 16 };

/**
 * Google's Gemini models through the Generative Language API (`type: gemini`, key in
 * `x-goog-api-key`): `models/{model}:generateContent`, and `:streamGenerateContent?alt=sse` for
 * streams. Rate-limit answers carry the wait in google.rpc.RetryInfo rather than a Retry-After
 * header: it is copied into `retry-after-ms`, so retries and clients wait as long as Google says.
 */
export class GeminiProvider extends HttpProvider {
  readonly type: 'gemini' | 'vertex-ai' = 'gemini';
  readonly genAiSystem: string = 'gcp.gemini';

  constructor(
    name: string,
    config: ProviderConfig,
    http: HttpClient,
    defaultBaseUrl = 'https://generativelanguage.googleapis.com/v1beta',
  ) {
    super(name, config, http, defaultBaseUrl);
  }

  protected authHeaders(): Record<string, string> {
    return this.config.apiKey ? { 'x-goog-api-key': this.config.apiKey } : {};
  }

  override supports(op: Operation): boolean {
    return op === 'chat';
  }

  /** Where a model's methods live: `{base}/models/{model}`. */
  protected modelPath(model: string): string {
    return `${this.base}/models/${encodeURIComponent(model)}`;
  }

  protected url(_op: Operation, model: string, stream = false): string {
    return stream
      ? `${this.modelPath(model)}:streamGenerateContent?alt=sse`
      : `${this.modelPath(model)}:generateContent`;
  }

  protected requestBody(call: CallInput): string {
    return JSON.stringify(toGeminiRequest(call.body));
  }

  override async send(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
  ): Promise<UpstreamResponse> {
    const res = await super.send(call, model, signal, await this.callHeaders(extraHeaders));
    if (res.statusCode < 400) return res;
    // Read the (small) error body now, to lift its retry delay into a header.
    const whole = await readWhole(res, ERROR_LIMITS);
    return { statusCode: whole.statusCode, headers: withRetryDelay(whole), body: Readable.from([whole.body]) };
  }

  override async sendBuffered(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
    limits: BodyLimits,
  ): Promise<BufferedResponse> {
    const res = await super.sendBuffered(call, model, signal, await this.callHeaders(extraHeaders), limits);
    return res.statusCode < 400 ? res : { ...res, headers: withRetryDelay(res) };
  }

  /** Headers of one call beyond the static ones (Vertex AI: the OAuth bearer token). */
  protected callHeaders(extra: Record<string, string> | undefined): Promise<Record<string, string> | undefined> {
    return Promise.resolve(extra);
  }

  parseAnswer(call: CallInput, body: Buffer): ParsedAnswer {
    const { json, usage, finishReasons } = fromGeminiAnswer(
      JSON.parse(body.toString('utf8')) as GeminiResponse,
      String(call.body.model ?? ''),
    );
    return {
      body: JSON.stringify(json),
      usage,
      responseModel: json.model as string,
      responseId: json.id as string,
      finishReasons,
    };
  }

  streamTranslator(call: CallInput): StreamTranslator {
    return new GeminiStreamTranslator(String(call.body.model ?? ''), call.clientWantsUsage);
  }

  parseError(_status: number, body: Buffer): UpstreamErrorBody {
    return parseRpcError(body);
  }
}

function withRetryDelay(res: BufferedResponse): BufferedResponse['headers'] {
  if (res.statusCode !== 429 || res.headers['retry-after'] !== undefined || res.headers['retry-after-ms'] !== undefined)
    return res.headers;
  const ms = rpcRetryDelayMs(res.body);
  return ms === undefined ? res.headers : { ...res.headers, 'retry-after-ms': String(ms) };
}

/**
 * Gemini on Vertex AI (`type: vertex-ai`): the same body at the regional endpoint
 * `https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google/models/{model}`,
 * authorised by an OAuth bearer token of a service account (see auth.ts).
 */
export class VertexAiProvider extends GeminiProvider {
  override readonly type = 'vertex-ai' as const;
  override readonly genAiSystem = 'gcp.vertex_ai';
  private readonly tokens: GoogleTokenSource | undefined;
  private readonly prefix: string;

  constructor(name: string, config: ProviderConfig, http: HttpClient) {
    const location = config.location ?? 'us-central1';
    super(
      name,
      config,
      http,
      location === 'global'
        ? 'https://aiplatform.googleapis.com/v1'
        : `https://${location}-aiplatform.googleapis.com/v1`,
    );
    // Without a service account the provider starts (a warning names it, see providerKeys.ts) and its
    // calls fail as an authentication error, like a keyless provider of any other type.
    const sa = config.serviceAccount?.trim() ? loadServiceAccount(config.serviceAccount) : undefined;
    const project = config.project ?? sa?.project_id;
    if (!project)
      throw new Error(`provider "${name}" (vertex-ai) needs project (or a serviceAccount naming its project_id)`);
    this.tokens = sa ? new GoogleTokenSource(sa, http.dispatcher) : undefined;
    this.prefix = `/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}/publishers/google/models/`;
    if (sa) (this.secrets as string[]).push(sa.private_key);
  }

  protected override authHeaders(): Record<string, string> {
    return {};
  }

  protected override modelPath(model: string): string {
    return `${this.base}${this.prefix}${encodeURIComponent(model)}`;
  }

  protected override async callHeaders(extra: Record<string, string> | undefined): Promise<Record<string, string>> {
    if (!this.tokens)
      throw new UpstreamError('status', `${this.name}: no service account configured (serviceAccount)`, this.name, {
        status: 401,
      });
    let token: string;
    try {
      token = await this.tokens.get();
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      // A refused grant is a wrong credential (like a 401 from the API); a failing endpoint may recover.
      const status = err.status >= 400 && err.status < 500 ? 401 : 503;
      throw new UpstreamError('status', `${this.name}: ${err.message}`, this.name, {
        status,
        body: { message: err.message },
      });
    }
    return { ...extra, authorization: `Bearer ${token}` };
  }
}
