/**
 * Token estimates for when a provider reports no usage (some OpenAI-compatible servers, a stream cut
 * or cancelled before its usage chunk). gpt-tokenizer's o200k_base encoder is built at the first
 * estimate, not at start: its tables cost ~20 MB of heap, and with providers that report usage
 * (OpenAI, Anthropic, Bedrock, streams with include_usage) a process never needs them. The estimate
 * that triggers the load (and any made during it) counts four characters as a token, as does every
 * estimate should the load fail; the record says `estimated` either way. count_tokens awaits the
 * load (see handlers/countTokens.ts).
 *
 * The ranks are read from the package's `data/o200k_base.tiktoken` (one `base64 rank` line per
 * token), not imported as its generated module (`bpeRanks/o200k_base.js`, 2.2 MB of array
 * literals). Compiling that module took ~37 MB of malloc at its peak (V8's parser zones for 200,000
 * string literals, their AST hash map, a string table grown for 200,000 internalized strings, the
 * source's UTF-8 decode), and glibc kept ~18 MB of it resident after it was freed: the gateway's RSS
 * after a load with cancelled calls stayed that much higher (docs/design.md, Hot path: memory). The
 * file is parsed a slice of lines per turn of the event loop, so requests are not held while it loads.
 */
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';

type Counter = (text: string) => number;
/** A rank's bytes: the string when they are UTF-8 (as gpt-tokenizer's generated tables hold them), else the bytes. */
export type Ranks = (string | number[])[];

/** Lines parsed per turn of the event loop (~10–20 ms of work each). */
const LINES_PER_TURN = 20_000;

let counter: Counter | undefined;
let loading: Promise<void> | undefined;

/**
 * Parses a tiktoken ranks file into gpt-tokenizer's rank table: index = rank, the token's string
 * when its bytes are UTF-8 that decodes back to the same bytes (no leading BOM, which a decoder
 * strips), else its bytes; missing ranks are ''. The same rule as the package's generated tables.
 */
export async function loadRanks(file: string): Promise<Ranks> {
  const text = await readFile(file, 'latin1'); // base64 and digits: ASCII
  const ranks: Ranks = [];
  let at = 0;
  while (at < text.length) {
    for (let n = 0; n < LINES_PER_TURN && at < text.length; n++) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      if (end === at) {
        at++;
        continue;
      }
      const space = text.indexOf(' ', at);
      const rank = space > at && space < end ? Number(text.slice(space + 1, end)) : NaN;
      if (!Number.isInteger(rank) || rank < ranks.length)
        throw new Error(`tokenizer ranks: malformed line at offset ${at} of ${file}`);
      const bytes = Buffer.from(text.slice(at, space), 'base64');
      while (ranks.length < rank) ranks.push('');
      const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
      ranks.push(isUtf8(bytes) && !bom ? bytes.toString('utf8') : Array.from(bytes));
      at = end + 1;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return ranks;
}

/** Loads the tokenizer once (asynchronously, off the request path); resolves when it is ready or has failed. */
export function loadTokenizer(): Promise<void> {
  loading ??= (async () => {
    const [{ GptEncoding }, ranks] = await Promise.all([
      import('gpt-tokenizer/GptEncoding'),
      loadRanks(require.resolve('gpt-tokenizer/data/o200k_base.tiktoken')),
    ]);
    const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks);
    // A special token's spelling in a prompt or an answer (`<|endoftext|>`) is text to the
    // upstream, and counted as text here: by default gpt-tokenizer throws on it, which failed the
    // call (500) and its usage record when the upstream reported no usage.
    const asText = { disallowedSpecial: new Set<string>() };
    counter = (text) => encoding.countTokens(text, asText);
  })().catch(() => {});
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
