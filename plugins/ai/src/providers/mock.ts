import { Readable } from 'node:stream';
import type { ProviderConfig } from '../config';
import type { AttemptSignal } from '../engine/AttemptSignal';
import type {
  BodyLimits,
  BufferedResponse,
  CallInput,
  ParsedAnswer,
  ProviderAdapter,
  StreamTranslator,
  UpstreamErrorBody,
  UpstreamResponse,
} from '../types';
import { readWhole } from './buffered';
import { parseOpenAiError } from './HttpProvider';
import { scanOpenAiAnswer } from './openai/translate';
import { OpenAiStreamTranslator } from './openai/stream';

/** Words that are one token each in the cl100k and o200k encodings, so counts match a tokenizer. */
const WORDS = [
  'Hello',
  ' from',
  ' the',
  ' mock',
  ' provider',
  ' of',
  ' AI',
  ' Hub',
  ' this',
  ' is',
  ' a',
  ' deterministic',
  ' answer',
  ' with',
  ' one',
  ' token',
  ' per',
  ' word',
];
const word = (i: number) => (i === 0 ? WORDS[0] : WORDS[1 + ((i - 1) % (WORDS.length - 1))]);

function promptTokens(body: Record<string, unknown>): number {
  let chars = 0;
  let framing = 0;
  const visit = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string')
      chars += (v as { text: string }).text.length;
  };
  if (Array.isArray(body.messages))
    for (const m of body.messages) {
      framing += 4;
      visit((m as { content?: unknown })?.content);
    }
  if (body.input !== undefined) visit(body.input);
  return Math.max(1, Math.ceil(chars / 4) + framing);
}

function vector(input: string, dims: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input.charCodeAt(i), 16777619);
  const out = new Array<number>(dims);
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) ^ i;
    out[i] = Math.round((((h >>> 0) / 4294967295) * 2 - 1) * 1e6) / 1e6;
  }
  return out;
}

function sleep(ms: number, signal: AttemptSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    signal.once('abort', onAbort);
  });
}

const json = (statusCode: number, body: unknown): UpstreamResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Readable.from([Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))]),
});

/**
 * The built-in deterministic provider (no network): the embedded default's upstream, so `npm start`
 * answers chat, streaming and embeddings out of the box. Answers in OpenAI's format with usage;
 * latency, chunk pacing, answer length and an evenly spread failure rate are configurable.
 */
