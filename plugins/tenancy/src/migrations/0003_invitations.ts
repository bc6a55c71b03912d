import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';
import { id, timestamps } from './columns';

export const migration: Migration = {
  // Member invitations: a tenant admin invites an e-mail, the invited person accepts. The token
  // is stored only as its SHA-256; a partial unique index keeps one pending invitation per tenant
  // and e-mail (re-inviting revokes the previous one in the same transaction).
  name: '0003_invitations',
  async up({ queryInterface: qi, sequelize, table }) {
    const t = table('invitations');
    await qi.createTable(t, {
      id,
      tenant_id: {
        type: DataTypes.STRING(64),
        allowNull: false,
        references: { model: table('tenants'), key: 'id' },
        onDelete: 'CASCADE',
      },
      email: { type: DataTypes.STRING(254), allowNull: false },
      role: { type: DataTypes.STRING(16), allowNull: false },
      team_ids: { type: DataTypes.JSON, allowNull: false },
      token_hash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      status: { type: DataTypes.STRING(16), allowNull: false },
      expires_at: { type: DataTypes.DATE, allowNull: false },
      invited_by: { type: DataTypes.STRING(128), allowNull: true },
      accepted_by: { type: DataTypes.STRING(64), allowNull: true },
      accepted_at: { type: DataTypes.DATE, allowNull: true },
      ...timestamps,
    });
    await qi.addIndex(t, ['tenant_id', 'id'], { name: `${t}_tenant` });
    // Raw SQL: the same partial-index statement works on SQLite and PostgreSQL.
    await sequelize.query(
      `CREATE UNIQUE INDEX "${t}_one_pending" ON "${t}" (tenant_id, email) WHERE status = 'pending'`,
    );
  },
  async down({ queryInterface: qi, table }) {
    await qi.dropTable(table('invitations'));
  },
};
