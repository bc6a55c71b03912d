/**
 * Fuzzing the upstream SSE parsers (issue 13): the OpenAI pass-through and the Anthropic translator
 * get random streams — arbitrary chunk boundaries, LF / CRLF / CR line endings, a BOM, comments and
 * other fields, huge lines, invalid UTF-8 — and must reach the same result as for the whole input in
 * one piece (and as for the same events written with plain LF), never throw anything but the
 * StreamEventError of an upstream error event, and finish. The OpenAI pass-through must also forward
 * exactly the events a reference parser (the WHATWG event-stream rules) reads from the input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import fc from 'fast-check';
import { StreamEventError } from '../engine/errors';
import type { StreamTranslator } from '../types';
import { AnthropicStreamTranslator } from './anthropic/stream';
import { ConverseStreamTranslator } from './bedrock/stream';
import { GeminiStreamTranslator } from './gemini/stream';
import { OpenAiStreamTranslator } from './openai/stream';

const RUNS = Number(process.env.AIHUB_FUZZ_RUNS ?? 100);

interface SseEvent {
  event: string;
  data: string;
}

/** The WHATWG event-stream interpretation: BOM, CR/LF/CRLF, comments, `data` joined with LF, dispatch on a blank line. */
export function referenceParse(input: Buffer): SseEvent[] {
  let text = input.toString('latin1');
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  const events: SseEvent[] = [];
  let data: string[] = [];
  let event = '';
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length) events.push({ event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  }
  // A last event without its blank line is not dispatched by a browser, but the gateway forwards
  // it complete (an upstream that closed after it still said it); the reference does the same.
  if (data.length) events.push({ event: event || 'message', data: data.join('\n') });
  return events;
}

type Ending = '\n' | '\r\n' | '\r';

/** One logical event: its lines (without endings), written with any line ending. */
type Lines = string[];

/** Cuts a buffer at random offsets (0 to 12 cuts, some of them inside multi-byte characters). */
function chunked(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))]
    .filter((c) => c > 0 && c < buf.length)
    .sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(buf.subarray(from, c));
    from = c;
  }
  out.push(buf.subarray(from));
  return out;
}

interface Outcome {
  threw: string | null;
  events: SseEvent[];
  usage: unknown;
  done: boolean;
  finishReason: string | undefined;
  responseModel: string | undefined;
  streamError: unknown;
  firstToken: boolean;
  text: string;
}

function run(make: () => StreamTranslator, chunks: Buffer[]): Outcome {
  const t = make();
  const out: Buffer[] = [];
  let threw: string | null = null;
  try {
    for (const c of chunks) {
      const o = t.push(c);
      if (o !== null) out.push(typeof o === 'string' ? Buffer.from(o, 'utf8') : Buffer.from(o));
    }
    const e = t.end();
    if (e !== null) out.push(typeof e === 'string' ? Buffer.from(e, 'utf8') : Buffer.from(e));
  } catch (err) {
    if (!(err instanceof StreamEventError)) throw err;
    threw = err.name;
  }
  return {
    threw,
    // `created` is the translator's clock; two runs may straddle a second.
    events: referenceParse(Buffer.concat(out)).map((e) => ({
      ...e,
      data: e.data.replace(/"created":\d+/, '"created":0'),
    })),
    usage: t.usage,
    done: t.done,
    finishReason: t.finishReason,
    responseModel: t.responseModel,
    streamError: t.streamError,
    firstToken: t.firstTokenAt !== undefined,
    text: t.completionText(),
  };
}

// Payloads: what providers send, with extreme and broken variants mixed in.
const word = fc.oneof(
  fc.constantFrom('Hi', 'é', '日本', '😀', '', ' ', '\\n', '\\"q\\"', 'data: x', '\\r\\n\\r\\n'),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s).slice(1, -1)),
);
/** Invalid UTF-8, written as `<<hex>>` placeholders that bytesOf turns into raw bytes. */
const invalidUtf8 = fc.constantFrom(
  '<<ff>>',
  '<<c3>>',
  '<<e2>><<82>>',
  '<<ed>><<a0>><<80>>',
  '<<f0>><<9f>><<98>>',
  '<<c3>>a',
);
const huge = fc.integer({ min: 70_000, max: 120_000 }).map((n) => 'x'.repeat(n));

