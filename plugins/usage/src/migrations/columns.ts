import type { MigrationContext } from '@aihub/core/plugin-api';

// Column types and helpers shared by this plugin's migrations (each migration is one file beside this).

/**
 * Instants are `timestamptz` on PostgreSQL and fixed-width ISO-8601 text (`2025-01-02T03:04:05.678Z`)
 * on SQLite, where text compares in time order. Both are written from ISO strings (see sql.ts).
 */
export function instantType(dialect: MigrationContext['dialect']): string {
  return dialect === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'VARCHAR(24)';
}

export const counter = () => ({ type: 'BIGINT', allowNull: false, defaultValue: 0 });

export const dim = (len: number) => ({ type: `VARCHAR(${len})`, allowNull: false, defaultValue: '' });
