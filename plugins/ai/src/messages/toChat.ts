/**
 * Anthropic Messages request → OpenAI Chat Completions request, so `POST /v1/messages` runs through
 * the same routing, limits, metering and providers as chat. Validation follows the Messages API
 * (max_tokens required, roles user/assistant, content blocks); what the target cannot express is
 * refused with a 400 naming the field instead of being dropped silently.
 */
import { CoreErrors } from '@aihub/core/plugin-api';
import type { ModelRoute } from '../routing/catalog';

type Json = Record<string, unknown>;

const invalid = (message: string, param: string | null = null) =>
  CoreErrors.create('invalid_request', message, { type: 'invalid_request_error', param });

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numberIn(body: Json, key: string, min: number, max: number, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || (integer && !Number.isInteger(v)))
    throw invalid(`${key}: Input should be ${integer ? 'a valid integer' : 'a valid number'}`, key);
  if (v < min || v > max) throw invalid(`${key}: Input should be between ${min} and ${max}, got ${v}`, key);
  return v;
}

function imagePart(block: Json, param: string): Json {
  const src = block.source;
  if (!isObject(src)) throw invalid(`${param}.source: Field required`, `${param}.source`);
  if (src.type === 'base64' && typeof src.media_type === 'string' && typeof src.data === 'string')
    return { type: 'image_url', image_url: { url: `data:${src.media_type};base64,${src.data}` } };
  if (src.type === 'url' && typeof src.url === 'string') return { type: 'image_url', image_url: { url: src.url } };
  throw invalid(
    `${param}.source: expected {type: "base64", media_type, data} or {type: "url", url}`,
    `${param}.source`,
  );
}

function blocksOf(content: unknown, param: string): Json[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content))
    throw invalid(`${param}: Input should be a valid string or a list of content blocks`, param);
  return content.map((b, i) => {
    if (!isObject(b) || typeof b.type !== 'string')
      throw invalid(`${param}.${i}.type: Field required`, `${param}.${i}.type`);
    return b;
  });
}

/** Text of a tool_result's content (a string or text blocks; images there are refused). */
function toolResultText(content: unknown, param: string, lenient: boolean): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw invalid(`${param}: Input should be a valid string or a list of content blocks`, param);
  return content
    .map((b: Json, i) => {
      if (b?.type === 'text' && typeof b.text === 'string') return b.text;
      if (lenient) return '';
      throw invalid(
        `${param}.${i}: only text blocks are supported inside tool_result for this model's provider (got ${String(b?.type)})`,
        `${param}.${i}.type`,
      );
    })
    .join('\n');
}

function userMessages(content: unknown, param: string, lenient: boolean): Json[] {
  const out: Json[] = [];
  let parts: Json[] = [];
  const flush = () => {
    if (parts.length)
      out.push({ role: 'user', content: parts.length === 1 && parts[0].type === 'text' ? parts[0].text : parts });
    parts = [];
  };
  blocksOf(content, param).forEach((b, i) => {
    const p = `${param}.${i}`;
    if (b.type === 'text') {
      if (typeof b.text !== 'string') throw invalid(`${p}.text: Field required`, `${p}.text`);
      parts.push({ type: 'text', text: b.text });
    } else if (b.type === 'image') parts.push(imagePart(b, p));
    else if (b.type === 'tool_result') {
      if (typeof b.tool_use_id !== 'string') throw invalid(`${p}.tool_use_id: Field required`, `${p}.tool_use_id`);
      // Tool results answer the previous assistant turn: they go first, as OpenAI `tool` messages.
      flush();
      const text = toolResultText(b.content, `${p}.content`, lenient);
      out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: b.is_error === true ? `Error: ${text}` : text });
    } else if (
      lenient &&
      b.type === 'document' &&
      isObject(b.source) &&
      b.source.type === 'text' &&
      typeof b.source.data === 'string'
    ) {
      // Counted in the estimate; the native request carries the document itself.
      parts.push({ type: 'text', text: b.source.data });
    } else if (!lenient)
      throw invalid(
        `${p}.type: '${String(b.type)}' blocks are not supported in user messages for this model's provider (text, image, tool_result are)`,
        `${p}.type`,
      );
  });
  flush();
  // Only blocks the chat request leaves out (native): still a user turn.
  if (out.length === 0 && lenient) out.push({ role: 'user', content: '' });
  return out;
}

function assistantMessage(content: unknown, param: string, lenient: boolean): Json {
  let text = '';
  const calls: Json[] = [];
  blocksOf(content, param).forEach((b, i) => {
    const p = `${param}.${i}`;
    if (b.type === 'text') text += typeof b.text === 'string' ? b.text : '';
    else if (b.type === 'tool_use') {
      if (typeof b.id !== 'string' || typeof b.name !== 'string')
        throw invalid(`${p}: tool_use needs an id and a name`, p);
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    } else if (b.type === 'thinking' || b.type === 'redacted_thinking') {
      // Earlier reasoning is the model's own scratchpad: it is not part of an OpenAI conversation.
    } else if (!lenient)
      throw invalid(
        `${p}.type: '${String(b.type)}' blocks are not supported in assistant messages for this model's provider`,
        `${p}.type`,
      );
  });
  const m: Json = { role: 'assistant', content: text || (calls.length ? null : '') };
  if (calls.length) m.tool_calls = calls;
  return m;
}

function systemText(system: unknown): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system;
  if (!Array.isArray(system))
    throw invalid('system: Input should be a valid string or a list of text blocks', 'system');
  return system
    .map((b: Json, i) => {
      if (b?.type === 'text' && typeof b.text === 'string') return b.text;
      throw invalid(`system.${i}: only text blocks are allowed in the system prompt`, `system.${i}`);
    })
    .join('\n');
}

