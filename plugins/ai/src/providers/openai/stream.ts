import { StreamEventError } from '../../engine/errors';
import type { RawUsage, StreamTranslator, UpstreamErrorBody } from '../../types';

/** UTF-8 byte order mark, as latin1 characters (chunks are decoded one char per byte). */
const BOM = '\xef\xbb\xbf';
const PLAIN_CHUNK_END = '"finish_reason":null}]}';
const PLAIN_CHUNK_END_WITH_USAGE = '"finish_reason":null}],"usage":null}';

/** Raw bytes kept for a token estimate when the provider reports no usage (bounded). */
const KEEP_BYTES = 1 << 20;

/**
 * OpenAI-compatible streams pass through byte for byte. The translator only finds event boundaries
 * (so incomplete events are held back) and scans each event with indexOf for what the gateway
 * needs: the first content token, `finish_reason`, the usage chunk (parsed, and dropped when the
 * client did not ask for it: the gateway injected `include_usage`), `[DONE]`, and error events.
 * Chunks are decoded as latin1 (one char per byte, no UTF-8 work) since every marker is ASCII.
 */
export class OpenAiStreamTranslator implements StreamTranslator {
  usage: RawUsage | undefined;
  done = false;
  firstTokenAt: number | undefined;
  responseModel: string | undefined;
  finishReason: string | undefined;
  streamError: UpstreamErrorBody | undefined;
  private pending = '';
  private forwarded = false;
  /** Nothing but (part of) a BOM has arrived yet. */
  private atStart = true;
  /** The last chunk ended with CR: a LF opening the next one completes that CRLF. */
  private lastCR = false;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;

  constructor(private readonly dropUsageChunk: boolean) {}

  push(chunk: Buffer): Buffer | string | null {
    if (this.keptBytes < KEEP_BYTES) {
      this.kept.push(chunk);
      this.keptBytes += chunk.length;
    }
    let s = chunk.toString('latin1');
    let same = this.pending.length === 0;
    if (this.atStart) {
      // The event-stream format allows a BOM before the first event; it is not part of that event
      // (which would otherwise go unscanned: its usage, model or error missed). It may be split.
      const head = this.pending + s;
      if (head.length < 3 && BOM.startsWith(head)) {
        this.pending = head;
        return null;
      }
      this.atStart = false;
      if (head.startsWith(BOM)) {
        s = head.slice(3);
        this.pending = '';
        same = false;
      }
    }
    // A CRLF split between two chunks is one line end, not two (which would end an event early).
    if (this.lastCR && s.charCodeAt(0) === 10) {
      s = s.slice(1);
      same = false;
    }
    this.lastCR = s.charCodeAt(s.length - 1) === 13;
    if (s.indexOf('\r') !== -1) {
      s = s.replace(/\r\n?/g, '\n');
      same = false;
    }
    if (this.pending.length) s = this.pending + s;
    const last = s.lastIndexOf('\n\n');
    if (last === -1) {
      this.pending = s;
      return null;
    }
    const boundary = last + 2;
    this.pending = boundary === s.length ? '' : s.slice(boundary);
    // Events are scanned one by one; the output is the input unless an event is dropped.
    let drops: number[] | undefined;
    let start = 0;
    while (start < boundary) {
      const end = s.indexOf('\n\n', start);
      if (!this.scanAt(s, start, end)) (drops ??= []).push(start, end + 2);
      start = end + 2;
    }
    this.forwarded = true;
    if (drops === undefined) return same && boundary === s.length ? chunk : Buffer.from(s.slice(0, boundary), 'latin1');
    // Byte offsets equal character offsets in latin1: cut the dropped events out of the bytes.
    const src = same ? chunk : Buffer.from(s.slice(0, boundary), 'latin1');
    const parts: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < drops.length; i += 2) {
      if (drops[i] > from) parts.push(src.subarray(from, drops[i]));
      from = drops[i + 1];
    }
    if (boundary > from) parts.push(src.subarray(from, boundary));
    if (parts.length === 0) return null;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  end(): Buffer | string | null {
    if (!this.pending) return null;
    // A last event without its blank line: scan and forward it complete.
    const evt = `${this.pending.replace(/\n+$/, '')}\n\n`;
    this.pending = '';
    return this.scanAt(evt, 0, evt.length - 2) ? Buffer.from(evt, 'latin1') : null;
  }

  /** Looks at the event s[start, end); returns false when it must not be forwarded. */
  private scanAt(s: string, start: number, end: number): boolean {
    // A slice is O(1) in V8 (it shares the parent's characters) and bounds every search to the event.
    const evt = s.slice(start, end);
    if (evt.startsWith('data: ')) return this.scanData(evt, 6);
    if (evt.startsWith('data:')) return this.scanData(evt, 5);
    // Comments, `event:` lines, multi-line data: the rare, general path.
    const data = dataOf(evt);
    return data === undefined ? true : this.scanData(data, 0);
  }

