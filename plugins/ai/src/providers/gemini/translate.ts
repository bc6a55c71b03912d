/**
 * OpenAI Chat Completions ⇄ Gemini `generateContent` (the Generative Language API and Vertex AI
 * share the body): system instruction, roles, images, tools (functionDeclarations, functionCall /
 * functionResponse), tool choice, JSON mode, sampling; answers (text, function calls, finish
 * reasons, usageMetadata) the other way.
 */
import { randomBytes } from 'node:crypto';
import type { RawUsage, UpstreamErrorBody } from '../../types';
import { AiErrors } from '../../errors';

type Obj = Record<string, unknown>;
type Part = Obj;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}
interface OpenAiMessage {
  role?: string;
  content?: unknown;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
}

const bad = (message: string, param: string) => AiErrors.create('invalid_value', message, { param });

function textOf(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (content == null) return '';
  if (!Array.isArray(content)) throw bad('Message content must be a string or an array of content parts.', param);
  return content
    .map((p: { type?: string; text?: unknown }, i) => {
      if (p?.type === 'text' && typeof p.text === 'string') return p.text;
      throw bad(
        `Only text parts are supported here for this model's provider (got ${String(p?.type)}).`,
        `${param}[${i}].type`,
      );
    })
    .join('\n');
}

const MIME_BY_EXT: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  pdf: 'application/pdf',
};

function userParts(content: unknown, param: string): Part[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw bad('Message content must be a string or an array of content parts.', param);
  return content.map((p: { type?: string; text?: unknown; image_url?: { url?: unknown } | string }, i) => {
    if (p?.type === 'text' && typeof p.text === 'string') return { text: p.text };
    if (p?.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : p.image_url?.url;
      if (typeof url !== 'string') throw bad('image_url.url is required.', `${param}[${i}].image_url.url`);
      const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
      if (m) return { inlineData: { mimeType: m[1], data: m[2] } };
      if (/^(https?|gs):\/\//.test(url)) {
        const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
        return { fileData: { mimeType: (ext && MIME_BY_EXT[ext]) || 'image/jpeg', fileUri: url } };
      }
      throw bad('image_url.url must be an http(s) or gs:// URL or a base64 data URL.', `${param}[${i}].image_url.url`);
    }
    throw bad(
      `Content part type ${String(p?.type)} is not supported for this model's provider.`,
      `${param}[${i}].type`,
    );
  });
}

function parseArgs(args: unknown): Obj {
  if (typeof args !== 'string' || args === '') return {};
  try {
    const v = JSON.parse(args) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : { value: v };
  } catch {
    return {};
  }
}

/** A tool result as functionResponse.response, which must be an object. */
function toolResponse(text: string): Obj {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Obj;
    return { result: v };
  } catch {
    return { result: text };
  }
}

/** Keys of Gemini's Schema object (an OpenAPI 3.0 subset); other JSON Schema keywords are refused. */
const SCHEMA_KEYS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** A JSON Schema (tool parameters, json_schema response format) as Gemini's Schema. */
export function toGeminiSchema(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const out: Obj = {};
  for (const [k, v] of Object.entries(schema as Obj)) {
    if (!SCHEMA_KEYS.has(k)) continue;
    if (k === 'type' && Array.isArray(v)) {
      const types = v.filter((t) => t !== 'null');
      out.type = types[0];
      if (types.length < v.length) out.nullable = true;
    } else if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Obj).map(([name, s]) => [name, toGeminiSchema(s)]));
    } else if (k === 'items' || k === 'anyOf') {
      out[k] = Array.isArray(v) ? v.map(toGeminiSchema) : toGeminiSchema(v);
    } else out[k] = v;
  }
  return out;
}

function toolConfig(choice: unknown): Obj | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof name === 'string') return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } };
  throw bad('tool_choice must be none, auto, required or {type:"function", function:{name}}.', 'tool_choice');
}