function tools(list: unknown, lenient: boolean): Json[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw invalid('tools: Input should be a valid list', 'tools');
  // Server tools (web search, code execution, …) run at Anthropic: the native request carries them.
  const own = lenient ? list.filter((t: Json) => !isObject(t) || t.type === undefined || t.type === 'custom') : list;
  return own.map((t: Json, i) => {
    if (!isObject(t) || typeof t.name !== 'string') throw invalid(`tools.${i}.name: Field required`, `tools.${i}.name`);
    if (t.type !== undefined && t.type !== 'custom')
      throw invalid(
        `tools.${i}.type: Anthropic server tools ('${String(t.type)}') are not available through this model's provider`,
        `tools.${i}.type`,
      );
    if (!isObject(t.input_schema)) throw invalid(`tools.${i}.input_schema: Field required`, `tools.${i}.input_schema`);
    const fn: Json = { name: t.name, parameters: t.input_schema };
    if (typeof t.description === 'string') fn.description = t.description;
    return { type: 'function', function: fn };
  });
}

function toolChoice(tc: unknown, out: Json): void {
  if (tc === undefined || tc === null) return;
  if (!isObject(tc)) throw invalid('tool_choice: Input should be an object', 'tool_choice');
  if (tc.type === 'auto') out.tool_choice = 'auto';
  else if (tc.type === 'any') out.tool_choice = 'required';
  else if (tc.type === 'none') out.tool_choice = 'none';
  else if (tc.type === 'tool') {
    if (typeof tc.name !== 'string') throw invalid('tool_choice.name: Field required', 'tool_choice.name');
    out.tool_choice = { type: 'function', function: { name: tc.name } };
  } else
    throw invalid(`tool_choice.type: expected auto, any, tool or none, got '${String(tc.type)}'`, 'tool_choice.type');
  if (tc.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
}

/**
 * Validates a Messages request and translates it to a chat completion request. `stream` requests
 * ask the upstream for its usage chunk (Anthropic's message_delta carries the usage). `top_k` is
 * kept (as a `top_k` field the Anthropic adapter sends on) only when `options.topK` says every
 * deployment that may serve the model is Anthropic; otherwise it is refused. With `options.native`
 * (every deployment is Anthropic: the client's request is sent as it is) blocks and tools only
 * Anthropic understands (thinking, documents, server tools, …) are left out of the chat request,
 * which then only serves estimates and checks, instead of being refused.
 */
export function messagesToChat(body: unknown, options: { topK?: boolean; native?: boolean } = {}): Json {
  const lenient = options.native === true;
  if (!isObject(body)) throw invalid('The request body must be a JSON object.');
  if (body.model === undefined || body.model === null || body.model === '')
    throw invalid('model: Field required', 'model');
  if (typeof body.model !== 'string') throw invalid('model: Input should be a valid string', 'model');
  if (body.max_tokens === undefined || body.max_tokens === null)
    throw invalid('max_tokens: Field required', 'max_tokens');
  const maxTokens = numberIn(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  if (body.messages === undefined) throw invalid('messages: Field required', 'messages');
  if (!Array.isArray(body.messages)) throw invalid('messages: Input should be a valid list', 'messages');
  if (body.messages.length === 0) throw invalid('messages: at least one message is required', 'messages');
  const temperature = numberIn(body, 'temperature', 0, 1);
  const topP = numberIn(body, 'top_p', 0, 1);
  const topK = numberIn(body, 'top_k', 0, Number.MAX_SAFE_INTEGER, true);
  if (topK !== undefined && !options.topK) {
    throw invalid(
      "top_k: not supported by this model's provider (only models served by Anthropic deployments take it); remove top_k or use temperature/top_p",
      'top_k',
    );
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw invalid('stream: Input should be a valid boolean', 'stream');

  const messages: Json[] = [];
  const system = systemText(body.system);
  if (system) messages.push({ role: 'system', content: system });
  body.messages.forEach((m: unknown, i) => {
    const p = `messages.${i}`;
    if (!isObject(m)) throw invalid(`${p}: Input should be an object`, p);
    if (m.role === 'user') messages.push(...userMessages(m.content, `${p}.content`, lenient));
    else if (m.role === 'assistant') messages.push(assistantMessage(m.content, `${p}.content`, lenient));
    else throw invalid(`${p}.role: Input should be 'user' or 'assistant'`, `${p}.role`);
  });

  const out: Json = { model: body.model, messages, max_tokens: maxTokens };
  if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.top_p = topP;
  if (topK !== undefined) out.top_k = topK;
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string'))
      throw invalid('stop_sequences: Input should be a list of strings', 'stop_sequences');
    if (body.stop_sequences.length) out.stop = body.stop_sequences;
  }
  const t = tools(body.tools, lenient);
  if (t?.length) out.tools = t;
  toolChoice(body.tool_choice, out);
  const meta = body.metadata;
  if (isObject(meta) && typeof meta.user_id === 'string') out.user = meta.user_id;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return out;
}

/** Every deployment that may serve the route (its own and its fallbacks') is of this provider type. */
export function servedOnlyBy(route: ModelRoute | undefined, type: string, seen = new Set<ModelRoute>()): boolean {
  if (!route || seen.has(route)) return route !== undefined;
  seen.add(route);
  return (
    route.entries.length > 0 &&
    route.entries.every((e) => e.dep.provider.type === type) &&
    route.fallbacks.every((f) => servedOnlyBy(f, type, seen))
  );
}
