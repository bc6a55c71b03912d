import type { Readable } from 'node:stream';
import type { ProviderType } from './config';
import type { AttemptSignal } from './engine/AttemptSignal';

/** What the gateway asks of a provider. */
export type Operation = 'chat' | 'embeddings';

/** Token counts as a provider reports them (OpenAI semantics: prompt includes cached). */
export interface RawUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  /** Prompt tokens written to the provider's cache (Anthropic, Bedrock), 5-minute rate; inside promptTokens. */
  cacheWriteTokens?: number;
  /** Prompt tokens written to Anthropic's 1-hour cache; inside promptTokens and cacheWriteTokens. */
  cacheWrite1hTokens?: number;
  /** Reasoning ("thinking") tokens; inside completionTokens, priced as output. */
  reasoningTokens?: number;
}

/** The request as the adapters see it: the parsed body, and the raw bytes while they still match it. */
export interface CallInput {
  op: Operation;
  body: Record<string, unknown>;
  /** The client's bytes, when no transform changed the body (then they can be sent as they are). */
  raw: Buffer | undefined;
  stream: boolean;
  /** The client asked for `stream_options.include_usage` itself (else the usage chunk is dropped). */
  clientWantsUsage: boolean;
  /**
   * The client's request in a provider's own format (the /v1/messages ingress when every deployment
   * of the model is Anthropic): that provider's adapter sends it as it is (only the model replaced)
   * and answers in it too (ParsedAnswer.native; the stream's own events), so nothing the
   * translation to chat cannot carry is lost (cache_control, thinking, documents, server tools).
   */
  native?: {
    format: 'anthropic';
    body: Record<string, unknown>;
    /** The client's `anthropic-beta` header: features in beta need it. */ beta?: string;
  };
}

/** An upstream answer before it is read: status, headers and the body stream. */
export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** A whole upstream response, read before the call returns (non-streaming calls). */
export interface BufferedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Largest body read for a success and for an error status; a larger one fails the attempt. */
export interface BodyLimits {
  answer: number;
  error: number;
}

/** A complete (non-streaming) answer, in OpenAI's format, ready for the client. */
export interface ParsedAnswer {
  body: Buffer | string;
  usage?: RawUsage;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** The provider's own answer body, for a call sent in its own format (CallInput.native). */
  native?: Buffer;
}

/** An error body from the provider, normalised to OpenAI's fields. */
export interface UpstreamErrorBody {
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
}

/**
 * Turns a provider's SSE stream into OpenAI chat.completion.chunk events, chunk by chunk, and watches
 * it for what the gateway needs: usage, the first token, the end, errors. Only complete events are
 * returned, so a fallback decision is never made on half an event.
 */
export interface StreamTranslator {
  /** Bytes to forward for this upstream chunk (possibly the same Buffer), or null. Throws StreamEventError for an in-stream error before anything was forwarded. */
  push(chunk: Buffer): Buffer | string | null;
  /** Upstream ended: whatever is left to forward. */
  end(): Buffer | string | null;
  /** Usage the provider reported, once seen. */
  readonly usage: RawUsage | undefined;
  /** The stream reached its terminal event (`[DONE]`, `message_stop`). */
  readonly done: boolean;
  /** performance.now() of the first event carrying content. */
  readonly firstTokenAt: number | undefined;
  readonly responseModel: string | undefined;
  readonly finishReason: string | undefined;
  /** An error event the provider sent mid-stream (already forwarded in OpenAI's format). */
  readonly streamError: UpstreamErrorBody | undefined;
  /** The completion text so far (for a token estimate when the provider reports no usage). */
  completionText(): string;
}

/** A provider adapter: builds and sends requests, and reads answers into OpenAI's format. */
export interface ProviderAdapter {
  readonly name: string;
  readonly type: ProviderType;
  /** `gen_ai.provider.name` (OTel GenAI semantic conventions). */
  readonly genAiSystem: string;
  /** Provider id in @pydantic/genai-prices when the type alone does not say (an openai-compatible preset's). */
  readonly priceProvider?: string;
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
  /** Values never to show in logs, errors or traces (API keys). */
  readonly secrets: readonly string[];
  readonly firstByteMs: number;
  readonly totalMs: number;
  supports(op: Operation): boolean;
  /** Sends the request; resolves with the response head (the body still to be read). */
  send(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
  ): Promise<UpstreamResponse>;
  /** Sends the request; resolves once the whole response is read (non-streaming calls). */
  sendBuffered(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
    limits: BodyLimits,
  ): Promise<BufferedResponse>;
  parseAnswer(call: CallInput, body: Buffer): ParsedAnswer;
  streamTranslator(call: CallInput): StreamTranslator;
  parseError(status: number, body: Buffer): UpstreamErrorBody;
  close(): Promise<void>;
}