const openAiData = fc.oneof(
  {
    weight: 6,
    arbitrary: word.map(
      (w) =>
        `{"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{"content":"${w}"},"finish_reason":null}]}`,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      '{"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('stop', 'length', 'tool_calls')
      .map(
        (f) =>
          `{"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":{},"finish_reason":"${f}"}]}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.nat(1e6), fc.nat(1e6))
      .map(
        ([p, c]) =>
          `{"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[],"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}}}`,
      ),
  },
  { weight: 1, arbitrary: fc.constant('[DONE]') },
  { weight: 1, arbitrary: word.map((w) => `{"error":{"message":"${w}","type":"server_error"}}`) },
  { weight: 1, arbitrary: invalidUtf8.map((b) => `{"choices":[{"delta":{"content":"${b}"}}]}`) },
  { weight: 1, arbitrary: huge.map((h) => `{"choices":[{"delta":{"content":"${h}"},"finish_reason":null}]}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')) },
);

const anthropicData = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constant(
      '{"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":12,"output_tokens":1}}}',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant('{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'),
  },
  {
    weight: 5,
    arbitrary: word.map((w) => `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${w}"}}`),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"tu_1","name":"f"}}',
    ),
  },
  {
    weight: 1,
    arbitrary: word.map(
      (w) => `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"${w}"}}`,
    ),
  },
  { weight: 1, arbitrary: fc.constant('{"type":"content_block_stop","index":0}') },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('end_turn', 'max_tokens', 'tool_use')
      .map((r) => `{"type":"message_delta","delta":{"stop_reason":"${r}"},"usage":{"output_tokens":9}}`),
  },
  { weight: 1, arbitrary: fc.constant('{"type":"message_stop"}') },
  { weight: 1, arbitrary: fc.constant('{"type":"ping"}') },
  { weight: 1, arbitrary: word.map((w) => `{"type":"error","error":{"type":"overloaded_error","message":"${w}"}}`) },
  {
    weight: 1,
    arbitrary: invalidUtf8.map(
      (b) => `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${b}"}}`,
    ),
  },
  {
    weight: 1,
    arbitrary: huge.map((h) => `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${h}"}}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')) },
);

/** An event's lines: its data (sometimes split over two data lines), maybe an event name, id, retry or comment. */
function eventLines(data: fc.Arbitrary<string>, withExtras: boolean): fc.Arbitrary<Lines> {
  return fc
    .record({
      data,
      split: fc.boolean(),
      space: fc.boolean(),
      name: withExtras
        ? fc.option(fc.constantFrom('message', 'content_block_delta', 'ping'), { nil: undefined })
        : fc.constant(undefined),
      extra: withExtras
        ? fc.option(fc.constantFrom(': keep-alive', ':', 'id: 7', 'retry: 1000', 'unknown: field'), { nil: undefined })
        : fc.constant(undefined),
    })
    .map(({ data, split, space, name, extra }) => {
      const prefix = space ? 'data: ' : 'data:';
      // A split keeps the JSON whole once the data lines are joined with LF (inside whitespace).
      const cut = data.indexOf(',"');
      const lines =
        split && withExtras && cut > 0
          ? [`${prefix}${data.slice(0, cut + 1)}`, `${prefix}${data.slice(cut + 1)}`]
          : [`${prefix}${data}`];
      if (name) lines.unshift(`event: ${name}`);
      if (extra) lines.push(extra);
      return lines;
    });
}

const streamShape = (data: fc.Arbitrary<string>) =>
  fc.record({
    events: fc.array(eventLines(data, true), { minLength: 1, maxLength: 12 }),
    ending: fc.constantFrom<Ending>('\n', '\r\n', '\r'),
    bom: fc.boolean(),
    finalBlank: fc.boolean(),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
  });

/** The stream's bytes: UTF-8 text, with `<<hex>>` placeholders written as raw (invalid UTF-8) bytes. */
function bytesOf(events: Lines[], ending: Ending, bom: boolean, finalBlank: boolean): Buffer {
  const parts: Buffer[] = bom ? [Buffer.from([0xef, 0xbb, 0xbf])] : [];
  const text = (line: string) =>
    line.split(/<<([0-9a-f]{2})>>/).map((p, i) => (i % 2 ? Buffer.from([parseInt(p, 16)]) : Buffer.from(p, 'utf8')));
  events.forEach((lines, i) => {
    for (const line of lines) parts.push(...text(line), Buffer.from(ending));
    if (i < events.length - 1 || finalBlank) parts.push(Buffer.from(ending));
  });
  return Buffer.concat(parts);
}

/** An upstream error event: whether it fails the attempt depends on whether anything was forwarded before it. */
const isError = (lines: Lines) => lines.some((l) => /^data: ?\{"(error|type":"error)"/.test(l));

for (const [name, data, make] of [
  ['OpenAI pass-through', openAiData, () => new OpenAiStreamTranslator(false)],
  ['OpenAI pass-through (usage chunk dropped)', openAiData, () => new OpenAiStreamTranslator(true)],
  ['Anthropic translator', anthropicData, () => new AnthropicStreamTranslator(true)],
] as const) {
  describe(`SSE fuzz: ${name}`, () => {
    it('gives the same result for any chunking, line ending, BOM and comments as for plain LF in one piece', () => {
      fc.assert(
        fc.property(streamShape(data), ({ events, ending, bom, finalBlank, cuts }) => {
          const input = bytesOf(events, ending, bom, finalBlank);
          const whole = run(make, [input]);
          const pieces = run(make, chunked(input, cuts));
          // An error event fails the attempt only while nothing was forwarded, which depends on where
          // the chunks end once it is not the first event: then both outcomes are right.
          // A first error event fails the attempt; what was read after it (completion text) is moot.
          const errorAt = events.findIndex(isError);
          if (errorAt === 0) {
            assert.equal(whole.threw, 'StreamEventError');
            assert.equal(pieces.threw, 'StreamEventError');
            return;
          }
          if (errorAt > 0) return;
          assert.deepEqual(pieces, whole, 'chunked differs from whole');
          // The same events with LF, no BOM and no comments or unknown fields.
          const plainEvents = events.map((lines) =>
            lines.filter((l) => !l.startsWith(':') && !/^(id|retry|unknown):/.test(l)),
          );
          const plain = run(make, [bytesOf(plainEvents, '\n', false, finalBlank)]);
          // The pass-through reads the model only until the first token, and an event with a comment
          // line misses its fast path: whether the model is known may differ, never its value.
          if (whole.responseModel === undefined || plain.responseModel === undefined)
            whole.responseModel = plain.responseModel = undefined;
          assert.deepEqual(whole, plain, 'line endings, BOM or comments change the result');
        }),
        { numRuns: RUNS },
      );
    });

    if (name.startsWith('OpenAI')) {
      it('forwards what the reference parser reads from the input, and reads usage and [DONE] from it', () => {
        const dropsUsage = name.includes('dropped');
        fc.assert(
          fc.property(streamShape(data), ({ events, ending, bom, finalBlank, cuts }) => {
            const input = bytesOf(events, ending, bom, finalBlank);
            const ref = referenceParse(input);
            const got = run(make, chunked(input, cuts));
            const errorAt = events.findIndex(isError);
            if (errorAt === 0)
              assert.equal(got.threw, 'StreamEventError', 'an error event before anything else fails the attempt');
            if (errorAt >= 0) return;
            assert.equal(got.threw, null);
            const kept = dropsUsage
              ? ref.filter((e) => !(e.data.includes('"usage":{') && e.data.includes('"choices":[]')))
              : ref;
            assert.deepEqual(got.events, kept);
            assert.equal(
              got.done,
              ref.some((e) => e.data === '[DONE]'),
            );
            const lastUsage = [...ref].reverse().find((e) => e.data.includes('"usage":{"prompt_tokens"'));
            if (lastUsage)
              assert.equal(
                (got.usage as { promptTokens: number }).promptTokens,
                JSON.parse(lastUsage.data).usage.prompt_tokens,
              );
            // The model is read until the first token (later chunks take a fast path that skips it).
            if (got.responseModel !== undefined) assert.equal(got.responseModel, 'gpt-x');
          }),
          { numRuns: RUNS },
        );
      });
    }

    it('never throws on arbitrary bytes, and returns', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (chunks) => {
          run(
            make,
            chunks.map((c) => Buffer.from(c)),
          );
        }),
        { numRuns: RUNS },
      );
    });
  });
}

// Translators that mint ids (Gemini, Bedrock) are held to the weaker property; Bedrock's input is a
// binary event stream, so arbitrary bytes test its frame decoder.
for (const [name, make] of [
  ['Gemini translator', () => new GeminiStreamTranslator('m', true)],
  ['Bedrock ConverseStream translator', () => new ConverseStreamTranslator('m', true)],
] as const) {
  describe(`fuzz: ${name}`, () => {
    it('never throws on arbitrary bytes (but the error events it is meant to raise), and returns', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (chunks) => {
          run(
            make,
            chunks.map((c) => Buffer.from(c)),
          );
        }),
        { numRuns: RUNS },
      );
    });
  });
}

describe('fuzz: Gemini translator on JSON of any shape', () => {
  it('never throws on events whose JSON is not the shape it expects', () => {
    const part = fc.oneof(
      fc.jsonValue(),
      fc.record({ text: fc.jsonValue(), thought: fc.jsonValue(), functionCall: fc.jsonValue() }, { requiredKeys: [] }),
    );
    const candidate = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          index: fc.jsonValue(),
          finishReason: fc.jsonValue(),
          content: fc.oneof(fc.jsonValue(), fc.record({ parts: fc.oneof(fc.jsonValue(), fc.array(part)) })),
        },
        { requiredKeys: [] },
      ),
    );
    const event = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          candidates: fc.oneof(fc.jsonValue(), fc.array(candidate)),
          usageMetadata: fc.jsonValue(),
          modelVersion: fc.jsonValue(),
          error: fc.jsonValue(),
          promptFeedback: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 6 }), (events) => {
        run(
          () => new GeminiStreamTranslator('m', true),
          [Buffer.from(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''))],
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: Bedrock translator on frames of any JSON', () => {
  it('never throws on event frames whose JSON is not the shape it expects', () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const type = fc.constantFrom(
      'messageStart',
      'contentBlockStart',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
      'other',
    );
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          contentBlockIndex: fc.jsonValue(),
          start: fc.jsonValue(),
          delta: fc.oneof(
            fc.jsonValue(),
            fc.record({ text: fc.jsonValue(), toolUse: fc.jsonValue() }, { requiredKeys: [] }),
          ),
          stopReason: fc.jsonValue(),
          usage: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(type, payload, fc.boolean()), { maxLength: 6 }), (frames) => {
        const bytes = frames.map(([t, p, exception]) =>
          Buffer.from(
            codec.encode({
              headers: {
                ':message-type': { type: 'string', value: exception ? 'exception' : 'event' },
                ':event-type': { type: 'string', value: t },
              },
              body: fromUtf8(JSON.stringify(p) ?? 'null'),
            }),
          ),
        );
        run(() => new ConverseStreamTranslator('m', true), bytes);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('SSE parsers: what the fuzzing found (regressions)', () => {
  const usageChunk =
    'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';

  it('a BOM before the first event does not hide it (usage read and the usage-only chunk dropped)', () => {
    const t = new OpenAiStreamTranslator(true);
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    assert.equal(t.push(bom.subarray(0, 2)), null);
    const out = t.push(Buffer.concat([bom.subarray(2), Buffer.from(usageChunk + 'data: [DONE]\n\n')]));
    assert.equal(Buffer.from(out as Buffer).toString('latin1'), 'data: [DONE]\n\n');
    assert.equal(t.usage?.promptTokens, 5);
    const a = new AnthropicStreamTranslator(false);
    a.push(
      Buffer.from(
        '\ufeffdata: {"type":"message_start","message":{"id":"msg_1","model":"claude-x","usage":{"input_tokens":3}}}\n\n',
      ),
    );
    assert.equal(a.responseModel, 'claude-x');
  });

  it('a CRLF split between two chunks ends one line, not the event', () => {
    const input = 'data: {"choices":[{"delta":{"content":"a"}}],\r\ndata: "x":1}\r\n\r\n';
    const cut = input.indexOf('\r') + 1;
    for (const make of [() => new OpenAiStreamTranslator(false), () => new AnthropicStreamTranslator(false)]) {
      const whole = run(make, [Buffer.from(input)]);
      assert.deepEqual(run(make, [Buffer.from(input.slice(0, cut)), Buffer.from(input.slice(cut))]), whole);
    }
    assert.equal(
      run(() => new OpenAiStreamTranslator(false), [Buffer.from(input.slice(0, cut)), Buffer.from(input.slice(cut))])
        .events.length,
      1,
    );
  });

  it('reads the completion text of a stream with CR line endings (token estimates)', () => {
    const t = new OpenAiStreamTranslator(false);
    t.push(
      Buffer.from(
        'data: {"choices":[{"delta":{"content":"He"},"finish_reason":null}]}\r\rdata: {"choices":[{"delta":{"content":"llo"},"finish_reason":null}]}\r\r',
      ),
    );
    assert.equal(t.completionText(), 'Hello');
  });
});
