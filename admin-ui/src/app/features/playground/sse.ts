/**
 * An incremental Server-Sent Events parser (the subset OpenAI-style streams use): feed it decoded
 * text as it arrives, in chunks cut anywhere (mid-line, mid-CRLF), and it returns the `data` of every
 * event completed so far. Multi-line `data:` fields join with "\n"; comments (`: keep-alive`) and
 * other fields are skipped; an event without data is dropped, per the WHATWG spec.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  /** A "\r" ended the last chunk: a "\n" opening the next one belongs to the same line break. */
  private pendingCr = false;

  feed(chunk: string): string[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = text.endsWith('\r');
    this.buffer += text;
    const events: string[] = [];
    const lines = this.buffer.split(/\r\n|\r|\n/);
    // The last piece has no line end yet (or is '' after one): keep it for the next chunk.
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line, events);
    return events;
  }

  /** The end of the stream: a final event without its blank line still counts. */
  end(): string[] {
    const events: string[] = [];
    if (this.buffer) this.line(this.buffer, events);
    this.buffer = '';
    this.line('', events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
  }
}

/** What the playground shows of one chat completion chunk. */
export interface ChunkView {
  text: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  error: string | null;
}

/**
 * Reads one event's data: the delta text, the usage (last chunk with `include_usage`), or the error
 * of an error event. `[DONE]` and unparseable data read as nothing.
 */
export function readChunk(data: string): ChunkView {
  const none: ChunkView = { text: '', usage: null, error: null };
  if (data === '[DONE]') return none;
  let body: {
    choices?: { delta?: { content?: unknown } }[];
    usage?: ChunkView['usage'];
    error?: { message?: unknown };
  };
  try {
    body = JSON.parse(data);
  } catch {
    return none;
  }
  if (body.error)
    return {
      ...none,
      error: typeof body.error.message === 'string' ? body.error.message : 'The stream reported an error.',
    };
  const text = (body.choices ?? []).map((c) => (typeof c.delta?.content === 'string' ? c.delta.content : '')).join('');
  return { text, usage: body.usage ?? null, error: null };
}
