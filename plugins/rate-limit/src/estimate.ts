/**
 * Token estimate of a request before it reaches the provider: UTF-8 bytes / bytesPerToken for the
 * prompt, plus the completion tokens the request may produce (max_completion_tokens, max_tokens,
 * max_output_tokens or a configured default, × n). Bytes rather than characters because CJK text has about one token per
 * character (three bytes), English about one per four bytes; `Buffer.byteLength` is native and costs
 * well under a microsecond per KB, where a real tokenizer costs ~100 µs per KB (measured in README
 * "Token estimate"). The estimate is reconciled with the provider's usage after the call anyway.
 */

/** Per-message framing tokens of the chat format (role, separators), as OpenAI documents it. */
const PER_MESSAGE = 4;
/** Tokens that prime the assistant's reply. */
const REPLY_PRIMING = 3;
/** An image part counted as a low-detail image (the provider's usage corrects it afterwards). */
const IMAGE_TOKENS = 85;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function textLength(content: unknown): number {
  if (typeof content === 'string') return bytes(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (typeof part === 'string') n += bytes(part);
    else if (part && typeof part === 'object') n += partLength(part as Record<string, unknown>);
  }
  return n;
}

/**
 * One content part of any of the three formats: chat (`text`, `image_url`), Anthropic Messages
 * (`text`, `image`, `tool_use` with an `input` object, `tool_result` with nested content) and
 * Responses (`input_text`/`output_text`, `input_image`).
 */
function partLength(p: Record<string, unknown>): number {
  if (typeof p.text === 'string') return bytes(p.text);
  switch (p.type) {
    case 'image_url':
    case 'image':
    case 'input_image':
      return IMAGE_TOKENS * 4;
    case 'tool_use':
      return (
        (typeof p.name === 'string' ? bytes(p.name) : 0) + (p.input !== undefined ? bytes(JSON.stringify(p.input)) : 0)
      );
    case 'tool_result':
      return textLength(p.content);
    default:
      return 0;
  }
}

/**
 * Bytes of a Responses API `input` item list: messages (string or part content), function calls
 * (name + arguments), their outputs, and any other item's text fields.
 */
function responsesItemsLength(items: unknown[]): number {
  let n = 0;
  for (const item of items) {
    if (typeof item === 'string') n += bytes(item);
    if (!item || typeof item !== 'object') continue;
    const it = item as { content?: unknown; name?: unknown; arguments?: unknown; output?: unknown; text?: unknown };
    if (it.content !== undefined) n += textLength(it.content);
    if (typeof it.name === 'string') n += bytes(it.name);
    if (typeof it.arguments === 'string') n += bytes(it.arguments);
    if (typeof it.output === 'string') n += bytes(it.output);
    else if (Array.isArray(it.output)) n += textLength(it.output);
    if (typeof it.text === 'string') n += bytes(it.text);
  }
  return n;
}

/** Per-item framing of a Responses input list (each message item is framed like a chat message). */
function responsesFraming(input: unknown): number {
  return Array.isArray(input) ? REPLY_PRIMING + PER_MESSAGE * input.length : REPLY_PRIMING + PER_MESSAGE;
}

/** Bytes of an embeddings/completions input: strings count UTF-8 bytes, token arrays tokens × 4. */
function inputLength(input: unknown): number {
  if (typeof input === 'string') return bytes(input);
  if (!Array.isArray(input)) return 0;
  let n = 0;
  for (const item of input) {
    if (typeof item === 'string') n += bytes(item);
    else if (typeof item === 'number') n += 4;
    else if (Array.isArray(item)) n += item.length * 4;
  }
  return n;
}

function toolCallsLength(calls: unknown): number {
  if (!Array.isArray(calls)) return 0;
  let n = 0;
  for (const call of calls) {
    const fn = (call as { function?: { name?: unknown; arguments?: unknown } } | null)?.function;
    if (typeof fn?.name === 'string') n += bytes(fn.name);
    if (typeof fn?.arguments === 'string') n += bytes(fn.arguments);
  }
  return n;
}

