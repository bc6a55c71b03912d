/**
 * Profiles under concurrent consumers (PostgreSQL): two writers merging traits of the same users at
 * the same time lose nothing, and redelivered events change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDatabase, createTestDatabase, type TestDatabase } from '@aihub/core/testing';
import { EventWriter } from '../src/consumer/EventWriter';
import type { StoredEvent } from '../src/ingest/events';
import { behaviorMigrations } from '../src/migrations';
import { createSql } from '@aihub/core/plugin-api';

describe('profiles with concurrent writers (postgres)', () => {
  let tdb: TestDatabase;
  let dbs: ReturnType<typeof createDatabase>[];

  before(async () => {
    tdb = await createTestDatabase('postgres');
    dbs = [createDatabase({ url: tdb.url }), createDatabase({ url: tdb.url })];
    await dbs[0].migrateUp([{ owner: 'behavior', tablePrefix: 'behavior', migrations: behaviorMigrations }]);
  });

  after(async () => {
    for (const d of dbs ?? []) await d.close();
    await tdb?.drop();
  });

  it('merges traits from concurrent batches without losing any', async () => {
    const tables = {
      events: 'behavior_events',
      profiles: 'behavior_profiles',
      deleted: 'behavior_deleted_users',
      tenants: 'behavior_tenants',
      daily: 'behavior_daily_users',
    };
    const writers = dbs.map((d) => new EventWriter(createSql(d), tables));
    const ev = (w: number, round: number, user: number): StoredEvent => ({
      tenantId: 'tc',
      messageId: `w${w}-r${round}-u${user}`,
      type: 'identify',
      event: null,
      userId: `user-${user}`,
      anonymousId: `anon-${w}-${user}`,
      groupId: null,
      previousId: null,
      timestamp: new Date(Date.UTC(2025, 0, 1, 0, round)).toISOString(),
      receivedAt: new Date().toISOString(),
      properties: null,
      traits: { [`w${w}r${round}`]: true },
      context: null,
    });
    const rounds = 10;
    const users = 50;
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let r = 0; r < rounds; r++) await writer.write(Array.from({ length: users }, (_, u) => ev(w, r, u)));
      }),
    );
    // Redelivery of a whole round changes nothing.
    const again = await writers[0].write(Array.from({ length: users }, (_, u) => ev(0, 3, u)));
    assert.equal(again.inserted, 0);
    assert.equal(again.duplicates, users);
    const rows = (await dbs[0].sequelize.query(
      "SELECT user_id, traits, anonymous_ids, event_count, first_seen, last_seen FROM behavior_profiles WHERE tenant_id = 'tc'",
      { type: 'SELECT' },
    )) as Record<string, unknown>[];
    assert.equal(rows.length, users);
    for (const r of rows) {
      const traits = JSON.parse(String(r.traits)) as Record<string, boolean>;
      assert.equal(Object.keys(traits).length, 2 * rounds, `${String(r.user_id)} has every trait`);
      assert.equal(Number(r.event_count), 2 * rounds);
      assert.equal((JSON.parse(String(r.anonymous_ids)) as string[]).length, 2);
      assert.equal((r.first_seen as Date).toISOString(), '2025-01-01T00:00:00.000Z');
      assert.equal((r.last_seen as Date).toISOString(), new Date(Date.UTC(2025, 0, 1, 0, rounds - 1)).toISOString());
    }
  });
});
