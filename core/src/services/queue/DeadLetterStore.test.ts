import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../database/Database';
import { createDatabase } from '../database/SequelizeDatabase';
import { createTestDatabase, type TestDatabase } from '../database/createTestDatabase';
import { DeadLetterStore, deadLetterReason } from './DeadLetterStore';
import type { EventQueue } from './EventQueue';
import { coreQueueMigrations, createOutboxQueue } from './OutboxQueue';

/** The dead-letter table on both databases, with the outbox queue a replay publishes to. */
for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`DeadLetterStore (${kind})`, () => {
    let testDb: TestDatabase;
    let db: Database;
    let queue: EventQueue;
    let clock = Date.parse('2026-01-01T00:00:00Z');

    before(async () => {
      testDb = await createTestDatabase(kind);
      db = createDatabase({ url: testDb.url });
      await db.migrateUp([coreQueueMigrations]);
      queue = createOutboxQueue({ database: db, cleanupIntervalMs: 0 });
    });

    after(async () => {
      await queue?.close();
      await db?.close();
      await testDb?.drop();
    });

    it('keeps the payload exactly, NUL and lone surrogates included, and lists newest first by tenant', async () => {
      const store = new DeadLetterStore(db, undefined, () => clock);
      const payload = { tenantId: 't1', event: 'bad\u0000name', s: '\ud800', nested: [1, { ok: true }] };
      await store.add([
        {
          topic: 'dl.test',
          group: 'g',
          messageId: '17',
          tenantId: 't1',
          reason: 'invalid_text',
          error: 'unsupported Unicode escape sequence \u0000',
          payload,
        },
      ]);
      clock += 1000;
      await store.add([
        {
          topic: 'dl.test',
          group: 'g',
          messageId: '18',
          tenantId: 't2',
          reason: 'malformed',
          error: 'not an event',
          payload: 'just text',
        },
        { topic: 'other', group: 'g', tenantId: 't1', reason: 'malformed', error: 'x', payload: 1 },
      ]);
      const all = await store.list({ topic: 'dl.test' });
      assert.deepEqual(
        all.map((d) => d.messageId),
        ['18', '17'],
      );
      const t1 = await store.list({ topic: 'dl.test', tenantId: 't1' });
      assert.equal(t1.length, 1);
      assert.deepEqual(t1[0].payload, payload);
      assert.equal(t1[0].error, 'unsupported Unicode escape sequence \uFFFD', 'the error text is made storable');
      assert.equal(t1[0].createdAt, '2026-01-01T00:00:00.000Z');
      assert.deepEqual(
        (await store.list({ topic: 'dl.test', before: '2026-01-01T00:00:00.500Z' })).map((d) => d.messageId),
        ['17'],
      );
    });

    it('replays a dead letter onto its topic, sanitized on request, and marks it replayed', async () => {
      const store = new DeadLetterStore(db, undefined, () => clock);
      const [id] = await store.add([
        {
          topic: 'dl.replay',
          group: 'g',
          tenantId: 't1',
          reason: 'invalid_text',
          error: 'e',
          payload: { name: 'a\u0000b', n: 1 },
        },
      ]);
      const r = await store.replay(queue, 'dl.replay', id, { sanitize: true });
      assert.ok(r);
      assert.deepEqual(r.replaced, ['name']);
      const [message] = await queue.read<{ name: string }>('dl.replay', { group: 'g' });
      assert.deepEqual(message.payload, { name: 'a\uFFFDb', n: 1 });
      assert.equal((await store.list({ topic: 'dl.replay' })).length, 0);
      const [replayed] = await store.list({ topic: 'dl.replay', includeReplayed: true });
      assert.equal(replayed.replays, 1);
      assert.equal(
        await store.replay(queue, 'other-topic', id),
        undefined,
        'a dead letter is replayed only through its own topic',
      );
    });

    it('stores a batch larger than one statement takes (bind-parameter limits)', async () => {
      const store = new DeadLetterStore(db, undefined, () => clock);
      const ids = await store.add(
        Array.from({ length: 1200 }, (_, i) => ({
          topic: 'dl.many',
          group: 'g',
          tenantId: `t${i % 3}`,
          reason: 'malformed',
          error: 'x',
          payload: { i },
        })),
      );
      assert.equal(new Set(ids).size, 1200);
      const [row] = (await db.sequelize.query("SELECT COUNT(*) AS n FROM aihub_dead_letters WHERE topic = 'dl.many'", {
        type: 'SELECT',
      })) as { n: unknown }[];
      assert.equal(Number(row.n), 1200);
    });

    it('names refusals by a stable reason', () => {
      assert.equal(deadLetterReason({ parent: { code: '22P05' } }), 'invalid_text');
      assert.equal(deadLetterReason({ parent: { code: '22003' } }), 'out_of_range');
      assert.equal(deadLetterReason({ parent: { code: '22001' } }), 'too_long');
      assert.equal(deadLetterReason({ parent: { code: '23502' } }), 'constraint');
      assert.equal(deadLetterReason({ parent: { code: '22008' } }), 'invalid_value');
      assert.equal(deadLetterReason(new Error('boom')), 'write_failed');
    });
  });
}
