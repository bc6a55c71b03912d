import { completionText, countPromptTokens, embeddingVector, escapedWord } from './content';
import type { Exchange } from './types';
import { countServed, sendJson, writeStream, type StreamPlan } from './write';

/** OpenAI's error body. */
export function openAiError(
  ex: Exchange,
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers?: Record<string, string>,
): void {
  ex.stats.failed++;
  sendJson(ex, status, { error: { message, type, param: null, code } }, headers);
}

interface ToolLike {
  type?: string;
  function?: { name?: string };
}

/** The tool the mock "calls": the one forced by tool_choice, else the first; none when tools are off. */
function chosenTool(body: Record<string, unknown>): string | undefined {
  const tools = body.tools as ToolLike[] | undefined;
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  const choice = body.tool_choice as string | { function?: { name?: string } } | undefined;
  if (choice === 'none') return undefined;
  if (choice && typeof choice === 'object' && choice.function?.name) return choice.function.name;
  return tools[0]?.function?.name ?? 'tool';
}

export const TOOL_ARGUMENTS = '{"query":"mock"}';
const TOOL_ARG_PARTS = ['{"query"', ':"mo', 'ck"}'];
const TOOL_CALL_TOKENS = 8;

/** What OpenAI sends when a stream fails after it started. */
export const OPENAI_STREAM_ERROR =
  'data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}\n\n';

function limits(ex: Exchange): { tokens: number; truncated: boolean } {
  const want = ex.failure?.completionTokens ?? ex.options.completionTokens;
  const max = (ex.body.max_completion_tokens ?? ex.body.max_tokens) as number | undefined;
  if (typeof max === 'number' && max > 0 && max < want) return { tokens: max, truncated: true };
  return { tokens: want, truncated: false };
}

function usageJson(prompt: number, completion: number): string {
  return `{"prompt_tokens":${prompt},"completion_tokens":${completion},"total_tokens":${prompt + completion},"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`;
}

