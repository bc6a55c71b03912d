import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countTokens, estimatePromptTokens, loadTokenizer } from './tokenCount';

// 120 characters that o200k_base encodes as 20 tokens: the four-characters heuristic says 30.
const TEXT = ' hello'.repeat(20);

test('an estimate with load=false leaves the tokenizer unloaded; the default loads it', async () => {
  assert.equal(countTokens(TEXT, false), 30);
  assert.equal(estimatePromptTokens({ messages: [{ role: 'user', content: TEXT }] }, false), 3 + 4 + 30);
  // Long enough for an import started by either call to have finished.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(countTokens(TEXT, false), 30, 'still the heuristic: nothing loaded the tokenizer');
  assert.equal(countTokens(TEXT), 30, 'the estimate that triggers the load is the heuristic');
  await loadTokenizer();
  assert.equal(countTokens(TEXT), 20);
  assert.equal(countTokens(TEXT, false), 20, 'once loaded, every estimate is exact');
});
