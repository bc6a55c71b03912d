/**
 * OpenAI Chat Completions ⇄ Amazon Bedrock Converse: system prompt, messages, images, tools
 * (toolSpec / toolUse / toolResult), tool choice, inference config one way; answers (text, toolUse,
 * stopReason, usage with cache reads and writes) the other.
 */
import { randomBytes } from 'node:crypto';
import type { RawUsage, UpstreamErrorBody } from '../../types';
import { count, objects, openAiUsage } from '../gemini/translate';
import { AiErrors } from '../../errors';

type Obj = Record<string, unknown>;
type Block = Obj;
interface ConverseMessage {
  role: 'user' | 'assistant';
  content: Block[];
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

const IMAGE_FORMATS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function userBlocks(content: unknown, param: string): Block[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw bad('Message content must be a string or an array of content parts.', param);
  return content.map((p: { type?: string; text?: unknown; image_url?: { url?: unknown } | string }, i) => {
    if (p?.type === 'text' && typeof p.text === 'string') return { text: p.text };
    if (p?.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : p.image_url?.url;
      const m = typeof url === 'string' ? /^data:([^;,]+);base64,(.*)$/s.exec(url) : null;
      const format = m ? IMAGE_FORMATS[m[1].toLowerCase()] : undefined;
      // Converse takes image bytes (or S3 locations), not URLs the gateway would have to fetch.
      if (!m || !format)
        throw bad(
          'Bedrock takes images as base64 data URLs of PNG, JPEG, GIF or WebP.',
          `${param}[${i}].image_url.url`,
        );
      return { image: { format, source: { bytes: m[2] } } };
    }
    throw bad(
      `Content part type ${String(p?.type)} is not supported for this model's provider.`,
      `${param}[${i}].type`,
    );
  });
}

function parseArgs(args: unknown): unknown {
  if (typeof args !== 'string' || args === '') return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return {};
  }
}

/** A tool result: JSON when it parses as an object, else text. */
function resultContent(text: string): Block[] {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return [{ json: v }];
  } catch {}
  return [{ text }];
}

/** The Converse request for an OpenAI chat request. */
export function toConverseRequest(body: Obj): Obj {
  const system: Block[] = [];
  const messages: ConverseMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  if (!Array.isArray(body.messages)) throw bad('messages must be an array.', 'messages');
  (body.messages as OpenAiMessage[]).forEach((m, i) => {
    const param = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const t = textOf(m.content, param);
        if (t) system.push({ text: t });
        break;
      }
      case 'user':
        push('user', userBlocks(m.content, param));
        break;
      case 'assistant': {
        const blocks: Block[] = [];
        const t = textOf(m.content, param);
        if (t) blocks.push({ text: t });
        for (const tc of m.tool_calls ?? [])
          blocks.push({
            toolUse: { toolUseId: tc.id, name: tc.function?.name, input: parseArgs(tc.function?.arguments) },
          });
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [
          {
            toolResult: {
              toolUseId: m.tool_call_id,
              content: resultContent(textOf(m.content, param)),
              status: 'success',
            },
          },
        ]);
        break;
      default:
        throw bad(`Unknown role ${String(m.role)}.`, `messages[${i}].role`);
    }
  });
  if (typeof body.n === 'number' && body.n > 1)
    throw bad(
      'n > 1 is not supported by Bedrock (Converse answers with one choice); send one request per choice.',
      'n',
    );

  const out: Obj = { messages };
  if (system.length) out.system = system;
  const inference: Obj = {};
  const max = body.max_completion_tokens ?? body.max_tokens;
  if (typeof max === 'number') inference.maxTokens = max;
  if (typeof body.temperature === 'number') inference.temperature = body.temperature;
  if (typeof body.top_p === 'number') inference.topP = body.top_p;
  if (body.stop !== undefined && body.stop !== null)
    inference.stopSequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (Object.keys(inference).length) out.inferenceConfig = inference;
  const tools = body.tools as
    { type?: string; function?: { name?: string; description?: string; parameters?: unknown } }[] | undefined;
  if (Array.isArray(tools) && tools.length) {
    const toolConfig: Obj = {
      tools: tools.map((t, i) => {
        if (t.type !== 'function' || typeof t.function?.name !== 'string')
          throw bad('Only function tools are supported for this model.', `tools[${i}]`);
        const spec: Obj = {
          name: t.function.name,
          inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } },
        };
        if (t.function.description) spec.description = t.function.description;
        return { toolSpec: spec };
      }),
    };
    const choice = body.tool_choice;
    // Converse has no "none": the model may still call a tool (the default, auto).
    if (choice === 'required') toolConfig.toolChoice = { any: {} };
    else if (choice === 'auto') toolConfig.toolChoice = { auto: {} };
    else if (choice && typeof choice === 'object') {
      const name = (choice as { function?: { name?: unknown } }).function?.name;
      if (typeof name !== 'string')
        throw bad('tool_choice must be none, auto, required or {type:"function", function:{name}}.', 'tool_choice');
      toolConfig.toolChoice = { tool: { name } };
    }
    out.toolConfig = toolConfig;
  }
  return out;
}

