/**
 * OpenAI Responses request → Chat Completions request, so `POST /v1/responses` runs through the same
 * routing, limits, metering and providers as chat. Input items (messages, function calls and their
 * outputs) become chat messages; a `previous_response_id` puts the stored conversation first.
 * What chat cannot express (built-in tools, background runs, stored prompts, file inputs) is refused
 * with a 400 naming the field instead of being dropped silently.
 */
import { randomBytes } from 'node:crypto';
import { CoreErrors } from '@aihub/core/plugin-api';
import { AiErrors } from '../errors';

type Json = Record<string, unknown>;

const missing = (param: string) =>
  AiErrors.create('missing_required_parameter', `Missing required parameter: '${param}'.`, { param });
const invalidType = (param: string, expected: string) =>
  CoreErrors.create('invalid_type', `Invalid type for '${param}': expected ${expected}.`, { param });
const invalidValue = (param: string, message: string) =>
  AiErrors.create('invalid_value', `Invalid value for '${param}': ${message}`, { param });

/** Built-in (hosted) tools run by OpenAI itself: nothing the gateway can route to another provider. */
const BUILT_IN_TOOLS = new Set([
  'web_search',
  'web_search_preview',
  'web_search_2025_08_26',
  'web_search_preview_2025_03_11',
  'file_search',
  'computer',
  'computer_use_preview',
  'code_interpreter',
  'image_generation',
  'mcp',
  'local_shell',
  'shell',
  'apply_patch',
  'custom',
  'tool_search',
  'namespace',
]);

/** Request fields that ask for something the gateway does not do (rather than something a provider may ignore). */
const REFUSED_FIELDS: Record<string, string> = {
  background: 'background responses are not supported; send the request without `background` (or stream it)',
  conversation: 'conversations are not supported; continue a conversation with `previous_response_id`',
  prompt: 'stored prompts are not supported; send the input and instructions themselves',
};

export const newId = (prefix: string) => `${prefix}_${randomBytes(16).toString('hex')}`;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalNumber(body: Json, key: string, min: number, max: number, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || (integer && !Number.isInteger(v)))
    throw invalidType(key, integer ? 'an integer' : 'a number');
  if (v < min || v > max) throw invalidValue(key, `expected a value between ${min} and ${max}, got ${v}.`);
  return v;
}

/** A user/system message's content parts in chat's format. */
function inputContent(content: unknown, param: string): string | Json[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidType(param, 'a string or an array of content parts');
  const parts = content.map((p: unknown, i) => {
    const pp = `${param}[${i}]`;
    if (!isObject(p)) throw invalidType(pp, 'an object');
    if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') {
      if (typeof p.text !== 'string') throw missing(`${pp}.text`);
      return { type: 'text', text: p.text };
    }
    if (p.type === 'input_image') {
      if (typeof p.image_url !== 'string')
        throw invalidValue(
          `${pp}.image_url`,
          'an image URL or data URL is required (file_id images are not supported by this gateway).',
        );
      const image: Json = { url: p.image_url };
      if (typeof p.detail === 'string') image.detail = p.detail;
      return { type: 'image_url', image_url: image };
    }
    if (p.type === 'input_file')
      throw invalidValue(
        `${pp}.type`,
        "'input_file' parts are not supported by this gateway; send the file's text as input_text.",
      );
    throw invalidValue(`${pp}.type`, `'${String(p.type)}' is not one of input_text, input_image.`);
  });
  // One text part is a plain string for chat: every provider adapter accepts that.
  return parts.length === 1 && parts[0].type === 'text' ? (parts[0].text as string) : parts;
}

/** An assistant message's text (output_text and refusal parts). */
function assistantText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalidType(param, 'a string or an array of content parts');
  return content
    .map((p: unknown, i) => {
      if (!isObject(p)) throw invalidType(`${param}[${i}]`, 'an object');
      if ((p.type === 'output_text' || p.type === 'input_text' || p.type === 'text') && typeof p.text === 'string')
        return p.text;
      if (p.type === 'refusal' && typeof p.refusal === 'string') return p.refusal;
      throw invalidValue(`${param}[${i}].type`, `'${String(p.type)}' is not one of output_text, refusal.`);
    })
    .join('');
}