/** The generateContent request for an OpenAI chat request. */
export function toGeminiRequest(body: Obj): Obj {
  const system: string[] = [];
  const contents: Content[] = [];
  /** Tool call id → function name: a functionResponse names its function, a tool message only the id. */
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  if (!Array.isArray(body.messages)) throw bad('messages must be an array.', 'messages');
  (body.messages as OpenAiMessage[]).forEach((m, i) => {
    const param = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const t = textOf(m.content, param);
        if (t) system.push(t);
        break;
      }
      case 'user':
        push('user', userParts(m.content, param));
        break;
      case 'assistant': {
        const parts: Part[] = [];
        const t = textOf(m.content, param);
        if (t) parts.push({ text: t });
        for (const tc of m.tool_calls ?? []) {
          const name = tc.function?.name ?? '';
          if (tc.id) callNames.set(tc.id, name);
          parts.push({ functionCall: { name, args: parseArgs(tc.function?.arguments) } });
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = (m.tool_call_id && callNames.get(m.tool_call_id)) || '';
        if (!name)
          throw bad(
            `messages[${i}] answers tool call "${String(m.tool_call_id)}", which no earlier assistant message made.`,
            `messages[${i}].tool_call_id`,
          );
        push('user', [{ functionResponse: { name, response: toolResponse(textOf(m.content, param)) } }]);
        break;
      }
      default:
        throw bad(`Unknown role ${String(m.role)}.`, `messages[${i}].role`);
    }
  });

  const out: Obj = { contents };
  if (system.length) out.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  const gen: Obj = {};
  if (typeof body.temperature === 'number') gen.temperature = body.temperature;
  if (typeof body.top_p === 'number') gen.topP = body.top_p;
  if (typeof body.top_k === 'number') gen.topK = body.top_k;
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (typeof max === 'number') gen.maxOutputTokens = max;
  if (body.stop !== undefined && body.stop !== null)
    gen.stopSequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (typeof body.n === 'number' && body.n > 1) gen.candidateCount = body.n;
  if (typeof body.presence_penalty === 'number') gen.presencePenalty = body.presence_penalty;
  if (typeof body.frequency_penalty === 'number') gen.frequencyPenalty = body.frequency_penalty;
  if (typeof body.seed === 'number') gen.seed = body.seed;
  const rf = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (rf?.type === 'json_object') gen.responseMimeType = 'application/json';
  else if (rf?.type === 'json_schema') {
    gen.responseMimeType = 'application/json';
    if (rf.json_schema?.schema) gen.responseSchema = toGeminiSchema(rf.json_schema.schema);
  }
  if (Object.keys(gen).length) out.generationConfig = gen;
  const tools = body.tools as
    { type?: string; function?: { name?: string; description?: string; parameters?: unknown } }[] | undefined;
  if (Array.isArray(tools) && tools.length) {
    out.tools = [
      {
        functionDeclarations: tools.map((t, i) => {
          if (t.type !== 'function' || typeof t.function?.name !== 'string')
            throw bad('Only function tools are supported for this model.', `tools[${i}]`);
          const decl: Obj = { name: t.function.name };
          if (t.function.description) decl.description = t.function.description;
          // An empty object schema is refused: a function without parameters declares none.
          const params = t.function.parameters as { properties?: Obj } | undefined;
          if (params && params.properties && Object.keys(params.properties).length)
            decl.parameters = toGeminiSchema(params);
          return decl;
        }),
      },
    ];
    const tc = toolConfig(body.tool_choice);
    if (tc) out.toolConfig = tc;
  }
  return out;
}

/** Gemini finishReason → OpenAI finish_reason (tool_calls when the candidate called a function). */
export function finishReason(reason: string | undefined, calledTools: boolean): string | null {
  switch (reason) {
    case undefined:
    case 'FINISH_REASON_UNSPECIFIED':
      return null;
    case 'STOP':
      return calledTools ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'LANGUAGE':
      return 'content_filter';
    default:
      // OTHER, MALFORMED_FUNCTION_CALL, …: the answer ended for a reason OpenAI has no word for.
      return calledTools ? 'tool_calls' : 'stop';
  }
}

export interface GeminiUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

/**
 * usageMetadata → usage: the prompt includes cached content (as OpenAI's does) and tool-use prompt
 * tokens; thinking tokens are billed as output, so they count into completion tokens and are
 * reported as reasoning tokens.
 */
export function usageFromGemini(u: GeminiUsage | undefined): RawUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const thoughts = count(u.thoughtsTokenCount);
  const usage: RawUsage = {
    promptTokens: count(u.promptTokenCount) + count(u.toolUsePromptTokenCount),
    completionTokens: count(u.candidatesTokenCount) + thoughts,
    cachedTokens: count(u.cachedContentTokenCount),
  };
  if (thoughts) usage.reasoningTokens = thoughts;
  return usage;
}

/** A token count from the provider, or 0 when it is not a count. */
export const count = (n: unknown): number => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 0);

/** The objects of what should be an array of objects (a provider's JSON is not trusted to have its shape). */
export const objects = <T>(v: unknown): T[] =>
  Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x)) as T[]) : [];