export class MockProvider implements ProviderAdapter {
  readonly type = 'mock' as const;
  readonly genAiSystem = 'aihub.mock';
  readonly serverAddress = undefined;
  readonly serverPort = undefined;
  readonly secrets: readonly string[] = [];
  readonly firstByteMs: number;
  readonly totalMs: number;
  private calls = 0;
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly config: ProviderConfig,
  ) {
    this.firstByteMs = config.timeouts.firstByteMs;
    this.totalMs = config.timeouts.totalMs;
  }

  supports(): boolean {
    return true;
  }

  /** Deterministic failures: request n fails when floor((n+1)·rate) > floor(n·rate). */
  private fails(): boolean {
    const rate = this.config.mock.failureRate;
    const n = this.calls++;
    return rate > 0 && Math.floor((n + 1) * rate) > Math.floor(n * rate);
  }

  async sendBuffered(
    call: CallInput,
    model: string,
    signal: AttemptSignal,
    _extraHeaders: Record<string, string> | undefined,
    limits: BodyLimits,
  ): Promise<BufferedResponse> {
    return readWhole(await this.send(call, model, signal), limits);
  }

  async send(call: CallInput, model: string, signal: AttemptSignal): Promise<UpstreamResponse> {
    const m = this.config.mock;
    await sleep(m.latencyMs, signal);
    if (this.fails()) {
      return json(500, {
        error: {
          message: 'The mock provider failed this request on purpose (failureRate).',
          type: 'server_error',
          param: null,
          code: 'mock_failure',
        },
      });
    }
    const body = call.body;
    const id = ++this.seq;
    if (call.op === 'embeddings') return json(200, this.embeddings(body, model));
    const prompt = promptTokens(body);
    const max = (body.max_completion_tokens ?? body.max_tokens) as number | undefined;
    const tools =
      Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== 'none'
        ? (body.tools as { function?: { name?: string } }[])
        : undefined;
    const forced = (body.tool_choice as { function?: { name?: string } } | undefined)?.function?.name;
    const toolName = tools ? (forced ?? tools[0]?.function?.name ?? 'tool') : undefined;
    const n = toolName ? 8 : typeof max === 'number' && max > 0 && max < m.completionTokens ? max : m.completionTokens;
    const finish = toolName ? 'tool_calls' : n < m.completionTokens ? 'length' : 'stop';
    const created = Math.floor(Date.now() / 1000);
    // `n` choices, as OpenAI answers: each its own completion, usage counts them all.
    const count = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? body.n : 1;
    const usage = {
      prompt_tokens: prompt,
      completion_tokens: n * count,
      total_tokens: prompt + n * count,
      prompt_tokens_details: { cached_tokens: 0 },
    };
    const toolCall = toolName
      ? { id: `call_mock_${id}`, type: 'function', function: { name: toolName, arguments: '{"query":"mock"}' } }
      : undefined;
    if (!call.stream) {
      let text = '';
      if (!toolCall) for (let i = 0; i < n; i++) text += word(i);
      const message = toolCall
        ? { role: 'assistant', content: null, tool_calls: [toolCall], refusal: null }
        : { role: 'assistant', content: text, refusal: null };
      return json(200, {
        id: `chatcmpl-mock-${id}`,
        object: 'chat.completion',
        created,
        model,
        choices: Array.from({ length: count }, (_, index) => ({
          index,
          message,
          logprobs: null,
          finish_reason: finish,
        })),
        usage,
        system_fingerprint: 'fp_aihub_mock',
      });
    }
    const start = `data: {"id":"chatcmpl-mock-${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"fp_aihub_mock","choices":[{"index":`;
    const tail = ',"logprobs":null,"finish_reason":null}],"usage":null}\n\n';
    const chunks: string[] = [];
    // Choices interleave chunk by chunk (index 0, 1, …), as OpenAI streams them.
    const each = (chunk: (head: string) => string) => {
      for (let j = 0; j < count; j++) chunks.push(chunk(`${start}${j},"delta":`));
    };
    if (toolCall) {
      each(
        (head) =>
          `${head}{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"${toolCall.id}","type":"function","function":{"name":${JSON.stringify(toolName)},"arguments":""}}]}${tail}`,
      );
      each((head) => `${head}{"tool_calls":[{"index":0,"function":{"arguments":"{\\"query\\":\\"mock\\"}"}}]}${tail}`);
    } else {
      each((head) => `${head}{"role":"assistant","content":"","refusal":null}${tail}`);
      for (let i = 0; i < n; i++) each((head) => `${head}{"content":${JSON.stringify(word(i))}}${tail}`);
    }
    each((head) => `${head}{},"logprobs":null,"finish_reason":"${finish}"}],"usage":null}\n\n`);
    chunks.push(
      `data: {"id":"chatcmpl-mock-${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[],"usage":${JSON.stringify(usage)}}\n\ndata: [DONE]\n\n`,
    );
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: paced(chunks, m.chunkDelayMs, signal),
    };
  }

  private embeddings(body: Record<string, unknown>, model: string): unknown {
    const raw = body.input;
    const inputs: unknown[] = Array.isArray(raw) && raw.length > 0 && typeof raw[0] !== 'number' ? raw : [raw];
    const dims = typeof body.dimensions === 'number' ? body.dimensions : this.config.mock.embeddingDimensions;
    const base64 = body.encoding_format === 'base64';
    let tokens = 0;
    const data = inputs.map((input, index) => {
      const text = typeof input === 'string' ? input : JSON.stringify(input);
      tokens += Array.isArray(input) ? input.length : Math.max(1, Math.ceil(text.length / 4));
      const v = vector(text, dims);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      };
    });
    return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
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

  async close(): Promise<void> {}
}

/** A stream of chunks with a pause between them, ended early (destroyed) when the signal aborts. */
function paced(chunks: string[], delayMs: number, signal: AttemptSignal): Readable {
  if (delayMs <= 0) return Readable.from([Buffer.from(chunks.join(''))]);
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const stream = new Readable({
    read() {
      if (timer) return;
      if (i >= chunks.length) {
        this.push(null);
        return;
      }
      const next = () => {
        timer = undefined;
        this.push(Buffer.from(chunks[i++]));
      };
      if (i === 0) next();
      else timer = setTimeout(next, delayMs);
    },
    destroy(err, cb) {
      clearTimeout(timer);
      cb(err);
    },
  });
  signal.once('abort', () => stream.destroy(new Error('aborted')));
  return stream;
}
