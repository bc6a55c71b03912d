import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Database } from '../database/Database';
import { createDatabase } from '../database/SequelizeDatabase';
import { createTestDatabase, type TestDatabase } from '../database/createTestDatabase';
import type { EventQueue, QueueMessage } from './EventQueue';
import { coreQueueMigrations, createOutboxQueue } from './OutboxQueue';
import { QueueBufferFullError } from './PublishBuffer';
import { createRedisStreamQueue } from './RedisStreamQueue';

/**
 * One contract, three backends: the outbox on SQLite, the outbox on PostgreSQL and Redis Streams.
 * Each backend gets a fresh database or key prefix, and every test its own topics.
 */
const REDIS_URL = process.env.AIHUB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Backend {
  name: string;
  /** Creates the backing store; returns a factory for queues on it and a teardown. */
  setup(): Promise<{ create(): EventQueue; teardown(): Promise<void> }>;
}

function outboxBackend(kind: 'sqlite' | 'postgres'): Backend {
  return {
    name: `outbox on ${kind}`,
    async setup() {
      const testDb: TestDatabase = await createTestDatabase(kind);
      const databases: Database[] = [];
      const open = (): Database => {
        const db = createDatabase({ url: testDb.url });
        databases.push(db);
        return db;
      };
      await open().migrateUp([coreQueueMigrations]);
      return {
        // Each queue on its own connection(s), as two gateway instances would be.
        create: () => createOutboxQueue({ database: open(), cleanupIntervalMs: 0 }),
        async teardown() {
          for (const db of databases) await db.close();
          await testDb.drop();
        },
      };
    },
  };
}

async function deleteRedisPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(keys);
    } while (cursor !== '0');
  } finally {
    await client.quit();
  }
}

const redisBackend: Backend = {
  name: 'redis streams',
  async setup() {
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    return {
      create: () => createRedisStreamQueue({ redis: REDIS_URL, prefix }),
      teardown: () => deleteRedisPrefix(prefix),
    };
  },
};

let topicCounter = 0;
function newTopic(): string {
  topicCounter += 1;
  return `topic-${topicCounter}-${randomBytes(3).toString('hex')}`;
}

