import { Readable } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { HttpClient } from '@aihub/core/plugin-api';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Dispatcher } from 'undici';
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
import { ConverseStreamTranslator } from './stream';
import { fromConverseAnswer, parseBedrockError, toConverseRequest } from './translate';

const ERROR_LIMITS: BodyLimits = { answer: 1 << 16, error: 1 << 16 };

/** Region and credentials from the config, else the standard AWS environment variables. */
function awsSettings(name: string, config: ProviderConfig) {
  const env = process.env;
  const region = config.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error(`provider "${name}" (bedrock) needs region (or AWS_REGION)`);
  const accessKeyId = config.accessKeyId ?? env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = config.secretAccessKey ?? env.AWS_SECRET_ACCESS_KEY;
  // Without credentials the provider starts (a warning names the variables, see providerKeys.ts)
  // and its calls fail as an authentication error, like a keyless provider of any other type.
  if (!accessKeyId || !secretAccessKey) return { region, credentials: undefined };
  const sessionToken = config.sessionToken ?? (config.accessKeyId ? undefined : env.AWS_SESSION_TOKEN);
  return { region, credentials: { accessKeyId, secretAccessKey, sessionToken } };
}

/**
 * Amazon Bedrock's Converse API (`type: bedrock`): `POST /model/{modelId}/converse` and
 * `/converse-stream` at `https://bedrock-runtime.{region}.amazonaws.com`, every request signed with
 * AWS Signature Version 4 (@smithy/signature-v4, service `bedrock`). The model id is Bedrock's
 * (`anthropic.claude-3-5-haiku-20241022-v1:0`, an inference profile `us.…`, or an ARN).
 */
export class BedrockProvider extends HttpProvider {
  readonly type = 'bedrock' as const;
  readonly genAiSystem = 'aws.bedrock';
  private readonly signer: SignatureV4 | undefined;

  constructor(name: string, config: ProviderConfig, http: HttpClient) {
    const aws = awsSettings(name, config);
    super(name, config, http, `https://bedrock-runtime.${aws.region}.amazonaws.com`);
    const c = aws.credentials;
    this.signer = c
      ? new SignatureV4({ service: 'bedrock', region: aws.region, credentials: c, sha256: Sha256 })
      : undefined;
    if (c) (this.secrets as string[]).push(c.secretAccessKey, ...(c.sessionToken ? [c.sessionToken] : []));
  }

  protected authHeaders(): Record<string, string> {
    return {};
  }

  override supports(op: Operation): boolean {
    return op === 'chat';
  }

  protected url(_op: Operation, model: string, stream: boolean): string {
    return `${this.base}/model/${encodeURIComponent(model)}/${stream ? 'converse-stream' : 'converse'}`;
  }

  protected requestBody(call: CallInput): string {
    return JSON.stringify(toConverseRequest(call.body));
  }

  /** SigV4 over method, path, host, content type and body; other headers (trace context) go unsigned. */
  protected override async sign(options: Dispatcher.DispatchOptions): Promise<Dispatcher.DispatchOptions> {
    if (!this.signer)
      throw new UpstreamError(
        'status',
        `${this.name}: no AWS credentials configured (accessKeyId and secretAccessKey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
        this.name,
        { status: 401 },
      );
    const origin = new URL(String(options.origin));
    const headers = options.headers as Record<string, string>;
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: origin.protocol,
      hostname: origin.hostname,
      port: origin.port ? Number(origin.port) : undefined,
      path: options.path,
      query: {},
      headers: { host: origin.host, 'content-type': 'application/json' },
      body: options.body,
    });
    return { ...options, headers: { ...headers, ...signed.headers } };
  }

  override async send(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
  ): Promise<UpstreamResponse> {
    const res = await super.send(call, model, signal, extraHeaders);
    if (res.statusCode < 400) return res;
    const whole = await readWhole(res, ERROR_LIMITS);
    return { statusCode: whole.statusCode, headers: whole.headers, body: Readable.from([withErrorType(whole)]) };
  }

  override async sendBuffered(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    extraHeaders: Record<string, string> | undefined,
    limits: BodyLimits,
  ): Promise<BufferedResponse> {
    const res = await super.sendBuffered(call, model, signal, extraHeaders, limits);
    return res.statusCode < 400 ? res : { ...res, body: withErrorType(res) };
  }

  parseAnswer(call: CallInput, body: Buffer): ParsedAnswer {
    const model = String(call.body.model ?? '');
    const { json, usage, finish } = fromConverseAnswer(JSON.parse(body.toString('utf8')), model);
    return {
      body: JSON.stringify(json),
      usage,
      responseModel: model,
      responseId: json.id as string,
      finishReasons: [finish],
    };
  }

  streamTranslator(call: CallInput): StreamTranslator {
    return new ConverseStreamTranslator(String(call.body.model ?? ''), call.clientWantsUsage);
  }

  parseError(_status: number, body: Buffer): UpstreamErrorBody {
    return parseBedrockError(body);
  }
}

/** The error body with the `x-amzn-errortype` header's type in it as `__type` (parseError sees only the body). */
function withErrorType(res: BufferedResponse): Buffer {
  const type = res.headers['x-amzn-errortype'];
  if (typeof type !== 'string') return res.body;
  try {
    const j = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...j, __type: type }));
  } catch {
    return res.body;
  }
}
