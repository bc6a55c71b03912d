import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  /**
   * A real response whose client is gone (or still there, with `leave` false), and a relay holding
   * its first output over an upstream that never ends (a provider still sending).
   */
  async function goneClient(leave: boolean) {
    let serverRes!: ServerResponse;
    const server = createServer((_req, res) => {
      serverRes = res;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    client.on('error', () => {});
    client.end();
    await new Promise((r) => server.once('request', () => setImmediate(r)));
    if (leave) {
      client.destroy();
      await new Promise((r) => serverRes.once('close', r));
    }
    const clientDone = new Promise((r) => client.once('close', r));
    const upstream = new Readable({ read() {} });
    upstream.push(Buffer.from(EVENTS[0]));
    let aborted = 0;
    const ends: RelayEnd[] = [];
    const relay = new StreamRelay(
      upstream,
      passThrough(),
      () => aborted++,
      (end) => ends.push(end),
    );
    await relay.firstOutput;
    return { server, res: serverRes, upstream, relay, ends, aborted: () => aborted, clientDone };
  }

  it(
    'attach() after cancel() destroys the response of a client already gone, and the upstream',
    { timeout: 5000 },
    async () => {
      const s = await goneClient(true);
      try {
        s.relay.cancel();
        s.relay.attach(s.res);
        assert.equal(s.res.destroyed, true);
        assert.equal(s.upstream.destroyed, true, 'upstream not left reading');
        assert.equal(s.aborted(), 1, 'the upstream request aborted once');
        assert.deepEqual(s.ends, [{ outcome: 'cancelled' }]);
      } finally {
        s.server.close();
      }
    },
  );

  it(
    'attach() after cancel() ends a response whose client is still connected (no hang)',
    { timeout: 5000 },
    async () => {
      const s = await goneClient(false);
      try {
        s.relay.cancel();
        s.relay.attach(s.res);
        // The client sees its connection end rather than wait for bytes that never come.
        await s.clientDone;
        assert.equal(s.res.destroyed, true);
        assert.deepEqual(s.ends, [{ outcome: 'cancelled' }]);
      } finally {
        s.server.close();
      }
    },
  );

  it(
    'attach() to a response whose client left before it cancels the relay (its close already passed)',
    { timeout: 5000 },
    async () => {
      const s = await goneClient(true);
      try {
        s.relay.attach(s.res);
        assert.equal(s.upstream.destroyed, true, 'upstream not leaked');
        assert.equal(s.aborted(), 1);
        assert.deepEqual(s.ends, [{ outcome: 'cancelled' }]);
        assert.equal(s.res.destroyed, true);
      } finally {
        s.server.close();
      }
    },
  );
});