/** OpenAI's usage object, with the details OpenAI reports (cached prompt, reasoning). */
export function openAiUsage(u: RawUsage): Obj {
  const out: Obj = {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
  if (u.reasoningTokens) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return out;
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name?: string; args?: unknown };
}
export interface GeminiCandidate {
  index?: number;
  content?: { parts?: GeminiPart[] };
  finishReason?: string;
}
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  usageMetadata?: GeminiUsage;
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string };
}

export const newCallId = (): string => `call_${randomBytes(12).toString('base64url')}`;

/** Text (thought summaries left out) and function calls of a candidate's parts. */
export function candidateParts(c: GeminiCandidate): {
  text: string;
  calls: { id: string; name: string; args: string }[];
} {
  let text = '';
  const calls: { id: string; name: string; args: string }[] = [];
  for (const p of objects<GeminiPart>(c.content?.parts)) {
    if (typeof p.text === 'string' && !p.thought) text += p.text;
    else if (p.functionCall && typeof p.functionCall === 'object')
      calls.push({
        id: typeof p.functionCall.id === 'string' && p.functionCall.id ? p.functionCall.id : newCallId(),
        name: String(p.functionCall.name ?? ''),
        args: JSON.stringify(p.functionCall.args ?? {}),
      });
  }
  return { text, calls };
}

/** A generateContent answer → an OpenAI chat.completion. */
export function fromGeminiAnswer(
  a: GeminiResponse,
  model: string,
): { json: Obj; usage: RawUsage | undefined; finishReasons: string[] } {
  const candidates = objects<GeminiCandidate>(a.candidates);
  const finishReasons: string[] = [];
  const choices = candidates.map((c, i) => {
    const { text, calls } = candidateParts(c);
    const finish =
      finishReason(typeof c.finishReason === 'string' ? c.finishReason : undefined, calls.length > 0) ?? 'stop';
    finishReasons.push(finish);
    const message: Obj = { role: 'assistant', content: text || (calls.length ? null : ''), refusal: null };
    if (calls.length)
      message.tool_calls = calls.map((k) => ({
        id: k.id,
        type: 'function',
        function: { name: k.name, arguments: k.args },
      }));
    return { index: typeof c.index === 'number' ? c.index : i, message, logprobs: null, finish_reason: finish };
  });
  // A blocked prompt has no candidates, only promptFeedback.blockReason.
  if (choices.length === 0) {
    finishReasons.push('content_filter');
    choices.push({
      index: 0,
      message: { role: 'assistant', content: '', refusal: null },
      logprobs: null,
      finish_reason: 'content_filter',
    });
  }
  const usage = usageFromGemini(a.usageMetadata);
  const json: Obj = {
    id:
      typeof a.responseId === 'string'
        ? `chatcmpl-${a.responseId}`
        : `chatcmpl-${randomBytes(12).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: typeof a.modelVersion === 'string' ? a.modelVersion : model,
    choices,
  };
  if (usage) json.usage = openAiUsage(usage);
  return { json, usage, finishReasons };
}

interface RpcStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: { '@type'?: string; retryDelay?: string; fieldViolations?: { field?: string; description?: string }[] }[];
}

/** A google.rpc.Status error (`{error:{code, message, status, details}}`) in OpenAI's fields. */
export function parseRpcError(body: Buffer): UpstreamErrorBody {
  let e: RpcStatus | undefined;
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: RpcStatus } | RpcStatus[];
    // Some proxies answer with a one-element array of the error object.
    e = Array.isArray(j) ? (j[0] as { error?: RpcStatus })?.error : j.error;
  } catch {
    return {};
  }
  if (!e || typeof e !== 'object') return {};
  const violation = e.details?.find((d) => d.fieldViolations)?.fieldViolations?.[0];
  return {
    message: e.message,
    type: e.status === 'INVALID_ARGUMENT' ? 'invalid_request_error' : e.status?.toLowerCase(),
    code: e.status ? e.status.toLowerCase() : null,
    param: violation?.field ?? null,
  };
}

/** google.rpc.RetryInfo's retryDelay ("30s", "1.5s") in ms, when the error carries one. */
export function rpcRetryDelayMs(body: Buffer): number | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: RpcStatus };
    const d = j.error?.details?.find((x) => typeof x.retryDelay === 'string')?.retryDelay;
    const m = d ? /^(\d+(?:\.\d+)?)s$/.exec(d) : null;
    return m ? Math.round(Number(m[1]) * 1000) : undefined;
  } catch {
    return undefined;
  }
}
