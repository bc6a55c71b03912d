import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // The console's key list: sorted, filtered and paged inside one tenant, fast at 100,000 keys.
  // Each sort order has a (tenant_id, column, id) index so a page is an index range scan that stops
  // after `limit + 1` rows (keyset paging: no OFFSET, no count). Also: the models a key may call,
  // and the link between a rotated key and its replacement.
  name: '0002_api_key_list_and_rotation',
  async up({ queryInterface: qi, table, sequelize, dialect }) {
    const t = table('api_keys');
    await qi.addColumn(t, 'allowed_models', { type: DataTypes.TEXT, allowNull: true });
    await qi.addColumn(t, 'rotated_from', { type: DataTypes.STRING(16), allowNull: true });
    await qi.addColumn(t, 'replaced_by', { type: DataTypes.STRING(16), allowNull: true });
    await qi.addIndex(t, ['tenant_id', 'created_at', 'id'], { name: `${t}_tenant_created` });
    await qi.addIndex(t, ['tenant_id', 'name', 'id'], { name: `${t}_tenant_name` });
    await qi.addIndex(t, ['tenant_id', 'expires_at', 'id'], { name: `${t}_tenant_expires` });
    await qi.addIndex(t, ['tenant_id', 'user_id', 'created_at'], { name: `${t}_tenant_user` });
    await qi.addIndex(t, ['tenant_id', 'team_id', 'created_at'], { name: `${t}_tenant_team` });
    // Never-used keys sort as the oldest: NULLS FIRST ascending (so NULLS LAST when scanned backwards,
    // for "-last_used_at"). SQLite always sorts NULL lowest, which is the same order.
    if (dialect === 'postgres')
      await sequelize.query(
        `CREATE INDEX "${t}_tenant_last_used" ON "${t}" (tenant_id, last_used_at ASC NULLS FIRST, id)`,
      );
    else await qi.addIndex(t, ['tenant_id', 'last_used_at', 'id'], { name: `${t}_tenant_last_used` });
  },
  async down({ queryInterface: qi, table }) {
    const t = table('api_keys');
    for (const name of ['created', 'name', 'expires', 'user', 'team', 'last_used'])
      await qi.removeIndex(t, `${t}_tenant_${name}`);
    for (const column of ['replaced_by', 'rotated_from', 'allowed_models']) await qi.removeColumn(t, column);
  },
};