/** Output text of a function_call_output (a string, or input_text parts). */
function outputText(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output
      .map((p: unknown, i) => {
        if (isObject(p) && p.type === 'input_text' && typeof p.text === 'string') return p.text;
        throw invalidValue(`${param}[${i}].type`, "only 'input_text' parts are supported in a function call output.");
      })
      .join('');
  }
  throw invalidType(param, 'a string');
}

/**
 * The request's input items in chat messages, and the items as stored (each with an id, as OpenAI
 * lists them under input_items). Consecutive function calls (and an assistant message before them)
 * become one assistant message with several tool_calls, as chat expects.
 */
export function inputToMessages(input: unknown): { messages: Json[]; items: Json[] } {
  if (input === undefined || input === null) throw missing('input');
  if (typeof input === 'string') {
    return {
      messages: [{ role: 'user', content: input }],
      items: [
        {
          id: newId('msg'),
          type: 'message',
          role: 'user',
          status: 'completed',
          content: [{ type: 'input_text', text: input }],
        },
      ],
    };
  }
  if (!Array.isArray(input)) throw invalidType('input', 'a string or an array of input items');
  const messages: Json[] = [];
  const items: Json[] = [];
  // The assistant message function calls join (reset by anything else in between).
  let open: Json | undefined;
  input.forEach((it: unknown, i) => {
    const p = `input[${i}]`;
    if (!isObject(it)) throw invalidType(p, 'an object');
    const type = it.type ?? 'message';
    if (type === 'message') {
      const role = it.role;
      if (role === 'user' || role === 'system' || role === 'developer') {
        // Developer instructions are system messages for every other provider.
        messages.push({ role: role === 'user' ? 'user' : 'system', content: inputContent(it.content, `${p}.content`) });
        open = undefined;
        items.push({
          id: typeof it.id === 'string' ? it.id : newId('msg'),
          type: 'message',
          role,
          status: 'completed',
          content: typeof it.content === 'string' ? [{ type: 'input_text', text: it.content }] : it.content,
        });
      } else if (role === 'assistant') {
        open = { role: 'assistant', content: assistantText(it.content, `${p}.content`) };
        messages.push(open);
        items.push({
          id: typeof it.id === 'string' ? it.id : newId('msg'),
          type: 'message',
          role,
          status: 'completed',
          content:
            typeof it.content === 'string' ? [{ type: 'output_text', text: it.content, annotations: [] }] : it.content,
        });
      } else if (role === undefined) throw missing(`${p}.role`);
      else throw invalidValue(`${p}.role`, `'${String(role)}' is not one of user, assistant, system, developer.`);
    } else if (type === 'function_call') {
      if (typeof it.call_id !== 'string' || it.call_id === '') throw missing(`${p}.call_id`);
      if (typeof it.name !== 'string' || it.name === '') throw missing(`${p}.name`);
      if (typeof it.arguments !== 'string') throw invalidType(`${p}.arguments`, 'a string (the JSON arguments)');
      if (!open) {
        open = { role: 'assistant', content: null };
        messages.push(open);
      }
      ((open.tool_calls ??= []) as Json[]).push({
        id: it.call_id,
        type: 'function',
        function: { name: it.name, arguments: it.arguments },
      });
      items.push({
        id: typeof it.id === 'string' ? it.id : newId('fc'),
        type: 'function_call',
        status: 'completed',
        call_id: it.call_id,
        name: it.name,
        arguments: it.arguments,
      });
    } else if (type === 'function_call_output') {
      if (typeof it.call_id !== 'string' || it.call_id === '') throw missing(`${p}.call_id`);
      if (it.output === undefined || it.output === null) throw missing(`${p}.output`);
      messages.push({ role: 'tool', tool_call_id: it.call_id, content: outputText(it.output, `${p}.output`) });
      open = undefined;
      items.push({
        id: typeof it.id === 'string' ? it.id : newId('fco'),
        type: 'function_call_output',
        status: 'completed',
        call_id: it.call_id,
        output: it.output,
      });
    } else if (type === 'reasoning') {
      // Earlier reasoning is the model's own scratchpad, encrypted for OpenAI: not part of a chat conversation.
    } else if (type === 'item_reference') {
      throw invalidValue(
        `${p}.type`,
        'item references are not supported; send the item itself, or continue with previous_response_id.',
      );
    } else
      throw invalidValue(
        `${p}.type`,
        `'${String(type)}' input items are not supported (message, function_call, function_call_output are).`,
      );
  });
  if (messages.length === 0)
    throw invalidValue('input', 'no message to answer: the input needs at least one message or function call output.');
  return { messages, items };
}

