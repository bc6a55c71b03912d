import { StreamEventError } from '../engine/errors';
import type { RawUsage, StreamTranslator, UpstreamErrorBody } from '../types';

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
    let out = '';
    let dropped = false;
    let start = 0;
    while (start < boundary) {
      const end = s.indexOf('\n\n', start);
      const evt = s.slice(start, end);
      if (this.scan(evt)) out += s.slice(start, end + 2);
      else dropped = true;
      start = end + 2;
    }
    if (same && !dropped && boundary === s.length) {
      this.forwarded = true;
      return chunk;
    }
    if (out.length === 0) return null;
    this.forwarded = true;
    return Buffer.from(out, 'latin1');
  }

  end(): Buffer | string | null {
    if (!this.pending) return null;
    // A last event without its blank line: scan and forward it complete.
    const evt = this.pending.replace(/\n+$/, '');
    this.pending = '';
    return this.scan(evt) ? Buffer.from(`${evt}\n\n`, 'latin1') : null;
  }

  /** Looks at one event; returns false when it must not be forwarded. */
  private scan(evt: string): boolean {
    const data = dataOf(evt);
    if (data === undefined) return true;
    if (data.charCodeAt(0) === 91 /* [ */) {
      if (data.startsWith('[DONE]')) this.done = true;
      return true;
    }
    if (data.startsWith('{"error"') || (data.indexOf('"error":{') !== -1 && data.indexOf('"choices"') === -1)) {
      const body = parseError(data);
      if (!this.forwarded) throw new StreamEventError(body);
      this.streamError = body;
      return true;
    }
    if (this.responseModel === undefined) this.responseModel = stringField(data, '"model":"');
    if (this.firstTokenAt === undefined && hasToken(data)) this.firstTokenAt = performance.now();
    if (data.indexOf('"finish_reason":"') !== -1) this.finishReason = stringField(data, '"finish_reason":"');
    if (data.indexOf('"usage":{') !== -1) {
      const u = readUsage(data);
      if (u) this.usage = u;
      // The usage-only chunk (choices: []) exists because the gateway asked for it.
      if (this.dropUsageChunk && data.indexOf('"choices":[]') !== -1) return false;
    }
    return true;
  }

  completionText(): string {
    let text = '';
    const all = Buffer.concat(this.kept).toString('utf8');
    for (const evt of all.split(/\r?\n\r?\n/)) {
      const data = dataOf(evt.trim());
      if (!data || data.charCodeAt(0) !== 123) continue;
      try {
        const j = JSON.parse(data) as { choices?: { delta?: { content?: unknown; tool_calls?: { function?: { arguments?: unknown } }[] } }[] };
        for (const c of j.choices ?? []) {
          if (typeof c.delta?.content === 'string') text += c.delta.content;
          for (const t of c.delta?.tool_calls ?? []) if (typeof t.function?.arguments === 'string') text += t.function.arguments;
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

function stringField(data: string, marker: string): string | undefined {
  const i = data.indexOf(marker);
  if (i === -1) return undefined;
  const from = i + marker.length;
  const to = data.indexOf('"', from);
  return to === -1 ? undefined : data.slice(from, to);
}

/** A content, tool-call or refusal delta that is not empty. */
function hasToken(data: string): boolean {
  const c = data.indexOf('"content":"');
  if (c !== -1 && data.charCodeAt(c + 11) !== 34) return true;
  if (data.indexOf('"tool_calls":[') !== -1) return true;
  const r = data.indexOf('"refusal":"');
  return r !== -1 && data.charCodeAt(r + 11) !== 34;
}

interface UsageJson {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** Reads OpenAI usage fields (shared by streams and complete answers). */
export function usageFrom(u: UsageJson | null | undefined): RawUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const prompt = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const completion = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  const cached = typeof u.prompt_tokens_details?.cached_tokens === 'number' ? u.prompt_tokens_details.cached_tokens : 0;
  return { promptTokens: prompt, completionTokens: completion, cachedTokens: cached };
}

function readUsage(data: string): RawUsage | undefined {
  try {
    return usageFrom((JSON.parse(data) as { usage?: UsageJson }).usage);
  } catch {
    return undefined;
  }
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
