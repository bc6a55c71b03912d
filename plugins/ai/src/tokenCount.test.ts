import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { countTokens, estimatePromptTokens, loadRanks, loadTokenizer } from './tokenCount';

const RANKS_FILE = require.resolve('gpt-tokenizer/data/o200k_base.tiktoken');

const TEXTS = [
  'Hello, world! How are you today?',
  '你好，世界。今日はいい天気ですね。안녕하세요',
  'function f(x: number): number {\n  return x * 2; // doubled\n}\n',
  '\uFEFFa text with a byte order mark, emoji 😀🎉 and tabs\t\t\tend',
  'Ünïcödé àccents, русский текст, العربية, हिन्दी',
];

describe('tokenCount', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aihub-ranks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('estimates four characters a token until the tokenizer has loaded, then counts as gpt-tokenizer does', async () => {
    const text = TEXTS[1];
    assert.equal(countTokens(text), Math.ceil(text.length / 4));
    await loadTokenizer();
    const reference = (await import('gpt-tokenizer')) as { countTokens: (t: string) => number };
    for (const t of TEXTS) assert.equal(countTokens(t), reference.countTokens(t), t);
    assert.notEqual(countTokens(text), Math.ceil(text.length / 4));
    const body = { messages: [{ role: 'user', content: TEXTS[0] }] };
    assert.equal(estimatePromptTokens(body), 3 + 4 + reference.countTokens(TEXTS[0]));
  });

  it('reads the ranks file into the same table as the package generated from it', async () => {
    const ranks = await loadRanks(RANKS_FILE);
    const generated = (await import('gpt-tokenizer/bpeRanks/o200k_base')) as { default: (string | number[])[] };
    assert.equal(ranks.length, generated.default.length);
    assert.deepEqual(ranks, generated.default);
    assert.ok(
      ranks.some((r) => Array.isArray(r)),
      'byte ranks (tokens that are not UTF-8) are kept as bytes',
    );
  });

  it('parses in slices, leaving the event loop turns while it reads', async () => {
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await loadRanks(RANKS_FILE);
    ticking = false;
    // 200,000 lines at 20,000 per turn: the ticker ran between the slices.
    assert.ok(turns >= 5, `${turns} turns`);
  });

  it('fills missing ranks with empty strings, keeps bytes that are not UTF-8 or start with a BOM, rejects bad lines', async () => {
    const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
    const file = path.join(dir, 'ranks.tiktoken');
    const lines = [
      `${b64([0x61])} 0`,
      `${b64([0xe4, 0xbd, 0xa0])} 1`,
      `${b64([0xe4, 0xbd])} 3`, // a truncated character: bytes
      `${b64([0xef, 0xbb, 0xbf, 0x61])} 4`, // BOM first: a decoder would strip it, so bytes
      `${b64([0xed, 0xa0, 0x80])} 5`, // an encoded surrogate is not UTF-8
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    assert.deepEqual(await loadRanks(file), [
      'a',
      '你',
      '',
      [0xe4, 0xbd],
      [0xef, 0xbb, 0xbf, 0x61],
      [0xed, 0xa0, 0x80],
    ]);

    writeFileSync(file, `${b64([0x61])} 1\n${b64([0x62])} 0\n`);
    await assert.rejects(loadRanks(file), /malformed line at offset/);
    writeFileSync(file, `${b64([0x61])}\n`);
    await assert.rejects(loadRanks(file), /malformed line at offset 0/);
  });
});