/** Converse stopReason → OpenAI finish_reason. */
export function finishReason(stop: string | undefined): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export interface ConverseUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** Converse usage → usage: cache reads and writes are listed apart from inputTokens, as Anthropic does. */
export function usageFromConverse(u: ConverseUsage | undefined): RawUsage | undefined {
  if (!u || typeof u !== 'object' || typeof u.inputTokens !== 'number') return undefined;
  const read = count(u.cacheReadInputTokens);
  const write = count(u.cacheWriteInputTokens);
  const usage: RawUsage = {
    promptTokens: count(u.inputTokens) + read + write,
    completionTokens: count(u.outputTokens),
    cachedTokens: read,
  };
  if (write) usage.cacheWriteTokens = write;
  return usage;
}

interface ConverseAnswer {
  output?: {
    message?: { content?: { text?: string; toolUse?: { toolUseId?: string; name?: string; input?: unknown } }[] };
  };
  stopReason?: string;
  usage?: ConverseUsage;
}

/** A Converse answer → an OpenAI chat.completion. */
export function fromConverseAnswer(
  a: ConverseAnswer,
  model: string,
): { json: Obj; usage: RawUsage | undefined; finish: string } {
  let text = '';
  const toolCalls: Obj[] = [];
  for (const b of objects<{ text?: string; toolUse?: { toolUseId?: string; name?: string; input?: unknown } }>(
    a.output?.message?.content,
  )) {
    if (typeof b.text === 'string') text += b.text;
    else if (b.toolUse && typeof b.toolUse === 'object')
      toolCalls.push({
        id: b.toolUse.toolUseId,
        type: 'function',
        function: { name: b.toolUse.name, arguments: JSON.stringify(b.toolUse.input ?? {}) },
      });
  }
  const usage = usageFromConverse(a.usage);
  const finish = finishReason(typeof a.stopReason === 'string' ? a.stopReason : undefined);
  const message: Obj = { role: 'assistant', content: text || (toolCalls.length ? null : ''), refusal: null };
  if (toolCalls.length) message.tool_calls = toolCalls;
  const json: Obj = {
    id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
  };
  if (usage) json.usage = openAiUsage(usage);
  return { json, usage, finish };
}

/** Bedrock's error body (`{message}`, `Message` from some services) with its type from `x-amzn-errortype`. */
export function parseBedrockError(body: Buffer, errorType?: string): UpstreamErrorBody {
  let message: string | undefined;
  let bodyType: string | undefined;
  try {
    const j = JSON.parse(body.toString('utf8')) as { message?: unknown; Message?: unknown; __type?: unknown };
    message = typeof j.message === 'string' ? j.message : typeof j.Message === 'string' ? j.Message : undefined;
    if (typeof j.__type === 'string') bodyType = j.__type;
  } catch {}
  // `x-amzn-errortype` (or `__type`) looks like "ThrottlingException:http://internal.amazon.com/…" or "com.amazon…#ThrottlingException".
  const type = (errorType ?? bodyType)?.split(':')[0].split('#').pop() || undefined;
  return {
    message,
    type,
    code: type
      ? type
          .replace(/Exception$/, '')
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .toLowerCase()
      : null,
    param: null,
  };
}