async function readAll<T>(
  queue: EventQueue,
  topic: string,
  options: Parameters<EventQueue['read']>[1],
): Promise<QueueMessage<T>[]> {
  const out: QueueMessage<T>[] = [];
  for (;;) {
    const batch = await queue.read<T>(topic, options);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

for (const backend of [outboxBackend('sqlite'), outboxBackend('postgres'), redisBackend]) {
  describe(`EventQueue contract: ${backend.name}`, () => {
    let env: Awaited<ReturnType<Backend['setup']>>;
    let queue: EventQueue;
    const extraQueues: EventQueue[] = [];
    const another = (): EventQueue => {
      const q = env.create();
      extraQueues.push(q);
      return q;
    };

    before(async () => {
      env = await backend.setup();
      queue = env.create();
    });

    after(async () => {
      try {
        for (const q of [queue, ...extraQueues]) await q.close();
      } finally {
        await env.teardown();
      }
    });

    it('delivers everything published, once, in order, after a flush', async () => {
      const topic = newTopic();
      for (let i = 0; i < 10; i++) queue.publish(topic, { n: i, tenant: 't1' });
      await queue.flush();
      assert.equal(queue.buffered(), 0);
      const messages = await queue.read<{ n: number }>(topic, { group: 'g', consumer: 'c1', batchSize: 100 });
      assert.deepEqual(
        messages.map((m) => m.payload.n),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
      assert.ok(messages.every((m) => m.topic === topic && m.deliveries === 0));
      assert.equal(new Set(messages.map((m) => m.id)).size, 10);
      assert.deepEqual(await queue.read(topic, { group: 'g', consumer: 'c1' }), [], 'nothing is delivered twice');
    });

    it('counts buffered messages and flushes them by itself a few ms later', async () => {
      const topic = newTopic();
      for (let i = 0; i < 5; i++) queue.publish(topic, i);
      assert.equal(queue.buffered(), 5);
      await waitFor(() => queue.buffered() === 0, 2000, 'the timed flush');
      const messages = await queue.read<number>(topic, { group: 'g', consumer: 'c1' });
      assert.deepEqual(
        messages.map((m) => m.payload),
        [0, 1, 2, 3, 4],
      );
    });

    it('hands off a publish (handedOff, then durable with ids) and delivers it; refuses a bad topic at once', async () => {
      const topic = newTopic();
      const hand = queue.publishHandedOff(topic, [{ n: 1 }, { n: 2 }]);
      await hand.handedOff;
      const ids = await hand.durable;
      assert.equal(ids.length, 2);
      const messages = await readAll(queue, topic, { group: 'g', consumer: 'c1', batchSize: 10 });
      assert.deepEqual(
        messages.map((m) => m.payload),
        [{ n: 1 }, { n: 2 }],
      );
      assert.deepEqual(
        messages.map((m) => m.id),
        ids,
      );
      assert.throws(() => queue.publishHandedOff('', [1]), /Invalid queue topic/);
    });

    it('never hands the same message to two consumers of one group', async () => {
      const topic = newTopic();
      const ids = await queue.publishNow(
        topic,
        Array.from({ length: 60 }, (_, i) => i),
      );
      const other = another();
      const seen: string[][] = [[], []];
      await Promise.all(
        [queue, other].map(async (q, index) => {
          for (;;) {
            const batch = await q.read(topic, { group: 'workers', consumer: `c${index}`, batchSize: 7 });
            if (batch.length === 0) return;
            seen[index].push(...batch.map((m) => m.id));
          }
        }),
      );
      const all = [...seen[0], ...seen[1]];
      assert.equal(new Set(all).size, all.length, 'no message went to both consumers');
      assert.deepEqual([...all].sort(), [...ids].sort());
    });

    it('gives every group every message', async () => {
      const topic = newTopic();
      const ids = await queue.publishNow(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ i })),
      );
      const usage = await readAll(queue, topic, { group: 'usage', consumer: 'c1', batchSize: 8 });
      const audit = await readAll(another(), topic, { group: 'audit', consumer: 'c1', batchSize: 8 });
      assert.deepEqual(
        usage.map((m) => m.id),
        ids,
      );
      assert.deepEqual(
        audit.map((m) => m.id),
        ids,
      );
    });

    it('redelivers what a crashed consumer did not ack to another consumer after claimIdleMs', async () => {
      const topic = newTopic();
      const ids = await queue.publishNow(topic, ['a', 'b', 'c']);
      const options = { group: 'g', batchSize: 10, claimIdleMs: 600 };
      const readAt = Date.now();
      const crashed = await queue.read(topic, { ...options, consumer: 'crashed' });
      assert.equal(crashed.length, 3);
      const survivor = another();
      const early = await survivor.read(topic, { ...options, consumer: 'survivor' });
      // On a machine loaded enough to stall this test past claimIdleMs the claim is due: only a read
      // that finished before it proves "not before" (the usual case, well inside 600 ms).
      // A late read that did claim them is the redelivery itself.
      if (Date.now() - readAt < options.claimIdleMs) assert.deepEqual(early, [], 'not before claimIdleMs');
      if (early.length === 0) await sleep(700);
      const redelivered =
        early.length > 0 ? early : await survivor.read<string>(topic, { ...options, consumer: 'survivor' });
      assert.deepEqual(
        redelivered.map((m) => m.id),
        ids,
      );
      assert.deepEqual(
        redelivered.map((m) => m.payload),
        ['a', 'b', 'c'],
      );
      assert.ok(
        redelivered.every((m) => m.deliveries >= 1),
        `deliveries: ${redelivered.map((m) => m.deliveries)}`,
      );
      await survivor.ack(topic, 'g', ids);
      assert.equal(await survivor.lag(topic, 'g'), 0);
      await sleep(700);
      assert.deepEqual(
        await survivor.read(topic, { ...options, consumer: 'survivor' }),
        [],
        'acked messages are not redelivered',
      );
    });

    it('counts un-acked messages as lag until they are acked', async () => {
      const topic = newTopic();
      const ids = await queue.publishNow(topic, [1, 2, 3, 4, 5]);
      assert.equal(await queue.lag(topic, 'billing'), 5, 'a group that has not read yet lags by everything');
      const batch = await queue.read(topic, { group: 'billing', consumer: 'c1', batchSize: 10 });
      assert.equal(batch.length, 5);
      assert.equal(await queue.lag(topic, 'billing'), 5, 'delivered but not acked still counts');
      await queue.ack(topic, 'billing', ids.slice(0, 2));
      assert.equal(await queue.lag(topic, 'billing'), 3);
      await queue.ack(topic, 'billing', ids.slice(2));
      assert.equal(await queue.lag(topic, 'billing'), 0);
      await queue.ack(topic, 'billing', []);
      assert.equal(await queue.lag(topic, 'other-group'), 5, 'groups lag independently');
    });

    it('wakes a blocking read when a message arrives', async () => {
      const topic = newTopic();
      const started = Date.now();
      const reading = queue.read<string>(topic, { group: 'g', consumer: 'c1', blockMs: 3000 });
      await sleep(50);
      await another().publishNow(topic, ['late']);
      const batch = await reading;
      assert.deepEqual(
        batch.map((m) => m.payload),
        ['late'],
      );
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      const emptyStarted = Date.now();
      assert.deepEqual(await queue.read(topic, { group: 'g', consumer: 'c1', blockMs: 150 }), []);
      assert.ok(Date.now() - emptyStarted >= 140, 'an empty blocking read waits for blockMs');
    });

    it('runs a consume loop that acks, and redelivers a batch whose handler threw', async () => {
      const topic = newTopic();
      await queue.publishNow(topic, ['x', 'y', 'z']);
      let calls = 0;
      const handled: QueueMessage<string>[] = [];
      const subscription = queue.consume<string>(
        topic,
        { group: 'loop', batchSize: 10, blockMs: 50, claimIdleMs: 150 },
        async (messages) => {
          calls += 1;
          if (calls === 1) throw new Error('transient failure');
          handled.push(...messages);
        },
      );
      await waitFor(() => handled.length >= 3, 5000, 'the redelivered batch');
      await subscription.stop();
      await subscription.stop(); // idempotent
      assert.deepEqual(handled.map((m) => m.payload).sort(), ['x', 'y', 'z']);
      assert.ok(
        handled.every((m) => m.deliveries >= 1),
        'the second delivery says so',
      );
      assert.equal(await queue.lag(topic, 'loop'), 0, 'the handled batch was acked');
      // New messages after a stop stay for the next consumer.
      await queue.publishNow(topic, ['after stop']);
      await sleep(100);
      assert.equal(handled.length, 3);
      assert.equal(await queue.lag(topic, 'loop'), 1);
    });

    it('makes publishNow durable before it resolves', async () => {
      const topic = newTopic();
      const ids = await queue.publishNow(topic, [{ order: 1 }, { order: 2 }]);
      assert.equal(ids.length, 2);
      assert.equal(queue.buffered(), 0);
      // A separate queue (its own connections, as another instance) sees them at once.
      const messages = await another().read<{ order: number }>(topic, { group: 'g', consumer: 'elsewhere' });
      assert.deepEqual(
        messages.map((m) => m.id),
        ids,
      );
      assert.deepEqual(
        messages.map((m) => m.payload.order),
        [1, 2],
      );
      assert.deepEqual(await queue.publishNow(topic, []), []);
    });

    it('round-trips 1,000 messages in batches', async () => {
      const topic = newTopic();
      const started = Date.now();
      for (let i = 0; i < 1000; i++) queue.publish(topic, { i, model: 'gpt-4o-mini', tokens: i * 3 });
      await queue.flush();
      const messages = await readAll<{ i: number }>(queue, topic, { group: 'bulk', consumer: 'c1', batchSize: 250 });
      assert.equal(messages.length, 1000);
      assert.deepEqual(
        messages.map((m) => m.payload.i),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      await queue.ack(
        topic,
        'bulk',
        messages.map((m) => m.id),
      );
      assert.equal(await queue.lag(topic, 'bulk'), 0);
      assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    });

    it('rejects payloads that are not JSON and bad topics', () => {
      assert.throws(() => queue.publish(newTopic(), undefined), /JSON/);
      assert.throws(() => queue.publish('', 1), /topic/);
      assert.equal(queue.buffered(), 0);
    });
  });
}

describe('OutboxQueue specifics', () => {
  it('keeps messages buffered while writes fail and writes them once it can', async () => {
    const testDb = await createTestDatabase('sqlite');
    const db = createDatabase({ url: testDb.url });
    const errors: unknown[] = [];
    // No migrations yet: every write fails.
    const queue = createOutboxQueue({
      database: db,
      cleanupIntervalMs: 0,
      bufferLimit: 20,
      onError: (err) => errors.push(err),
    });
    try {
      for (let i = 0; i < 20; i++) queue.publish('t', i);
      assert.throws(() => queue.publish('t', 20), QueueBufferFullError);
      await assert.rejects(queue.flush());
      await waitFor(() => errors.length >= 2, 2000, 'background retries');
      assert.equal(queue.buffered(), 20, 'nothing was dropped');
      await db.migrateUp([coreQueueMigrations]);
      await waitFor(() => queue.buffered() === 0, 10_000, 'the retried write');
      const messages = await readAll<number>(queue, 't', { group: 'g', consumer: 'c' });
      assert.deepEqual(
        messages.map((m) => m.payload),
        Array.from({ length: 20 }, (_, i) => i),
      );
    } finally {
      await queue.close().catch(() => {});
      await db.close();
      await testDb.drop();
    }
  });

  it('deletes messages once every known group acked them', async () => {
    const testDb = await createTestDatabase('postgres');
    const db = createDatabase({ url: testDb.url });
    await db.migrateUp([coreQueueMigrations]);
    const queue = createOutboxQueue({ database: db, cleanupIntervalMs: 0 });
    try {
      const ids = await queue.publishNow('usage', [1, 2, 3]);
      await queue.read('usage', { group: 'a', consumer: 'c' });
      await queue.read('usage', { group: 'b', consumer: 'c' });
      await queue.ack('usage', 'a', ids);
      await queue.ack('usage', 'b', ids.slice(0, 1));
      assert.equal(await queue.cleanup(), 1, 'only the message both groups acked');
      assert.equal(await queue.lag('usage', 'b'), 2);
      await queue.ack('usage', 'b', ids.slice(1));
      assert.equal(await queue.cleanup(), 2);
      assert.equal(await queue.lag('usage', 'a'), 0);
      const next = await queue.publishNow('usage', [4]);
      assert.ok(Number(next[0]) > Number(ids[2]), 'ids are never reused');
    } finally {
      await queue.close().catch(() => {});
      await db.close();
      await testDb.drop();
    }
  });
});

/** A TCP proxy in front of the real Redis that the test can cut and restore (an outage, for real). */
async function startProxy(
  port = 0,
): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = (onPort: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        sockets.add(client).add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(onPort, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
      server = s;
    });
  const cut = async () => {
    await new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    server = undefined;
  };
  const actualPort = await listen(port);
  return { port: actualPort, cut, restore: async () => void (await listen(actualPort)), close: cut };
}

