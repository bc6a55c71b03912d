import { DataTypes } from 'sequelize';

// Column types and helpers shared by this plugin's migrations (each migration is one file beside this).

export const id = { type: DataTypes.STRING(64), primaryKey: true, allowNull: false };
export const timestamps = {
  created_at: { type: DataTypes.DATE, allowNull: false },
  updated_at: { type: DataTypes.DATE, allowNull: false },
};
