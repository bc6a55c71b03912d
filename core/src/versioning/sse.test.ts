import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { downgradeSse } from './sse';

/** Marks each JSON event so the test sees which ones went through the downgrade. */
const mark = (e: unknown) => ({ ...(e as object), old: true });

async function streamed(chunks: string[]): Promise<string> {
  const out = downgradeSse(Readable.from(chunks.map((c) => Buffer.from(c))), mark) as Readable;
  let text = '';
  for await (const c of out) text += String(c);
  return text;
}

describe('SSE downgrade: event boundaries', () => {
  it('splits on every line end the SSE spec allows (LF, CRLF, lone CR), across chunk edges', async () => {
    const body = 'data: {"a":1}\r\rdata: {"a":2}\r\n\r\ndata: {"a":3}\n\ndata: [DONE]\n\n';
    const expected = [1, 2, 3].map((a) => `data: {"a":${a},"old":true}`);
    for (const chunks of [[body], body.split(''), [body.slice(0, 14), body.slice(14)]]) {
      const text = await streamed(chunks);
      for (const e of expected) assert.ok(text.includes(e), `${JSON.stringify(chunks.length)} chunks: ${text}`);
      assert.ok(text.endsWith('data: [DONE]\n\n'));
    }
  });

  it('a CR at a chunk edge that is half of CRLF does not end the event early', async () => {
    const text = await streamed(['data: {"a":1}\r\n\r', '\ndata: {"a":2}\n\n']);
    assert.equal(text, 'data: {"a":1,"old":true}\r\n\r\ndata: {"a":2,"old":true}\n\n');
  });

  it('a last event ended by CR CR at the end of a replayed body is downgraded too', () => {
    const out = downgradeSse(Buffer.from('data: {"a":1}\r\r'), mark) as Buffer;
    assert.equal(out.toString(), 'data: {"a":1,"old":true}\r\r');
  });
});
