/**
 * Deterministic content for the mock upstream. Every word is exactly one token in the cl100k and
 * o200k encodings, so a completion of N words is N tokens for the provider's usage report and for a
 * tokenizer estimate alike.
 */
export const WORDS = [
  'Hello',
  ' from',
  ' the',
  ' mock',
  ' upstream',
  ' server',
  ' this',
  ' is',
  ' a',
  ' deterministic',
  ' answer',
  ' with',
  ' one',
  ' token',
  ' per',
  ' word',
  ' and',
  ' it',
  ' keeps',
  ' going',
  ' until',
  ' done',
] as const;

/** JSON-escaped words, computed once: chunk building is string concatenation only. */
const ESCAPED = WORDS.map((w) => JSON.stringify(w));

/** The i-th word of a completion (the first word has no leading space). */
export function word(i: number): string {
  return i === 0 ? WORDS[0] : WORDS[1 + ((i - 1) % (WORDS.length - 1))];
}

export function escapedWord(i: number): string {
  return i === 0 ? ESCAPED[0] : ESCAPED[1 + ((i - 1) % (WORDS.length - 1))];
}

const cache = new Map<number, string>();

/** The whole completion text of `n` tokens (memoised: the benchmark asks for the same n every time). */
export function completionText(n: number): string {
  let s = cache.get(n);
  if (s === undefined) {
    s = '';
    for (let i = 0; i < n; i++) s += word(i);
    if (cache.size < 64) cache.set(n, s);
  }
  return s;
}

/**
 * Prompt tokens as the mock counts them: about four characters per token plus four per message of
 * chat framing. Cheap and deterministic; the gateway must report what the upstream reports.
 */
export function countPromptTokens(body: { messages?: unknown; input?: unknown; system?: unknown }): number {
  let chars = 0;
  let framing = 0;
  const visit = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) for (const x of v) visit(x);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.text === 'string') chars += o.text.length;
      else if (o.content !== undefined) visit(o.content);
    }
  };
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      framing += 4;
      visit((m as { content?: unknown })?.content);
    }
  }
  if (body.system !== undefined) {
    framing += 4;
    visit(body.system);
  }
  if (body.input !== undefined) visit(body.input);
  return Math.max(1, Math.ceil(chars / 4) + framing);
}

/** A deterministic unit-ish vector for an embedding input. */
export function embeddingVector(input: string, dimensions: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input.charCodeAt(i), 16777619);
  const out = new Array<number>(dimensions);
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) ^ i;
    out[i] = Math.round((((h >>> 0) / 4294967295) * 2 - 1) * 1e6) / 1e6;
  }
  return out;
}
