import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';

export const migration: Migration = {
  // The console's account page: a display name and a preferred language (en, zh-CN, …) per user.
  name: '0004_user_profile',
  async up({ queryInterface: qi, table }) {
    await qi.addColumn(table('users'), 'display_name', { type: DataTypes.STRING(200), allowNull: true });
    await qi.addColumn(table('users'), 'preferred_language', { type: DataTypes.STRING(35), allowNull: true });
  },
  async down({ queryInterface: qi, table }) {
    await qi.removeColumn(table('users'), 'preferred_language');
    await qi.removeColumn(table('users'), 'display_name');
  },
};