/** POST /v1/chat/completions (and Azure's deployment URL): non-streaming and SSE. */
export function chatCompletions(ex: Exchange, modelOverride?: string): void {
  const body = ex.body;
  const model = modelOverride ?? (typeof body.model === 'string' ? body.model : 'mock');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    openAiError(
      ex,
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1.",
      'invalid_request_error',
      'empty_array',
    );
    return;
  }
  const promptTokens = countPromptTokens(body);
  const tool = chosenTool(body);
  const { tokens, truncated } = tool ? { tokens: TOOL_CALL_TOKENS, truncated: false } : limits(ex);
  const finish = tool ? 'tool_calls' : truncated ? 'length' : 'stop';
  const id = `chatcmpl-mock-${ex.seq}`;
  const created = Math.floor(Date.now() / 1000);
  const noUsage = ex.failure?.noUsage === true;
  // `n` choices, as OpenAI answers (each its own completion; usage counts them all).
  const choices = typeof body.n === 'number' && Number.isInteger(body.n) && body.n > 1 ? body.n : 1;
  const completion = tokens * choices;

  if (body.stream !== true) {
    const message = tool
      ? `{"role":"assistant","content":null,"tool_calls":[{"id":"call_mock_${ex.seq}","type":"function","function":{"name":${JSON.stringify(tool)},"arguments":${JSON.stringify(TOOL_ARGUMENTS)}}}],"refusal":null,"annotations":[]}`
      : `{"role":"assistant","content":${JSON.stringify(completionText(tokens))},"refusal":null,"annotations":[]}`;
    const text =
      `{"id":"${id}","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},"choices":[${Array.from({ length: choices }, (_, j) => `{"index":${j},"message":${message},"logprobs":null,"finish_reason":"${finish}"}`).join(',')}]` +
      (noUsage ? '' : `,"usage":${usageJson(promptTokens, completion)}`) +
      `,"service_tier":"default","system_fingerprint":"fp_mock"}`;
    ex.res.once('finish', () => countServed(ex, promptTokens, completion, false));
    sendJson(ex, 200, text);
    return;
  }

  const includeUsage =
    (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true && !noUsage;
  const usageNull = includeUsage ? ',"usage":null' : '';
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"fp_mock","choices":[{"index":`;
  const suffix = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  const chunks: string[] = [];
  // Choices interleave chunk by chunk (index 0, 1, …), as OpenAI streams them.
  const each = (chunk: (prefix: string) => string) => {
    for (let j = 0; j < choices; j++) chunks.push(chunk(`${head}${j},"delta":`));
  };
  let tokenChunks: number;
  if (tool) {
    each(
      (prefix) =>
        `${prefix}{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_mock_${ex.seq}","type":"function","function":{"name":${JSON.stringify(tool)},"arguments":""}}],"refusal":null}${suffix}`,
    );
    for (const part of TOOL_ARG_PARTS)
      each(
        (prefix) => `${prefix}{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(part)}}}]}${suffix}`,
      );
    tokenChunks = TOOL_ARG_PARTS.length * choices;
  } else {
    each((prefix) => `${prefix}{"role":"assistant","content":"","refusal":null}${suffix}`);
    for (let i = 0; i < tokens; i++) each((prefix) => `${prefix}{"content":${escapedWord(i)}}${suffix}`);
    tokenChunks = tokens * choices;
  }
  each((prefix) => `${prefix}{},"logprobs":null,"finish_reason":"${finish}"}]${usageNull}}\n\n`);
  if (includeUsage) {
    chunks.push(
      `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"default","system_fingerprint":"fp_mock","choices":[],"usage":${usageJson(promptTokens, completion)}}\n\n`,
    );
  }
  chunks.push('data: [DONE]\n\n');
  const plan: StreamPlan = {
    chunks,
    firstTokenChunk: choices,
    tokenChunks,
    promptTokens,
    completionTokens: completion,
    errorChunk: OPENAI_STREAM_ERROR,
  };
  writeStream(ex, plan);
}

/** POST /v1/embeddings: deterministic vectors, float or base64 (the openai SDK asks for base64). */
export function embeddings(ex: Exchange, modelOverride?: string): void {
  const body = ex.body;
  const model = modelOverride ?? (typeof body.model === 'string' ? body.model : 'mock-embedding');
  const raw = body.input;
  const inputs: unknown[] = Array.isArray(raw) && raw.length > 0 && typeof raw[0] !== 'number' ? raw : [raw];
  if (raw === undefined || raw === '' || (Array.isArray(raw) && raw.length === 0)) {
    openAiError(ex, 400, "'input' : input must be a string or an array of strings", 'invalid_request_error', null);
    return;
  }
  const dims = typeof body.dimensions === 'number' ? body.dimensions : ex.options.embeddingDimensions;
  const base64 = body.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    tokens += Array.isArray(input) ? input.length : Math.max(1, Math.ceil(text.length / 4));
    const vec = embeddingVector(text, dims);
    const embedding = base64 ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
    return { object: 'embedding', index, embedding };
  });
  const usage = ex.failure?.noUsage ? undefined : { prompt_tokens: tokens, total_tokens: tokens };
  ex.res.once('finish', () => countServed(ex, tokens, 0, false));
  sendJson(ex, 200, { object: 'list', data, model, usage });
}

export function listModels(ex: Exchange): void {
  const created = 1700000000;
  sendJson(ex, 200, {
    object: 'list',
    data: ex.options.models.map((id) => ({ id, object: 'model', created, owned_by: 'mock' })),
  });
}

export function getModel(ex: Exchange, id: string): void {
  if (!ex.options.models.includes(id)) {
    openAiError(ex, 404, `The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found');
    return;
  }
  sendJson(ex, 200, { id, object: 'model', created: 1700000000, owned_by: 'mock' });
}
