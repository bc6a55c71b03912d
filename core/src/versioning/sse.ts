import { Readable, Transform, pipeline, type TransformCallback } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { StringDecoder } from 'node:string_decoder';

/** The parsed `data:` JSON of one event → the event to send, or null to drop it. */
export type EventDowngrade = (event: unknown) => unknown;

/**
 * An event ends with a blank line: two line ends in a row, each `\r\n`, `\n` or a lone `\r` (the SSE
 * spec allows all three). A `\r` at the very end of a chunk may be the first half of `\r\n`: it is
 * only taken as a line end once the next character is known.
 */
const EVENT_END = /(?:\r\n|\n|\r(?=[^\n]))(?:\r\n|\n|\r(?=[^\n]))/;
/** The same at the end of the body, where a trailing `\r` is a line end. */
const EVENT_END_FINAL = /(?:\r\n|\n|\r(?!\n))(?:\r\n|\n|\r(?!\n))/;
const LINE_END = /\r\n|\n|\r/;

/**
 * One complete event (its terminator included) rewritten: the `data:` lines are parsed as one JSON
 * value, downgraded, and written back as a single `data:` line where the first one was; `event:`,
 * `id:` and comment lines stay. Data that is not JSON (`[DONE]`) passes untouched.
 */
export function downgradeEventText(text: string, terminator: string, downgrade: EventDowngrade): string {
  const lines = text.split(LINE_END);
  let data: string | undefined;
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
    if (first === -1) first = i;
  }
  if (data === undefined) return text + terminator;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return text + terminator;
  }
  const out = downgrade(parsed);
  if (out === null) return '';
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (i === first) kept.push(`data: ${JSON.stringify(out)}`);
    else if (!lines[i].startsWith('data:')) kept.push(lines[i]);
  }
  return kept.join('\n') + terminator;
}

/** Every complete event of `text` rewritten; what follows the last blank line is returned as `rest`. */
function downgradeEvents(text: string, downgrade: EventDowngrade, final = false): { out: string; rest: string } {
  const end = final ? EVENT_END_FINAL : EVENT_END;
  let out = '';
  let rest = text;
  for (let m = end.exec(rest); m !== null; m = end.exec(rest)) {
    out += downgradeEventText(rest.slice(0, m.index), m[0], downgrade);
    rest = rest.slice(m.index + m[0].length);
  }
  return { out, rest };
}

/** Rewrites a stream's events as they arrive; a partial event waits for its end. */
class EventDowngradeStream extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly downgrade: EventDowngrade) {
    super();
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      const { out, rest } = downgradeEvents(
        this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk)),
        this.downgrade,
      );
      this.pending = rest;
      cb(null, out.length > 0 ? out : undefined);
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    // An unterminated last event is passed on as the upstream sent it.
    try {
      const { out, rest } = downgradeEvents(this.pending + this.decoder.end(), this.downgrade, true);
      const tail = out + rest;
      cb(null, tail.length > 0 ? tail : undefined);
    } catch (err) {
      cb(err as Error);
    }
  }
}

/**
 * An SSE body with each event downgraded: a Buffer (a cache hit's replay) is rewritten at once, a
 * stream through a transform that ends (and ends its source) with the response.
 */
export function downgradeSse(
  body: Buffer | Readable | WebReadableStream,
  downgrade: EventDowngrade,
): Buffer | Readable {
  if (Buffer.isBuffer(body)) {
    const { out, rest } = downgradeEvents(body.toString('utf8'), downgrade, true);
    return Buffer.from(out + rest);
  }
  const source = body instanceof WebReadableStream ? Readable.fromWeb(body) : body;
  const out = new EventDowngradeStream(downgrade);
  // pipeline: a failing source errors the output, a closed output (the client left) destroys the source.
  pipeline(source, out, () => {});
  return out;
}