describe('RedisStreamQueue specifics', () => {
  it('keeps messages buffered through a Redis outage and writes them after it reconnects', async () => {
    const proxy = await startProxy();
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    const errors: unknown[] = [];
    const queue = createRedisStreamQueue({
      redis: `redis://127.0.0.1:${proxy.port}`,
      prefix,
      bufferLimit: 50,
      onError: (err) => errors.push(err),
    });
    try {
      await queue.publishNow('t', ['before']);
      await proxy.cut();
      for (let i = 0; i < 50; i++) queue.publish('t', i);
      assert.throws(
        () => queue.publish('t', 50),
        (err: unknown) => err instanceof QueueBufferFullError && /buffer is full/.test(err.message),
      );
      const failedAt = Date.now();
      await assert.rejects(queue.flush());
      assert.ok(Date.now() - failedAt < 2500, `a flush against a down Redis took ${Date.now() - failedAt} ms`);
      assert.equal(queue.buffered(), 50, 'nothing was dropped');
      assert.ok(errors.length > 0);
      await proxy.restore();
      await waitFor(() => queue.buffered() === 0, 10_000, 'the retried write after reconnecting');
      const messages = await readAll(queue, 't', { group: 'g', consumer: 'c', batchSize: 100 });
      assert.deepEqual(
        messages.map((m) => m.payload),
        ['before', ...Array.from({ length: 50 }, (_, i) => i)],
      );
    } finally {
      await queue.close().catch(() => {});
      await proxy.close();
      await deleteRedisPrefix(prefix);
    }
  });

  it('rejects a publishNow that fails while Redis is away, and leaves no unhandled rejection', async () => {
    const proxy = await startProxy();
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const queue = createRedisStreamQueue({ redis: `redis://127.0.0.1:${proxy.port}`, prefix, onError: () => {} });
    try {
      await queue.publishNow('t', ['before']);
      await proxy.cut();
      // Until the client has seen the close, a write still counts as handed off (no second promise).
      const client = (queue as unknown as { client: Redis }).client;
      await waitFor(() => client.status !== 'ready', 5000, 'the client to see the cut');
      await assert.rejects(queue.publishNow('t', ['during']));
      // An unhandled rejection is reported after the microtask queue drains: give it a few turns.
      await sleep(50);
      assert.deepEqual(unhandled, [], 'publishNow left a rejected promise nobody handles');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await queue.close().catch(() => {});
      await proxy.close();
      await deleteRedisPrefix(prefix);
    }
  });

  it('keeps only the entries Redis refused buffered, and fails a hand-off with the refused XADD', async () => {
    const client = new Redis(REDIS_URL);
    client.on('error', () => {});
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    const errors: unknown[] = [];
    const queue = createRedisStreamQueue({
      redis: client,
      prefix,
      flushIntervalMs: 5,
      onError: (err) => errors.push(err),
    });
    try {
      // A key of another type where the `bad` topic's stream would be: every XADD to it is refused.
      await client.set(`${prefix}stream:bad`, 'not a stream');
      for (let i = 0; i < 6; i++) queue.publish(i % 2 ? 'bad' : 'good', i);
      await waitFor(() => errors.length >= 1, 2000, 'the refused write');
      assert.match(String((errors[0] as Error).message), /WRONGTYPE/);
      assert.equal(queue.buffered(), 3, 'the refused entries stay buffered, the others are written');
      assert.deepEqual(
        (await client.xrange(`${prefix}stream:good`, '-', '+')).map(([, f]) => JSON.parse(f[1])),
        [0, 2, 4],
      );
      const hand = queue.publishHandedOff('bad', [7]);
      await assert.rejects(hand.durable, /XADD to .*stream:bad failed: WRONGTYPE/);
      await client.del(`${prefix}stream:bad`);
      await waitFor(() => queue.buffered() === 0, 5000, 'the retried write');
      assert.deepEqual(
        (await client.xrange(`${prefix}stream:bad`, '-', '+')).map(([, f]) => JSON.parse(f[1])),
        [1, 3, 5],
      );
    } finally {
      await queue.close();
      await deleteRedisPrefix(prefix);
      await client.quit();
    }
  });

  it('writes one entry alone as one XADD with the same results: ids, refusals, MAXLEN', async () => {
    const client = new Redis(REDIS_URL);
    client.on('error', () => {});
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    const errors: unknown[] = [];
    const queue = createRedisStreamQueue({ redis: client, prefix, maxLen: 10, onError: (err) => errors.push(err) });
    try {
      const [id] = await queue.publishNow('t', [{ n: 0 }]);
      assert.match(id, /^\d+-\d+$/);
      for (let i = 1; i < 300; i++) await queue.publishNow('t', [{ n: i }]);
      assert.ok((await client.xlen(`${prefix}stream:t`)) < 300, 'MAXLEN applies to a single XADD too');
      const [[lastId, fields]] = await client.xrevrange(`${prefix}stream:t`, '+', '-', 'COUNT', 1);
      assert.deepEqual(fields, ['p', '{"n":299}'], 'the entry has the one payload field the reader expects');
      assert.ok(lastId > id);
      await client.set(`${prefix}stream:bad`, 'not a stream');
      await assert.rejects(queue.publishNow('bad', [1]), /XADD to .*stream:bad failed: WRONGTYPE/);
      queue.publish('bad', 2);
      await waitFor(() => errors.length >= 1, 2000, 'the refused buffered entry');
      assert.match(String((errors[0] as Error).message), /WRONGTYPE/);
      assert.equal(queue.buffered(), 1, 'a refused entry stays buffered');
      await client.del(`${prefix}stream:bad`);
      await waitFor(() => queue.buffered() === 0, 5000, 'the retried write');
      assert.deepEqual(
        (await client.xrange(`${prefix}stream:bad`, '-', '+')).map(([, f]) => JSON.parse(f[1])),
        [2],
      );
    } finally {
      await queue.close();
      await deleteRedisPrefix(prefix);
      await client.quit();
    }
  });

  it('trims streams when maxLen is set and leaves a shared client open on close', async () => {
    const client = new Redis(REDIS_URL);
    client.on('error', () => {});
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    const queue = createRedisStreamQueue({ redis: client, prefix, maxLen: 10 });
    try {
      await queue.publishNow(
        't',
        Array.from({ length: 500 }, (_, i) => i),
      );
      // Approximate trimming keeps whole macro nodes, so allow some slack above maxLen.
      assert.ok((await client.xlen(`${prefix}stream:t`)) < 500);
      await queue.close();
      assert.equal(await client.ping(), 'PONG');
    } finally {
      await deleteRedisPrefix(prefix);
      await client.quit();
    }
  });

  it('trims only what every group acknowledged, and nothing of a stream without groups', async () => {
    const client = new Redis(REDIS_URL);
    client.on('error', () => {});
    const prefix = `aihub-test:${randomBytes(6).toString('hex')}:`;
    const queue = createRedisStreamQueue({ redis: client, prefix, trimIntervalMs: 0 });
    const key = `${prefix}stream:t`;
    try {
      await queue.publishNow(
        't',
        Array.from({ length: 20 }, (_, i) => i),
      );
      await queue.publishNow('lonely', [1, 2, 3]);
      assert.equal(await queue.trimAcknowledged(), 0, 'no group has read anything yet');
      // Group a reads and acks 15; group b reads 10 and acks only the first 5.
      const a = await queue.read<number>('t', { group: 'a', consumer: 'c', batchSize: 15 });
      await queue.ack(
        't',
        'a',
        a.map((m) => m.id),
      );
      const b = await queue.read<number>('t', { group: 'b', consumer: 'c', batchSize: 10 });
      await queue.ack(
        't',
        'b',
        b.slice(0, 5).map((m) => m.id),
      );
      await queue.trimAcknowledged();
      // Entries from b's oldest pending one (index 5) on must all survive.
      const left = (await client.xrange(key, '-', '+')) as [string, string[]][];
      assert.equal(left.length, 15);
      assert.equal(left[0][0], b[5].id);
      assert.equal(await client.xlen(`${prefix}stream:lonely`), 3);
      // The rest is still delivered to both groups.
      const restA = await queue.read<number>('t', { group: 'a', consumer: 'c', batchSize: 100 });
      assert.deepEqual(
        restA.map((m) => m.payload),
        [15, 16, 17, 18, 19],
      );
      const restB = await queue.read<number>('t', { group: 'b', consumer: 'c', batchSize: 100 });
      assert.deepEqual(
        restB.map((m) => m.payload),
        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      );
    } finally {
      await queue.close();
      await deleteRedisPrefix(prefix);
      await client.quit();
    }
  });
});
