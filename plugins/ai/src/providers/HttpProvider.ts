import type { HttpClient } from '@aihub/core';
import { Agent, type Dispatcher } from 'undici';
import type { ProviderConfig, ProviderType } from '../config';
import type { AttemptSignal } from '../engine/AttemptSignal';
import type { CallInput, Operation, ParsedAnswer, ProviderAdapter, StreamTranslator, UpstreamErrorBody, UpstreamResponse } from '../types';

/**
 * Base of the HTTP adapters: one undici request per attempt on the gateway's keep-alive pool (or the
 * provider's own pool when it sets a connect timeout). Static headers are built once.
 */
export abstract class HttpProvider implements ProviderAdapter {
  abstract readonly type: ProviderType;
  abstract readonly genAiSystem: string;
  readonly serverAddress: string;
  readonly serverPort: number;
  readonly secrets: readonly string[];
  readonly firstByteMs: number;
  readonly totalMs: number;
  protected readonly base: string;
  protected readonly staticHeaders: Record<string, string>;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(
    readonly name: string,
    protected readonly config: ProviderConfig,
    private readonly http: HttpClient,
    defaultBaseUrl: string,
  ) {
    this.base = (config.baseUrl ?? defaultBaseUrl).replace(/\/+$/, '');
    const u = new URL(this.base);
    this.serverAddress = u.hostname;
    this.serverPort = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    this.secrets = [config.apiKey, u.password || undefined].filter((s): s is string => typeof s === 'string' && s.length > 0);
    this.firstByteMs = config.timeouts.firstByteMs;
    this.totalMs = config.timeouts.totalMs;
    this.staticHeaders = { 'content-type': 'application/json', ...this.authHeaders(), ...config.headers };
    this.dispatcher = config.timeouts.connectMs
      ? new Agent({ connect: { timeout: config.timeouts.connectMs }, keepAliveTimeout: 30_000, connections: 128 })
      : undefined;
  }

  /** Credential headers of the provider (built once). */
  protected abstract authHeaders(): Record<string, string>;
  protected abstract url(op: Operation, model: string): string;
  protected abstract requestBody(call: CallInput, model: string): string | Buffer;
  abstract parseAnswer(call: CallInput, body: Buffer): ParsedAnswer;
  abstract streamTranslator(call: CallInput): StreamTranslator;
  abstract parseError(status: number, body: Buffer): UpstreamErrorBody;

  supports(_op: Operation): boolean {
    return true;
  }

  send(call: CallInput, model: string, signal: AttemptSignal, extraHeaders: Record<string, string> | undefined): Promise<UpstreamResponse> {
    return this.http.request(this.url(call.op, model), {
      method: 'POST',
      headers: extraHeaders ? { ...this.staticHeaders, ...extraHeaders } : this.staticHeaders,
      body: this.requestBody(call, model),
      signal,
      headersTimeout: this.firstByteMs,
      bodyTimeout: this.firstByteMs,
      ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
    } as Parameters<HttpClient['request']>[1]) as unknown as Promise<UpstreamResponse>;
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }
}

/** OpenAI-style error bodies (`{error:{message,type,param,code}}`, or `{error:"text"}` from some servers). */
export function parseOpenAiError(body: Buffer): UpstreamErrorBody {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: UpstreamErrorBody | string; message?: string };
    if (typeof j.error === 'string') return { message: j.error };
    if (j.error && typeof j.error === 'object') {
      return { message: j.error.message, type: j.error.type, code: j.error.code == null ? null : String(j.error.code), param: j.error.param ?? null };
    }
    if (typeof j.message === 'string') return { message: j.message };
  } catch {}
  return {};
}
