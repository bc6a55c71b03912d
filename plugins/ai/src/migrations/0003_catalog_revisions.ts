import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // The live catalog: each change made through the admin API is a numbered revision holding the
  // whole API overlay after it (see catalog/CatalogStore.ts). Not tenant-owned: the catalog is the
  // platform's, changed by superadmins only.
  name: '0003_catalog_revisions',
  async up({ queryInterface: qi, table }) {
    await qi.createTable(table('catalog_revisions'), {
      revision: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
      author: { type: DataTypes.STRING(256), allowNull: true },
      action: { type: DataTypes.STRING(64), allowNull: false },
      target: { type: DataTypes.STRING(512), allowNull: true },
      overlay: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
  },
  async down({ queryInterface: qi, table }) {
    await qi.dropTable(table('catalog_revisions'));
  },
};