  /** The data payload evt[p…]. Markers that sit at the end of a chunk are looked for from the end. */
  private scanData(evt: string, p: number): boolean {
    const c = evt.charCodeAt(p);
    // Fast path for the bulk of a stream: a content chunk without finish reason or usage, once the
    // model and the first token are known. Recognised by how OpenAI ends such chunks.
    if (
      c === 123 /* { */ &&
      this.firstTokenAt !== undefined &&
      (evt.endsWith(PLAIN_CHUNK_END) || evt.endsWith(PLAIN_CHUNK_END_WITH_USAGE))
    )
      return true;
    if (c === 91 /* [ */) {
      if (evt.startsWith('[DONE]', p)) this.done = true;
      return true;
    }
    if (evt.startsWith('{"error"', p) || evt.startsWith('{"object":"error"', p)) {
      const body = parseError(evt.slice(p));
      if (!this.forwarded) throw new StreamEventError(body);
      this.streamError = body;
      return true;
    }
    if (this.responseModel === undefined) this.responseModel = stringAt(evt, '"model":"', p);
    if (this.firstTokenAt === undefined && hasToken(evt, p)) this.firstTokenAt = performance.now();
    const f = evt.lastIndexOf('"finish_reason":"');
    if (f !== -1) this.finishReason = stringAt(evt, '"finish_reason":"', f);
    const u = evt.lastIndexOf('"usage":{');
    if (u !== -1) {
      const usage = readUsage(evt, u);
      if (usage) this.usage = usage;
      // The usage-only chunk (choices: []) exists because the gateway asked for it.
      if (this.dropUsageChunk && evt.indexOf('"choices":[]', p) !== -1) return false;
    }
    return true;
  }

  completionText(): string {
    let text = '';
    // Any line ending an upstream may use (CRLF, LF or a lone CR) counts, as in push().
    const all = Buffer.concat(this.kept).toString('utf8').replace(/\r\n?/g, '\n');
    for (const evt of all.split('\n\n')) {
      const data = dataOf(evt.trim());
      if (!data || data.charCodeAt(0) !== 123) continue;
      try {
        const j = JSON.parse(data) as {
          choices?: { delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[];
        };
        for (const c of j.choices ?? []) {
          if (typeof c.delta?.content === 'string') text += c.delta.content;
          for (const t of c.delta?.tool_calls ?? [])
            if (typeof t.function?.arguments === 'string') text += t.function.arguments;
        }
      } catch {}
    }
    return text;
  }
}

/** The payload of an SSE event's data line(s); undefined for comments and data-less events. */
export function dataOf(evt: string): string | undefined {
  if (evt.startsWith('data: ') && evt.indexOf('\n') === -1) return evt.slice(6);
  let data: string | undefined;
  for (const line of evt.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? v : `${data}\n${v}`;
  }
  return data;
}

/** The string value after `marker`, searching from `from`. */
function stringAt(s: string, marker: string, from: number): string | undefined {
  const i = s.indexOf(marker, from);
  if (i === -1) return undefined;
  const v = i + marker.length;
  const q = s.indexOf('"', v);
  return q === -1 ? undefined : s.slice(v, q);
}

/** A content, tool-call or refusal delta that is not empty. */
function hasToken(s: string, p: number): boolean {
  const c = s.indexOf('"content":"', p);
  if (c !== -1 && s.charCodeAt(c + 11) !== 34) return true;
  if (s.indexOf('"tool_calls":[', p) !== -1) return true;
  const r = s.indexOf('"refusal":"', p);
  return r !== -1 && s.charCodeAt(r + 11) !== 34;
}

interface UsageJson {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  /** DeepSeek's name for cached prompt tokens. */
  prompt_cache_hit_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/**
 * A reported count: absent or null is 0 (the provider counted none); any other non-number is NaN,
 * which the usage recorder counts itself instead of billing it as 0.
 */
function count(v: unknown): number {
  return typeof v === 'number' ? v : v === undefined || v === null ? 0 : NaN;
}

/** Reads OpenAI usage fields (shared by streams and complete answers). */
export function usageFrom(u: UsageJson | null | undefined): RawUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const prompt = count(u.prompt_tokens);
  const completion = count(u.completion_tokens);
  const cached =
    typeof u.prompt_tokens_details?.cached_tokens === 'number'
      ? u.prompt_tokens_details.cached_tokens
      : typeof u.prompt_cache_hit_tokens === 'number'
        ? u.prompt_cache_hit_tokens
        : 0;
  const usage: RawUsage = { promptTokens: prompt, completionTokens: completion, cachedTokens: cached };
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) usage.reasoningTokens = reasoning;
  return usage;
}

/**
 * An integer field after `from`: undefined when absent, NaN when its value is not a plain
 * non-negative integer (`-5`, `4.6`, `1e999`, `"12"`), which the usage recorder then counts itself
 * rather than billing the leading digits.
 */
function intAt(s: string, key: string, from: number): number | undefined {
  const i = s.indexOf(key, from);
  if (i === -1) return undefined;
  let j = i + key.length;
  while (s.charCodeAt(j) === 32) j++;
  let n = 0;
  let digits = 0;
  let c = s.charCodeAt(j);
  for (; c >= 48 && c <= 57; c = s.charCodeAt(++j)) {
    n = n * 10 + (c - 48);
    digits++;
  }
  // What may follow a JSON number that ends here: a separator, the object's end, whitespace.
  return digits && (c === 44 || c === 125 || c === 32 || c === 10 || c === 13 || c === 9) ? n : NaN;
}

/** The usage object starting at s[u] (`"usage":{`), read field by field without JSON.parse. */
function readUsage(s: string, u: number): RawUsage | undefined {
  const prompt = intAt(s, '"prompt_tokens":', u);
  const completion = intAt(s, '"completion_tokens":', u);
  if (prompt === undefined && completion === undefined) return undefined;
  return {
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    cachedTokens: intAt(s, '"cached_tokens":', u) ?? intAt(s, '"prompt_cache_hit_tokens":', u) ?? 0,
  };
}

function parseError(data: string): UpstreamErrorBody {
  try {
    const e = (JSON.parse(data) as { error?: UpstreamErrorBody | string }).error;
    if (typeof e === 'string') return { message: e };
    return { message: e?.message, type: e?.type, code: e?.code ?? null, param: e?.param ?? null };
  } catch {
    return { message: 'the provider sent an unreadable error event' };
  }
}
