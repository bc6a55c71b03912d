import type { RawUsage } from '../../types';
import { lastObject } from '../scan';
import { usageFrom } from './stream';

/**
 * The usage of a complete OpenAI-style answer, exactly as `usageFrom(lastObject(text, 'usage'))`
 * reads it (the last `"usage":` object, JSON semantics), without JSON.parse in the usual case.
 *
 * Why: that parse (slice, brace matching, JSON.parse of ~150 bytes, then the field reads) was
 * ~1.4 µs of every proxied chat call. OpenAI's usage object is integers at the top level and in
 * `prompt_tokens_details` / `completion_tokens_details`; such an object is read here in one pass.
 * Anything else (a float such as Groq's `queue_time`, a string, an array, a key with an escape, a
 * malformed number, deeper nesting) goes the JSON.parse way, so the answer never differs from it
 * (a differential test holds the two together).
 */
export function answerUsage(text: string): RawUsage | undefined {
  const at = text.lastIndexOf('"usage":');
  if (at === -1) return undefined;
  // Spaces only, as lastObject skips them.
  let i = at + 8;
  while (text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i) !== 123 /* { */) return undefined;
  const fast = readUsageObject(text, i);
  return fast === SLOW ? usageFrom(lastObject(text, 'usage')) : fast;
}

/** Returned when the object is not of the simple shape: the caller takes the JSON.parse way. */
const SLOW = null;

/** What JSON.parse would leave in the fields usageFrom reads (undefined: absent or not a number). */
interface Read {
  prompt: number | undefined;
  completion: number | undefined;
  cacheHit: number | undefined;
  cached: number | undefined;
  reasoning: number | undefined;
}

function skipSpace(s: string, i: number): number {
  let c = s.charCodeAt(i);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = s.charCodeAt(++i);
  return i;
}

/** End of the value read by readValue (a module variable: no result object per value). */
let valueEnd = 0;

/**
 * A JSON integer (`-?(0|[1-9][0-9]*)`, at most 15 digits so it is exact in a double) or `null`
 * (returned as undefined) at s[i]; NaN for anything else. Sets valueEnd.
 */
function readValue(s: string, i: number): number | undefined {
  let c = s.charCodeAt(i);
  if (c === 110 /* n */) {
    if (s.startsWith('null', i)) {
      valueEnd = i + 4;
      return undefined;
    }
    return NaN;
  }
  const negative = c === 45; /* - */
  if (negative) c = s.charCodeAt(++i);
  if (!(c >= 48 && c <= 57)) return NaN; // also past the end (NaN)
  const start = i;
  let n = 0;
  while (c >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    c = s.charCodeAt(++i);
  }
  const digits = i - start;
  // A leading zero, a fraction or an exponent, or too many digits: JSON.parse's to judge.
  if ((digits > 1 && s.charCodeAt(start) === 48) || digits > 15 || c === 46 || c === 101 || c === 69) return NaN;
  valueEnd = i;
  return negative ? -n : n;
}

/** End of the key read by keyAt (after its closing quote). */
let keyEnd = 0;

/** The key string at s[i] (`"…"`), or undefined when it has an escape or a control character. */
function keyAt(s: string, i: number): string | undefined {
  if (s.charCodeAt(i) !== 34 /* " */) return undefined;
  let j = i + 1;
  for (let c = s.charCodeAt(j); c !== 34; c = s.charCodeAt(++j))
    if (c === 92 /* \ */ || c < 32 || c !== c) return undefined;
  keyEnd = j + 1;
  return s.slice(i + 1, j);
}

/**
 * Reads the object at s[i] (`{`). `nested` is the details object being read ('prompt' or
 * 'completion'), or undefined at the top level. Returns the end index, or -1 for SLOW.
 */
function readObject(s: string, i: number, read: Read, nested: 'prompt' | 'completion' | undefined): number {
  i = skipSpace(s, i + 1);
  if (s.charCodeAt(i) === 125 /* } */) return i + 1;
  for (;;) {
    const key = keyAt(s, i);
    if (key === undefined) return -1;
    i = skipSpace(s, keyEnd);
    if (s.charCodeAt(i) !== 58 /* : */) return -1;
    i = skipSpace(s, i + 1);
    if (nested === undefined && (key === 'prompt_tokens_details' || key === 'completion_tokens_details')) {
      const prompt = key === 'prompt_tokens_details';
      // JSON.parse keeps the last of duplicate keys, so each occurrence replaces what an earlier one said.
      if (prompt) read.cached = undefined;
      else read.reasoning = undefined;
      if (s.charCodeAt(i) === 123) {
        i = readObject(s, i, read, prompt ? 'prompt' : 'completion');
        if (i === -1) return -1;
      } else if (s.startsWith('null', i)) i += 4;
      else return -1;
    } else {
      const v = readValue(s, i);
      if (v !== v) return -1; // NaN
      i = valueEnd;
      if (nested === undefined) {
        if (key === 'prompt_tokens') read.prompt = v;
        else if (key === 'completion_tokens') read.completion = v;
        else if (key === 'prompt_cache_hit_tokens') read.cacheHit = v;
      } else if (nested === 'prompt') {
        if (key === 'cached_tokens') read.cached = v;
      } else if (key === 'reasoning_tokens') read.reasoning = v;
    }
    i = skipSpace(s, i);
    const c = s.charCodeAt(i);
    if (c === 125) return i + 1;
    if (c !== 44 /* , */) return -1;
    i = skipSpace(s, i + 1);
  }
}

/** The usage of the object at s[i] as usageFrom computes it, or SLOW. */
function readUsageObject(s: string, i: number): RawUsage | typeof SLOW {
  const read: Read = {
    prompt: undefined,
    completion: undefined,
    cacheHit: undefined,
    cached: undefined,
    reasoning: undefined,
  };
  if (readObject(s, i, read, undefined) === -1) return SLOW;
  const usage: RawUsage = {
    promptTokens: read.prompt ?? 0,
    completionTokens: read.completion ?? 0,
    cachedTokens: read.cached ?? read.cacheHit ?? 0,
  };
  if (read.reasoning !== undefined && read.reasoning > 0) usage.reasoningTokens = read.reasoning;
  return usage;
}
