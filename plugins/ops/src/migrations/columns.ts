import type { MigrationContext } from '@aihub/core/plugin-api';

// Column types and helpers shared by this plugin's migrations (each migration is one file beside this).

/** Instants: timestamptz on PostgreSQL, fixed-width ISO-8601 text on SQLite (sorts in time order). */
export const instant = (d: MigrationContext['dialect']) =>
  d === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'VARCHAR(24)';
