/**
 * Token estimates for when a provider reports no usage (some OpenAI-compatible servers, a stream cut
 * or cancelled before its usage chunk). gpt-tokenizer (o200k_base) is loaded at plugin start
 * (~100 ms); should it fail to load, four characters count as a token.
 */
type Counter = (text: string) => number;

let counter: Counter | undefined;
let loading: Promise<void> | undefined;

export function loadTokenizer(): Promise<void> {
  loading ??= import('gpt-tokenizer').then(
    (m) => {
      counter = m.countTokens as Counter;
    },
    () => {},
  );
  return loading;
}

export function countTokens(text: string): number {
  if (!text) return 0;
  return counter ? counter(text) : Math.ceil(text.length / 4);
}

/** Per-message framing of the chat format, and the reply priming, as OpenAI documents them. */
const PER_MESSAGE = 4;
const REPLY_PRIMING = 3;
const IMAGE_TOKENS = 85;

function contentTokens(content: unknown): number {
  if (typeof content === 'string') return countTokens(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    const p = part as { type?: unknown; text?: unknown };
    if (typeof p?.text === 'string') n += countTokens(p.text);
    else if (p?.type === 'image_url') n += IMAGE_TOKENS;
  }
  return n;
}

/** Prompt tokens of a chat or embeddings request body. */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  if (Array.isArray(body.messages)) {
    let n = REPLY_PRIMING;
    for (const m of body.messages as { content?: unknown; tool_calls?: unknown; name?: unknown }[]) {
      n += PER_MESSAGE + contentTokens(m?.content);
      if (m?.tool_calls) n += countTokens(JSON.stringify(m.tool_calls));
    }
    if (body.tools) n += countTokens(JSON.stringify(body.tools));
    return n;
  }
  const input = body.input;
  if (typeof input === 'string') return countTokens(input);
  if (Array.isArray(input)) {
    let n = 0;
    for (const x of input) n += typeof x === 'string' ? countTokens(x) : Array.isArray(x) ? x.length : 1;
    return n;
  }
  return 0;
}
