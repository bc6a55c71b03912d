import { readChunk, SseParser } from './sse';

describe('SSE parsing of the playground stream', () => {
  it('returns events as they complete, across chunks cut anywhere', () => {
    const p = new SseParser();
    expect(p.feed('data: {"a"')).toEqual([]);
    expect(p.feed(':1}\n')).toEqual([]);
    expect(p.feed('\ndata: two\n\n')).toEqual(['{"a":1}', 'two']);
  });
  it('handles CRLF split between chunks, comments, multi-line data and no space after the colon', () => {
    const p = new SseParser();
    expect(p.feed(': keep-alive\r')).toEqual([]);
    expect(p.feed('\n\r\ndata:x\r\ndata: y\r')).toEqual([]);
    expect(p.feed('\n\r\n')).toEqual(['x\ny']);
  });
  it('gives every split of a stream the same events', () => {
    const stream =
      'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\ndata: {"choices":[{"delta":{"content":"lo"}}]}\r\n\r\ndata: [DONE]\n\n';
    const whole = new SseParser().feed(stream);
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new SseParser();
      expect([...p.feed(stream.slice(0, cut)), ...p.feed(stream.slice(cut)), ...p.end()]).toEqual(whole);
    }
    expect(whole.map((d) => readChunk(d).text).join('')).toBe('Hello');
  });
  it('keeps a last event that lacks its blank line', () => {
    const p = new SseParser();
    expect(p.feed('data: last')).toEqual([]);
    expect(p.end()).toEqual(['last']);
  });
  it('reads text, usage and errors of chunks', () => {
    expect(
      readChunk('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}').usage,
    ).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(readChunk('{"error":{"message":"upstream failed"}}').error).toBe('upstream failed');
    expect(readChunk('[DONE]')).toEqual({ text: '', usage: null, error: null });
    expect(readChunk('not json').text).toBe('');
  });
});