/** Function tools in chat's format; built-in tools are refused. */
function chatTools(tools: unknown): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw invalidType('tools', 'an array');
  return tools.map((t: unknown, i) => {
    const p = `tools[${i}]`;
    if (!isObject(t)) throw invalidType(p, 'an object');
    if (t.type !== 'function') {
      if (typeof t.type === 'string' && BUILT_IN_TOOLS.has(t.type))
        throw invalidValue(
          `${p}.type`,
          `the built-in tool '${t.type}' is not available through this gateway: only function tools are (define it as a function tool your code runs).`,
        );
      throw invalidValue(`${p}.type`, `'${String(t.type)}' is not a supported tool type (only 'function' is).`);
    }
    if (typeof t.name !== 'string' || t.name === '') throw missing(`${p}.name`);
    const fn: Json = {
      name: t.name,
      parameters: isObject(t.parameters) ? t.parameters : { type: 'object', properties: {} },
    };
    if (typeof t.description === 'string') fn.description = t.description;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(tc: unknown): unknown {
  if (tc === undefined || tc === null) return undefined;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return tc;
  if (isObject(tc) && tc.type === 'function') {
    if (typeof tc.name !== 'string' || tc.name === '') throw missing('tool_choice.name');
    return { type: 'function', function: { name: tc.name } };
  }
  if (isObject(tc))
    throw invalidValue(
      'tool_choice.type',
      `'${String(tc.type)}' is not supported (auto, none, required or a function are).`,
    );
  throw invalidValue('tool_choice', `'${String(tc)}' is not one of auto, none, required or {type: 'function', name}.`);
}

/** text.format → chat's response_format. */
function responseFormat(text: unknown): Json | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) throw invalidType('text', 'an object');
  const f = text.format;
  if (f === undefined || f === null) return undefined;
  if (!isObject(f)) throw invalidType('text.format', 'an object');
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type === 'json_schema') {
    if (typeof f.name !== 'string' || f.name === '') throw missing('text.format.name');
    if (!isObject(f.schema)) throw missing('text.format.schema');
    const schema: Json = { name: f.name, schema: f.schema };
    if (typeof f.description === 'string') schema.description = f.description;
    if (typeof f.strict === 'boolean') schema.strict = f.strict;
    return { type: 'json_schema', json_schema: schema };
  }
  throw invalidValue('text.format.type', `'${String(f.type)}' is not one of text, json_object, json_schema.`);
}

/** Metadata as OpenAI allows it: at most 16 string values, keys ≤ 64 and values ≤ 512 characters. */
function metadataOf(meta: unknown): Record<string, string> {
  if (meta === undefined || meta === null) return {};
  if (!isObject(meta)) throw invalidType('metadata', 'an object');
  const entries = Object.entries(meta);
  if (entries.length > 16) throw invalidValue('metadata', `at most 16 keys, got ${entries.length}.`);
  for (const [k, v] of entries) {
    if (k.length > 64) throw invalidValue('metadata', `key '${k.slice(0, 20)}…' is longer than 64 characters.`);
    if (typeof v !== 'string') throw invalidType(`metadata.${k}`, 'a string');
    if (v.length > 512) throw invalidValue(`metadata.${k}`, 'longer than 512 characters.');
  }
  return meta as Record<string, string>;
}

/** What the answer echoes of the request, and what storing it needs. */
export interface ResponsesRequest {
  model: string;
  stream: boolean;
  store: boolean;
  instructions: string | null;
  previousResponseId: string | null;
  metadata: Record<string, string>;
  /** This request's input items, as stored and listed. */
  inputItems: Json[];
  /** This request's input as chat messages (appended to the stored conversation). */
  inputMessages: Json[];
  /** The fields a Response object echoes (tools, tool_choice, temperature, text, …). */
  echo: Json;
  /** The chat completion request to run, without the earlier conversation. */
  chat: Json;
}

