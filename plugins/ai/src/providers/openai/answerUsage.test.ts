import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastObject } from '../scan';
import { answerUsage } from './answerUsage';
import { usageFrom } from './stream';

/** What the answer's usage was read as before answerUsage (JSON.parse of the last usage object). */
const reference = (text: string) => usageFrom(lastObject(text, 'usage'));

/** A small deterministic generator (mulberry32), so a failure replays with the printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('OpenAI, DeepSeek and reasoning answers read as JSON.parse reads them', () => {
  const answers = [
    '{"id":"c1","model":"gpt-4o-mini","choices":[{"message":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":16,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":7,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}',
    '{"usage": {"prompt_tokens": 9, "completion_tokens": 3, "prompt_cache_hit_tokens": 5, "prompt_cache_miss_tokens": 4}}',
    '{"usage":{"prompt_tokens":9,"completion_tokens":3,"prompt_tokens_details":null,"completion_tokens_details":null}}',
    '{\n  "usage": {\n    "prompt_tokens": 1,\n\t"completion_tokens": 2\r\n  }\n}',
    '{"usage":{}}',
    '{"usage":null}',
    '{"choices":[]}',
  ];
  for (const a of answers) assert.deepEqual(answerUsage(a), reference(a), a);
  assert.deepEqual(answerUsage(answers[0]), {
    promptTokens: 14,
    completionTokens: 16,
    cachedTokens: 4,
    reasoningTokens: 7,
  });
});

test('shapes the one-pass reader leaves to JSON.parse still read the same (floats, strings, escapes, bad JSON)', () => {
  const objects = [
    '{"prompt_tokens":10,"completion_tokens":5,"queue_time":0.021,"prompt_time":1e-3}', // Groq's floats
    '{"prompt_tokens":10,"completion_tokens":5,"object":"usage"}',
    '{"prompt_tokens":10,"completion_tokens":5,"extra":[1,2]}',
    '{"prompt_tokens":10,"completion_tokens":5,"extra":{"a":1}}',
    '{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":2,"by":{"x":1}}}',
    '{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":3}',
    '{"prompt_\\u0074okens":10}',
    '{"prompt_tokens":012}',
    '{"prompt_tokens":10,}',
    '{"prompt_tokens":-}',
    '{"prompt_tokens":1234567890123456789}',
    '{"prompt_tokens":nul}',
    '{"prompt_tokens":true}',
    '{"prompt_tokens":10',
    '{"prompt_tokens":10 "completion_tokens":2}',
  ];
  for (const o of objects) {
    const text = `{"id":"x","usage":${o}}`;
    assert.deepEqual(answerUsage(text), reference(text), o);
  }
});

test('duplicate keys: the last one counts, as with JSON.parse', () => {
  for (const o of [
    '{"prompt_tokens":1,"prompt_tokens":2}',
    '{"prompt_tokens":1,"prompt_tokens":null}',
    '{"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens_details":{}}',
    '{"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens_details":null,"prompt_cache_hit_tokens":2}',
    '{"completion_tokens_details":{"reasoning_tokens":3},"completion_tokens_details":{"reasoning_tokens":0}}',
  ]) {
    const text = `{"usage":${o}}`;
    assert.deepEqual(answerUsage(text), reference(text), o);
  }
});

test('random usage objects and their truncations read exactly as JSON.parse reads them', () => {
  const seed = Number(process.env.AIHUB_FUZZ_SEED ?? Date.now() % 2 ** 31);
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const keys = [
    'prompt_tokens',
    'completion_tokens',
    'total_tokens',
    'prompt_cache_hit_tokens',
    'cached_tokens',
    'reasoning_tokens',
    'audio_tokens',
  ];
  const space = () => pick(['', '', ' ', '\n  ', '\t', '\r\n']);
  const scalar = (): string =>
    pick([
      () => String(Math.floor(r() * 100000)),
      () => String(-Math.floor(r() * 10)),
      () => 'null',
      () => '0',
      () => '-0',
      () => (r() * 10).toFixed(3),
      () => '1e3',
      () => '"text"',
      () => '00',
      () => 'true',
    ])();
  const object = (depth: number): string => {
    const members: string[] = [];
    const n = Math.floor(r() * 6);
    for (let i = 0; i < n; i++) {
      const key = depth === 0 && r() < 0.35 ? pick(['prompt_tokens_details', 'completion_tokens_details']) : pick(keys);
      const value = depth < 2 && r() < 0.3 ? (r() < 0.8 ? object(depth + 1) : 'null') : scalar();
      members.push(`${space()}"${key}"${space()}:${space()}${value}${space()}`);
    }
    return `{${members.join(',')}${space()}}`;
  };
  for (let i = 0; i < 3000; i++) {
    const text = `{"id":"c","choices":[{"message":{"content":"a \\"usage\\": {}"}}],"usage":${pick(['', ' ', '  '])}${object(0)}}`;
    assert.deepEqual(answerUsage(text), reference(text), `seed ${seed}: ${text}`);
    const cut = text.slice(0, Math.floor(r() * text.length));
    assert.deepEqual(answerUsage(cut), reference(cut), `seed ${seed} (truncated): ${cut}`);
  }
});
