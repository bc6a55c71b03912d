import type { HttpClient } from '@aihub/core/plugin-api';
import type { Dispatcher } from 'undici';
import type { ProviderConfig, ProviderType } from '../config';
import type { AttemptSignal } from '../engine/AttemptSignal';
import type {
  BodyLimits,
  BufferedResponse,
  CallInput,
  Operation,
  ParsedAnswer,
  ProviderAdapter,
  StreamTranslator,
  UpstreamErrorBody,
  UpstreamResponse,
} from '../types';
import { dispatchBuffered } from './buffered';
import { Agent } from './undici';

/**
 * Base of the HTTP adapters: one undici request per attempt on the gateway's keep-alive pool (or the
 * provider's own pool when it sets a connect timeout or `maxConnections`). Static headers are built once.
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
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: Dispatcher | undefined;
  /** `base` split once, so a call needs no URL parsing: scheme://host:port, and the path under it. */
  private readonly origin: string;
  private readonly basePath: string | undefined;

  constructor(
    readonly name: string,
    protected readonly config: ProviderConfig,
    http: HttpClient,
    defaultBaseUrl: string,
  ) {
    this.base = (config.baseUrl ?? defaultBaseUrl).replace(/\/+$/, '');
    const u = new URL(this.base);
    this.origin = u.origin;
    // A base with a query or fragment cannot be extended by string: such calls parse their URL.
    this.basePath = u.search || u.hash ? undefined : u.pathname.replace(/\/+$/, '');
    this.serverAddress = u.hostname;
    this.serverPort = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
    this.secrets = [config.apiKey, u.password || undefined].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
    this.firstByteMs = config.timeouts.firstByteMs;
    this.totalMs = config.timeouts.totalMs;
    this.staticHeaders = { 'content-type': 'application/json', ...this.authHeaders(), ...config.headers };
    // No connection cap unless the operator sets one: completions take seconds, so a fixed pool (it
    // was 128) queued calls long before the CPU was busy (600 clients, 1 s upstream: 119 req/s).
    this.ownDispatcher =
      config.timeouts.connectMs !== undefined || config.maxConnections !== undefined
        ? new Agent({
            connect: { timeout: config.timeouts.connectMs ?? 10_000 },
            keepAliveTimeout: 30_000,
            connections: config.maxConnections ?? null,
          })
        : undefined;
    this.dispatcher = this.ownDispatcher ?? http.dispatcher;
  }

  /** Credential headers of the provider (built once). */
  protected abstract authHeaders(): Record<string, string>;
  protected abstract url(op: Operation, model: string, stream: boolean): string;
  protected abstract requestBody(call: CallInput, model: string): string | Buffer;
  abstract parseAnswer(call: CallInput, body: Buffer): ParsedAnswer;
  abstract streamTranslator(call: CallInput): StreamTranslator;
  abstract parseError(status: number, body: Buffer): UpstreamErrorBody;

  supports(_op: Operation): boolean {
    return true;
  }

  /**
   * Adds what depends on the whole request (AWS SigV4 signs method, path, headers and body) before
   * it is sent; only providers that need it define it.
   */
  protected sign?(options: Dispatcher.DispatchOptions): Promise<Dispatcher.DispatchOptions>;

  send(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
  ): Promise<UpstreamResponse> {
    const options = this.requestOptions(call, model, extraHeaders);
    if (this.sign)
      return this.sign(options).then(
        (o) => this.dispatcher.request({ ...o, signal }) as unknown as Promise<UpstreamResponse>,
      );
    return this.dispatcher.request({ ...options, signal }) as unknown as Promise<UpstreamResponse>;
  }

  sendBuffered(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
    limits: BodyLimits,
  ): Promise<BufferedResponse> {
    const options = this.requestOptions(call, model, extraHeaders);
    if (this.sign) return this.sign(options).then((o) => dispatchBuffered(this.dispatcher, o, signal, limits));
    return dispatchBuffered(this.dispatcher, options, signal, limits);
  }

  /**
   * POSTs a JSON body to another endpoint of the provider (not a completion: no streaming, no
   * retries, no breaker), with its credentials; resolves once the whole answer is read.
   */
  protected postJson(
    url: string,
    body: string,
    signal: AttemptSignal,
    limits: BodyLimits,
    extraHeaders?: Record<string, string>,
  ): Promise<BufferedResponse> {
    const u = new URL(url);
    return dispatchBuffered(
      this.dispatcher,
      {
        origin: u.origin,
        path: u.pathname + u.search,
        method: 'POST',
        headers: extraHeaders ? { ...this.staticHeaders, ...extraHeaders } : this.staticHeaders,
        body,
        headersTimeout: this.firstByteMs,
        bodyTimeout: this.firstByteMs,
      },
      signal,
      limits,
    );
  }

  private requestOptions(
    call: CallInput,
    model: string,
    extraHeaders: Record<string, string> | undefined,
  ): Dispatcher.DispatchOptions {
    const url = this.url(call.op, model, call.stream);
    // origin and path: undici's top-level request(url) parses the URL and copies the options on
    // every call.
    let origin = this.origin;
    let path: string;
    if (this.basePath !== undefined && url.startsWith(this.base)) path = this.basePath + url.slice(this.base.length);
    else {
      const u = new URL(url);
      origin = u.origin;
      path = u.pathname + u.search;
    }
    return {
      origin,
      path,
      method: 'POST',
      headers: extraHeaders ? { ...this.staticHeaders, ...extraHeaders } : this.staticHeaders,
      body: this.requestBody(call, model),
      headersTimeout: this.firstByteMs,
      bodyTimeout: this.firstByteMs,
    };
  }

  async close(): Promise<void> {
    await this.ownDispatcher?.close();
  }
}

/** OpenAI-style error bodies (`{error:{message,type,param,code}}`, or `{error:"text"}` from some servers). */
export function parseOpenAiError(body: Buffer): UpstreamErrorBody {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: UpstreamErrorBody | string; message?: string };
    if (typeof j.error === 'string') return { message: j.error };
    if (j.error && typeof j.error === 'object') {
      return {
        message: j.error.message,
        type: j.error.type,
        code: j.error.code == null ? null : String(j.error.code),
        param: j.error.param ?? null,
      };
    }
    if (typeof j.message === 'string') return { message: j.message };
  } catch {}
  return {};
}
