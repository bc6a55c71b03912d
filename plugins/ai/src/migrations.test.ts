import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDatabase, createTestDatabase } from '@aihub/core/testing';
import { migrations } from './migrations';

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`ai migrations (${kind})`, () => {
    it('0002 re-keys ai_requests by (tenant_id, request_id), keeping the rows, and goes down and up again', async () => {
      const test = await createTestDatabase(kind);
      const db = await createDatabase({ url: test.url });
      try {
        const set = (n: number) => [{ owner: 'ai', tablePrefix: 'ai', migrations: migrations.slice(0, n) }];
        await db.migrateUp(set(1));
        const cols =
          'request_id, tenant_id, experiment, variant, model, status, latency_ms, prompt_tokens, completion_tokens, cost_micros, created_at';
        await db.sequelize.query(
          `INSERT INTO ai_requests (${cols}) VALUES ('r1', 'ta', 'e', 'v', 'm', 'success', 1, 2, 3, 4, 5), ('r2', NULL, NULL, NULL, 'm', 'error', 1, 2, 3, NULL, 6)`,
        );
        await db.migrateUp(set(2));
        const rows = async () =>
          (await db.sequelize.query('SELECT request_id, tenant_id FROM ai_requests ORDER BY request_id', {
            type: 'SELECT',
          })) as { request_id: string; tenant_id: string | null }[];
        assert.deepEqual(await rows(), [
          { request_id: 'r1', tenant_id: 'ta' },
          { request_id: 'r2', tenant_id: '' },
        ]);
        // Another tenant may now use r1; the same tenant still may not.
        await db.sequelize.query(
          `INSERT INTO ai_requests (${cols}) VALUES ('r1', 'tb', NULL, NULL, 'm', 'success', 1, 2, 3, NULL, 7)`,
        );
        await assert.rejects(
          db.sequelize.query(
            `INSERT INTO ai_requests (${cols}) VALUES ('r1', 'tb', NULL, NULL, 'm', 'success', 1, 2, 3, NULL, 8)`,
          ),
        );
        await db.migrateDown(set(2), 1);
        assert.deepEqual(
          await rows(),
          [
            { request_id: 'r1', tenant_id: 'ta' },
            { request_id: 'r2', tenant_id: null },
          ],
          'down keeps the first row of an id',
        );
        await db.migrateUp(set(2));
        assert.equal((await rows()).length, 2);
      } finally {
        await db.close();
        await test.drop();
      }
    });
  });
}