/** True for a `/v1/responses` route path (under any mount prefix). */
export function isResponsesPath(path: string | undefined): boolean {
  return path !== undefined && path.endsWith('/responses');
}

/**
 * Estimated prompt tokens of a chat, Anthropic Messages, Responses, completions or embeddings
 * request body. `path` tells a Responses `input` (items, instructions) from an embeddings `input`.
 */
export function estimatePromptTokens(body: unknown, bytesPerToken: number, path?: string): number {
  if (!body || typeof body !== 'object') return 0;
  const b = body as {
    messages?: unknown;
    prompt?: unknown;
    input?: unknown;
    tools?: unknown;
    functions?: unknown;
    system?: unknown;
    instructions?: unknown;
  };
  let chars = 0; // UTF-8 bytes
  let framing = 0;
  if (Array.isArray(b.messages)) {
    framing = REPLY_PRIMING + PER_MESSAGE * b.messages.length;
    for (const m of b.messages) {
      if (!m || typeof m !== 'object') continue;
      const msg = m as { content?: unknown; name?: unknown; tool_calls?: unknown };
      chars += textLength(msg.content);
      if (typeof msg.name === 'string') chars += msg.name.length;
      if (msg.tool_calls !== undefined) chars += toolCallsLength(msg.tool_calls);
    }
    // Anthropic Messages: the system prompt is a top-level string or list of text blocks.
    if (b.system !== undefined) {
      chars += textLength(b.system);
      framing += PER_MESSAGE;
    }
  } else if (b.prompt !== undefined) {
    chars = inputLength(b.prompt);
  } else if (isResponsesPath(path)) {
    chars = typeof b.input === 'string' ? bytes(b.input) : Array.isArray(b.input) ? responsesItemsLength(b.input) : 0;
    if (typeof b.instructions === 'string') chars += bytes(b.instructions);
    framing = responsesFraming(b.input) + (typeof b.instructions === 'string' ? PER_MESSAGE : 0);
  } else if (b.input !== undefined) {
    chars = inputLength(b.input);
  }
  // Tool schemas are sent to the model as text; their JSON length is a fair proxy.
  if (Array.isArray(b.tools) && b.tools.length) chars += JSON.stringify(b.tools).length;
  if (Array.isArray(b.functions) && b.functions.length) chars += JSON.stringify(b.functions).length;
  return Math.ceil(chars / bytesPerToken) + framing;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/**
 * Completion tokens to reserve: the request's cap (max_completion_tokens, max_tokens, or for the
 * Responses API max_output_tokens) × n, the default when it sets none, 0 for embeddings.
 */
export function completionReserve(body: unknown, defaultCompletionTokens: number, path?: string): number {
  if (!body || typeof body !== 'object') return 0;
  const b = body as {
    messages?: unknown;
    prompt?: unknown;
    max_tokens?: unknown;
    max_completion_tokens?: unknown;
    max_output_tokens?: unknown;
    n?: unknown;
  };
  if (isResponsesPath(path)) return positiveInt(b.max_output_tokens) ?? defaultCompletionTokens;
  if (b.messages === undefined && b.prompt === undefined) return 0;
  const cap = positiveInt(b.max_completion_tokens) ?? positiveInt(b.max_tokens) ?? defaultCompletionTokens;
  const n = positiveInt(b.n) ?? 1;
  return cap * Math.min(n, 128);
}

/** Tokens to reserve for a request: estimated prompt + possible completion. `path` is the route's path. */
export function estimateRequestTokens(
  body: unknown,
  bytesPerToken: number,
  defaultCompletionTokens: number,
  path?: string,
): number {
  return estimatePromptTokens(body, bytesPerToken, path) + completionReserve(body, defaultCompletionTokens, path);
}
