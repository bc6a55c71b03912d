import { StringDecoder } from 'node:string_decoder';
import { dataOf } from './openai/stream';

/**
 * Splits an SSE body into the data of complete events, across chunk boundaries: UTF-8 decoded as it
 * arrives, a BOM before the first event and any line ending (CRLF, LF, CR; CRLF split between two
 * chunks) handled, comments and data-less events skipped. For translators that parse every event
 * (the OpenAI pass-through scans bytes instead).
 */
export class SseEvents {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private atStart = true;
  private lastCR = false;

  /** The data of every event completed by this chunk. */
  push(chunk: Buffer): string[] {
    let text = this.decoder.write(chunk);
    if (this.atStart && text.length) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.atStart = false;
    }
    if (this.lastCR && text.charCodeAt(0) === 10) text = text.slice(1);
    if (text.length) this.lastCR = text.charCodeAt(text.length - 1) === 13;
    let s = this.pending + text;
    if (s.indexOf('\r') !== -1) s = s.replace(/\r\n?/g, '\n');
    const last = s.lastIndexOf('\n\n');
    if (last === -1) {
      this.pending = s;
      return [];
    }
    this.pending = s.slice(last + 2);
    const out: string[] = [];
    for (const evt of s.slice(0, last).split('\n\n')) {
      const data = dataOf(evt.replace(/^\n+/, ''));
      if (data !== undefined && data !== '') out.push(data);
    }
    return out;
  }

  /** The data of a last event that came without its blank line. */
  end(): string[] {
    const rest = (this.pending + this.decoder.end()).trim();
    this.pending = '';
    if (!rest) return [];
    const data = dataOf(rest);
    return data ? [data] : [];
  }
}
