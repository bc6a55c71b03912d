/**
 * Token estimates for when a provider reports no usage (some OpenAI-compatible servers, a stream cut
 * or cancelled before its usage chunk). gpt-tokenizer (o200k_base) is loaded at the first estimate,
 * not at start: its tables cost ~20 MB of heap and ~45 MB of RSS, and with providers that report
 * usage (OpenAI, Anthropic, Bedrock, streams with include_usage) a process never needs them. The
 * estimate that triggers the load (and any made during its ~200 ms) counts four characters as a
 * token, as does every estimate should the tokenizer fail to load; the record says `estimated`
 * either way. count_tokens awaits the load (see handlers/countTokens.ts).
 */
type Counter = (text: string) => number;

let counter: Counter | undefined;
let loading: Promise<void> | undefined;

/** Loads the tokenizer once (asynchronously, off the request path); resolves when it is ready or has failed. */
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
  if (counter) return counter(text);
  void loadTokenizer();
  return Math.ceil(text.length / 4);
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
