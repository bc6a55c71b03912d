import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { StreamTranslator } from '../types';
import { StreamRelay, type RelayEnd } from './StreamRelay';

/** Forwards every chunk as it is; done once `[DONE]` passed. */
function passThrough(): StreamTranslator & { pushed: number } {
  return {
    pushed: 0,
    done: false,
    usage: undefined,
    firstTokenAt: undefined,
    responseModel: undefined,
    finishReason: undefined,
    streamError: undefined,
    push(chunk: Buffer) {
      this.pushed++;
      if (chunk.includes('[DONE]')) (this as { done: boolean }).done = true;
      return chunk;
    },
    end: () => null,
    completionText: () => '',
  };
}

/** A response that records what was written (enough of ServerResponse for attach). */
function sink(): ServerResponse & { written: string[]; ended: boolean } {
  const res = Object.assign(new EventEmitter(), {
    written: [] as string[],
    ended: false,
    writableFinished: false,
    write(b: Buffer | string) {
      res.written.push(String(b));
      return true;
    },
    end() {
      res.ended = true;
    },
  });
  return res as unknown as ServerResponse & { written: string[]; ended: boolean };
}

const EVENTS = ['data: {"a":1}\n\n', 'data: {"a":2}\n\n', 'data: {"a":3}\n\n', 'data: [DONE]\n\n'];

describe('StreamRelay', () => {
  it('holds the first output and reads nothing more until the response starts', async () => {
    // The whole stream is there at once, as when a fast upstream sent it in one go.
    const upstream = new Readable({ read() {} });
    for (const e of EVENTS) upstream.push(Buffer.from(e));
    upstream.push(null);
    const t = passThrough();
    const ends: RelayEnd[] = [];
    const relay = new StreamRelay(
      upstream,
      t,
      () => {},
      (end) => ends.push(end),
    );
    await relay.firstOutput;
    // A few ticks: were the upstream not paused, it would be translated to its end and settled here.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(t.pushed, 1, 'only the first chunk was translated before the response started');
    assert.deepEqual(ends, [], 'not settled before the first byte');

    const res = sink();
    relay.attach(res);
    await new Promise((r) => upstream.once('close', r));
    assert.deepEqual(res.written, EVENTS);
    assert.equal(res.ended, true);
    assert.deepEqual(ends, [{ outcome: 'success' }]);
  });

  it('gives every held event to a reader of `out`', async () => {
    const upstream = new Readable({ read() {} });
    for (const e of EVENTS) upstream.push(Buffer.from(e));
    upstream.push(null);
    const relay = new StreamRelay(
      upstream,
      passThrough(),
      () => {},
      () => {},
    );
    await relay.firstOutput;
    const got: string[] = [];
    for await (const chunk of relay.out) got.push(String(chunk));
    assert.equal(got.join(''), EVENTS.join(''));
  });
});
