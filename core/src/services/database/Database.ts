import type { QueryInterface, Sequelize, Transaction } from 'sequelize';

/**
 * The relational database: Sequelize on an SQLite file (embedded default) or PostgreSQL (by URL).
 * Plugins define their models on `sequelize` and ship migrations that run on both dialects.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface MigrationContext {
  sequelize: Sequelize;
  queryInterface: QueryInterface;
  dialect: Dialect;
  /** `table('keys')` → `<plugin prefix>_keys`: each plugin owns its tables' names. */
  table(name: string): string;
}

export interface Migration {
  /** Unique within the plugin and sortable: `0001_create_keys`. */
  name: string;
  up(ctx: MigrationContext): Promise<void>;
  down?(ctx: MigrationContext): Promise<void>;
}

export interface MigrationSet {
  /** Owner of the migrations: `core` or a plugin name. */
  owner: string;
  /** Table-name prefix for this owner (`aihub` for core, the plugin name with `_` for plugins). */
  tablePrefix: string;
  migrations: Migration[];
}

export interface MigrationStatus {
  owner: string;
  name: string;
  applied: boolean;
}

export interface Database {
  readonly dialect: Dialect;
  readonly sequelize: Sequelize;
  /** Table name for a prefix: `tableName('auth', 'keys')` → `auth_keys`. */
  tableName(prefix: string, name: string): string;
  migrateUp(sets: MigrationSet[]): Promise<string[]>;
  /** Reverts the last `steps` applied migrations (across owners, newest first). */
  migrateDown(sets: MigrationSet[], steps?: number): Promise<string[]>;
  migrationStatus(sets: MigrationSet[]): Promise<MigrationStatus[]>;
  transaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Connection pool counts now, read from the pool without I/O (the metrics read it on scrape). */
  poolStats?(): PoolStats;
}

/** A database connection pool's state: its size limit, connections in use and idle, and callers waiting for one. */
export interface PoolStats {
  max: number;
  inUse: number;
  idle: number;
  waiting: number;
}
