import { DataTypes } from 'sequelize';

// Column types and helpers shared by this plugin's migrations (each migration is one file beside this).

export const created = { type: DataTypes.DATE, allowNull: false };
