import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamEventError } from '../../engine/errors';
import { OpenAiStreamTranslator } from './stream';

const chunk = (delta: string, extra = '') =>
  `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[{"index":0,"delta":${delta},"finish_reason":null}]${extra}}\n\n`;
const usage =
  'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-x","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":3}}}\n\n';

describe('OpenAI stream pass-through', () => {
  it('forwards complete chunks as the same buffer and reads usage, model, first token and [DONE]', () => {
    const t = new OpenAiStreamTranslator(false);
    const a = Buffer.from(chunk('{"role":"assistant","content":""}'));
    assert.equal(t.push(a), a);
    assert.equal(t.firstTokenAt, undefined, 'the role chunk is not a token');
    t.push(Buffer.from(chunk('{"content":"Hi"}')));
    assert.ok(t.firstTokenAt !== undefined);
    t.push(
      Buffer.from(
        chunk('{}', '').replace('"finish_reason":null', '"finish_reason":"stop"') + usage + 'data: [DONE]\n\n',
      ),
    );
    assert.deepEqual(t.usage, { promptTokens: 7, completionTokens: 2, cachedTokens: 3 });
    assert.equal(t.responseModel, 'gpt-x');
    assert.equal(t.finishReason, 'stop');
    assert.equal(t.done, true);
    assert.equal(t.completionText(), 'Hi');
  });

  it('holds back half events until complete, across chunk boundaries and CRLF', () => {
    const t = new OpenAiStreamTranslator(false);
    const text = chunk('{"content":"a"}') + chunk('{"content":"é"}');
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf('é') + 1; // inside the two-byte é
    assert.equal(t.push(bytes.subarray(0, 10)), null);
    const out1 = t.push(bytes.subarray(10, cut));
    assert.equal(out1!.toString(), chunk('{"content":"a"}'));
    const out2 = t.push(bytes.subarray(cut));
    assert.equal(Buffer.from(out2 as Buffer).toString('utf8'), chunk('{"content":"é"}'));
    assert.equal(t.completionText(), 'aé');
    const crlf = new OpenAiStreamTranslator(false);
    const out = crlf.push(Buffer.from('data: [DONE]\r\n\r\n'));
    assert.equal(out!.toString(), 'data: [DONE]\n\n');
    assert.equal(crlf.done, true);
  });

  it('drops the usage-only chunk the gateway asked for, keeping everything else', () => {
    const t = new OpenAiStreamTranslator(true);
    const out = t.push(Buffer.from(chunk('{"content":"x"}') + usage + 'data: [DONE]\n\n'));
    assert.equal(out!.toString(), chunk('{"content":"x"}') + 'data: [DONE]\n\n');
    assert.equal(t.usage?.completionTokens, 2);
  });

  it('throws on an error event before anything was forwarded, and records one after', () => {
    const t = new OpenAiStreamTranslator(false);
    assert.throws(
      () => t.push(Buffer.from('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n')),
      StreamEventError,
    );
    const u = new OpenAiStreamTranslator(false);
    u.push(Buffer.from(chunk('{"content":"x"}')));
    const out = u.push(Buffer.from('data: {"error":{"message":"boom","type":"server_error","code":"x"}}\n\n'));
    assert.match(out!.toString(), /boom/);
    assert.equal(u.streamError?.message, 'boom');
  });

  it('forwards a final event that lacks its blank line at the end', () => {
    const t = new OpenAiStreamTranslator(false);
    assert.equal(t.push(Buffer.from('data: [DONE]')), null);
    assert.equal(t.end()!.toString(), 'data: [DONE]\n\n');
    assert.equal(t.done, true);
  });
});