/**
 * Validates a Responses request and builds the chat request it means (without the earlier
 * conversation: `withConversation` adds it once the previous response is loaded).
 */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (!isObject(body))
    throw CoreErrors.create('invalid_request', 'The request body must be a JSON object.', { param: null });
  if (body.model === undefined || body.model === null || body.model === '') throw missing('model');
  if (typeof body.model !== 'string') throw invalidType('model', 'a string');
  for (const [field, why] of Object.entries(REFUSED_FIELDS)) {
    if (body[field] !== undefined && body[field] !== null && body[field] !== false)
      throw invalidValue(field, `${why}.`);
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean')
    throw invalidType('stream', 'a boolean');
  if (body.store !== undefined && body.store !== null && typeof body.store !== 'boolean')
    throw invalidType('store', 'a boolean');
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string')
    throw invalidType('instructions', 'a string');
  const prev = body.previous_response_id;
  if (prev !== undefined && prev !== null && (typeof prev !== 'string' || prev === ''))
    throw invalidType('previous_response_id', 'a response id');
  const temperature = optionalNumber(body, 'temperature', 0, 2);
  const topP = optionalNumber(body, 'top_p', 0, 1);
  const maxOutput = optionalNumber(body, 'max_output_tokens', 16, Number.MAX_SAFE_INTEGER, true);
  if (
    body.parallel_tool_calls !== undefined &&
    body.parallel_tool_calls !== null &&
    typeof body.parallel_tool_calls !== 'boolean'
  )
    throw invalidType('parallel_tool_calls', 'a boolean');
  if (
    body.truncation !== undefined &&
    body.truncation !== null &&
    body.truncation !== 'auto' &&
    body.truncation !== 'disabled'
  )
    throw invalidValue('truncation', `'${String(body.truncation)}' is not one of auto, disabled.`);
  const reasoning = body.reasoning;
  if (reasoning !== undefined && reasoning !== null && !isObject(reasoning))
    throw invalidType('reasoning', 'an object');

  const { messages, items } = inputToMessages(body.input);
  const tools = chatTools(body.tools);
  const toolChoice = chatToolChoice(body.tool_choice);
  const format = responseFormat(body.text);
  const metadata = metadataOf(body.metadata);
  const user =
    typeof body.safety_identifier === 'string'
      ? body.safety_identifier
      : typeof body.user === 'string'
        ? body.user
        : undefined;

  const chat: Json = { model: body.model, messages };
  if (temperature !== undefined) chat.temperature = temperature;
  if (topP !== undefined) chat.top_p = topP;
  if (maxOutput !== undefined) chat.max_completion_tokens = maxOutput;
  if (tools?.length) chat.tools = tools;
  if (toolChoice !== undefined) chat.tool_choice = toolChoice;
  if (typeof body.parallel_tool_calls === 'boolean' && tools?.length)
    chat.parallel_tool_calls = body.parallel_tool_calls;
  if (format) chat.response_format = format;
  if (isObject(reasoning) && typeof reasoning.effort === 'string') chat.reasoning_effort = reasoning.effort;
  if (user !== undefined) chat.user = user;
  const stream = body.stream === true;
  if (stream) {
    chat.stream = true;
    // The usage chunk becomes response.completed's usage.
    chat.stream_options = { include_usage: true };
  }

  const echo: Json = {
    max_output_tokens: maxOutput ?? null,
    parallel_tool_calls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : true,
    reasoning: {
      effort: isObject(reasoning) && typeof reasoning.effort === 'string' ? reasoning.effort : null,
      summary: null,
    },
    temperature: temperature ?? 1,
    text: { format: isObject(body.text) && isObject(body.text.format) ? body.text.format : { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools)
      ? body.tools.map((t: Json) => ({ strict: true, parameters: null, description: null, ...t }))
      : [],
    top_p: topP ?? 1,
    truncation: body.truncation ?? 'disabled',
    user: typeof body.user === 'string' ? body.user : null,
  };
  return {
    model: body.model,
    stream,
    store: body.store !== false,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    previousResponseId: typeof prev === 'string' ? prev : null,
    metadata,
    inputItems: items,
    inputMessages: messages,
    echo,
    chat,
  };
}

/**
 * The chat messages to send: the instructions (this request's only: a follow-up does not inherit
 * the previous instructions), the stored conversation, then this request's input.
 */
export function withConversation(req: ResponsesRequest, conversation: Json[]): Json {
  const messages: Json[] = [];
  if (req.instructions) messages.push({ role: 'system', content: req.instructions });
  messages.push(...conversation, ...req.inputMessages);
  return { ...req.chat, messages };
}
