import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MigrationSet } from './Database';
import { createDatabase } from './SequelizeDatabase';

/** Whether umzug (and so its CLI) is in this process's module cache. */
const umzugLoaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/umzug/'));

function forgetUmzug(): void {
  for (const file of Object.keys(require.cache)) if (file.includes('/node_modules/umzug/')) delete require.cache[file];
}

const migration = (name: string) => ({ name, up: async () => {} });

describe('umzug is loaded only when a migration runs', () => {
  it('a migrateUp that finds nothing pending, and migrationStatus, do not load it; a pending one does', async () => {
    const db = createDatabase({ url: 'sqlite::memory:' });
    try {
      const sets: MigrationSet[] = [{ owner: 'lazy', tablePrefix: 'lazy', migrations: [migration('0001_a')] }];
      assert.deepEqual(await db.migrateUp(sets), ['lazy:0001_a']);
      forgetUmzug();
      assert.deepEqual(await db.migrateUp(sets), []);
      assert.deepEqual(await db.migrationStatus(sets), [{ owner: 'lazy', name: '0001_a', applied: true }]);
      assert.equal(umzugLoaded(), false, 'umzug was loaded although nothing was pending');
      sets[0].migrations.push(migration('0002_b'));
      assert.deepEqual(await db.migrateUp(sets), ['lazy:0002_b']);
      assert.equal(umzugLoaded(), true);
    } finally {
      await db.close();
    }
  });
});
