/**
 * OpenAI Chat Completions ⇄ Anthropic Messages: requests (system prompt, messages, images, tools,
 * tool_choice, tool results, stop sequences) one way, answers (text, tool_use, stop reasons, usage)
 * the other.
 */
import type { RawUsage } from '../../types';
import { AiErrors } from '../../errors';

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

interface OpenAiToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}
interface OpenAiMessage {
  role?: string;
  content?: unknown;
  tool_calls?: OpenAiToolCall[];
  tool_call_id?: string;
  name?: string;
}

const bad = (message: string, param: string) => AiErrors.create('invalid_value', message, { param });

function textOf(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (content == null) return '';
  if (!Array.isArray(content)) throw bad('Message content must be a string or an array of content parts.', param);
  let s = '';
  content.forEach((p: { type?: string; text?: unknown }, i) => {
    if (p?.type === 'text' && typeof p.text === 'string') s += (s ? '\n' : '') + p.text;
    else
      throw bad(
        `Only text parts are supported here for this model's provider (got ${String(p?.type)}).`,
        `${param}[${i}].type`,
      );
  });
  return s;
}

function imageBlock(url: string, param: string): Block {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw bad('image_url.url must be an http(s) URL or a base64 data URL.', param);
}

function userBlocks(content: unknown, param: string): Block[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw bad('Message content must be a string or an array of content parts.', param);
  const out: Block[] = [];
  content.forEach((p: { type?: string; text?: unknown; image_url?: { url?: unknown } | string }, i) => {
    if (p?.type === 'text' && typeof p.text === 'string') {
      if (p.text) out.push({ type: 'text', text: p.text });
    } else if (p?.type === 'image_url') {
      const url = typeof p.image_url === 'string' ? p.image_url : p.image_url?.url;
      if (typeof url !== 'string') throw bad('image_url.url is required.', `${param}[${i}].image_url.url`);
      out.push(imageBlock(url, `${param}[${i}].image_url.url`));
    } else {
      throw bad(
        `Content part type ${String(p?.type)} is not supported for this model's provider.`,
        `${param}[${i}].type`,
      );
    }
  });
  return out;
}

function parseArguments(args: unknown): unknown {
  if (typeof args !== 'string' || args === '') return {};
  try {
    const v = JSON.parse(args) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    return {};
  }
}

interface OpenAiTool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: unknown };
}

function toolChoice(choice: unknown, parallel: unknown): Block | undefined {
  const disable = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined || choice === null) return parallel === false ? { type: 'auto', ...disable } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...disable };
  if (choice === 'required') return { type: 'any', ...disable };
  const name = (choice as { function?: { name?: unknown } }).function?.name;
  if (typeof name === 'string') return { type: 'tool', name, ...disable };
  throw bad('tool_choice must be none, auto, required or {type:"function", function:{name}}.', 'tool_choice');
}

/** The Anthropic Messages request for an OpenAI chat request. */
export function toAnthropicRequest(
  body: Record<string, unknown>,
  model: string,
  maxTokensDefault: number,
  stream: boolean,
): Record<string, unknown> {
  if (typeof body.n === 'number' && body.n > 1)
    throw bad(
      'n > 1 is not supported by Anthropic models (the Messages API answers with one choice); send one request per choice, or use a model of an OpenAI-compatible provider.',
      'n',
    );
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
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
        push('user', userBlocks(m.content, param));
        break;
      case 'assistant': {
        const blocks: Block[] = [];
        const t = textOf(m.content, param);
        if (t) blocks.push({ type: 'text', text: t });
        for (const tc of m.tool_calls ?? []) {
          blocks.push({
            type: 'tool_use',
            id: tc.id,
            name: tc.function?.name,
            input: parseArguments(tc.function?.arguments),
          });
        }
        push('assistant', blocks);
        break;
      }
      case 'tool':
        push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: textOf(m.content, param) }]);
        break;
      case 'function':
        push('user', [{ type: 'text', text: textOf(m.content, param) }]);
        break;
      default:
        throw bad(`Unknown role ${String(m.role)}.`, `messages[${i}].role`);
    }
  });

  const out: Record<string, unknown> = {
    model,
    max_tokens: (body.max_completion_tokens ?? body.max_tokens ?? maxTokensDefault) as number,
    messages,
  };
  if (system.length) out.system = system.join('\n\n');
  if (typeof body.temperature === 'number') out.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  // Not an OpenAI field: set only by the /v1/messages ingress when every deployment is Anthropic.
  if (typeof body.top_k === 'number') out.top_k = body.top_k;
  if (body.stop !== undefined && body.stop !== null)
    out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (stream) out.stream = true;
  if (typeof body.user === 'string') out.metadata = { user_id: body.user };
  const tools = body.tools as OpenAiTool[] | undefined;
  if (Array.isArray(tools) && tools.length) {
    out.tools = tools.map((t, i) => {
      if (t.type !== 'function' || typeof t.function?.name !== 'string')
        throw bad('Only function tools are supported for this model.', `tools[${i}]`);
      return {
        name: t.function.name,
        description: t.function.description,
        input_schema: t.function.parameters ?? { type: 'object', properties: {} },
      };
    });
  }
  const tc = toolChoice(body.tool_choice, body.parallel_tool_calls);
  if (tc && (out.tools || tc.type === 'none')) out.tool_choice = tc;
  return out;
}

/** Anthropic stop_reason → OpenAI finish_reason. */
export function finishReason(stop: string | null | undefined): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  /** Cache writes by lifetime (the 1-hour cache costs more). */
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
}

/** OpenAI counts cached and cache-writing tokens inside prompt_tokens; Anthropic lists them apart. */
export function usageFromAnthropic(u: AnthropicUsage | undefined, outputTokens?: number): RawUsage | undefined {
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  const cached = u.cache_read_input_tokens ?? 0;
  const output = outputTokens ?? u.output_tokens;
  if (typeof output !== 'number') return undefined;
  const writes = u.cache_creation_input_tokens ?? 0;
  const usage: RawUsage = {
    promptTokens: u.input_tokens + cached + writes,
    completionTokens: output,
    cachedTokens: cached,
  };
  if (writes) usage.cacheWriteTokens = writes;
  const writes1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  if (writes1h) usage.cacheWrite1hTokens = Math.min(writes1h, writes);
  return usage;
}

export function openAiUsageJson(u: RawUsage): Record<string, unknown> {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    prompt_tokens_details: { cached_tokens: u.cachedTokens },
  };
}

interface AnthropicAnswer {
  id?: string;
  model?: string;
  content?: { type?: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** An Anthropic message → an OpenAI chat.completion. */
export function fromAnthropicAnswer(a: AnthropicAnswer): {
  json: Record<string, unknown>;
  usage: RawUsage | undefined;
  finish: string;
} {
  let text = '';
  const toolCalls: Record<string, unknown>[] = [];
  for (const b of a.content ?? []) {
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'tool_use')
      toolCalls.push({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
  }
  const usage = usageFromAnthropic(a.usage);
  const finish = finishReason(a.stop_reason);
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: text || (toolCalls.length ? null : ''),
    refusal: null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  const json: Record<string, unknown> = {
    id: a.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: a.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
  };
  if (usage) json.usage = openAiUsageJson(usage);
  return { json, usage, finish };
}
