import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import type { Database, Dialect, MigrationSet, MigrationStatus, PoolStats } from './Database';
import { parseDatabaseUrl } from './databaseUrl';
import { appliedNewestFirst, createUmzug, migrationModel, pendingIn, planMigrations, statusOf } from './migrations';

export interface DatabaseOptions {
  /** `sqlite:./data/aihub.sqlite`, `sqlite::memory:` or `postgres://user:pass@host:5432/db`. */
  url: string;
  /** Receives every SQL statement (debugging); nothing is logged without it. */
  logging?: (sql: string) => void;
  /** Connection pool (PostgreSQL; SQLite always uses one connection plus one per transaction). */
  pool?: { max?: number };
  /** How long an SQLite statement waits for a lock held by another connection. Default 5000 ms. */
  sqliteBusyTimeoutMs?: number;
  /** ping() rejects when `SELECT 1` takes longer than this. Default 5000 ms. */
  pingTimeoutMs?: number;
}

/** The bit of node-sqlite3's Database that the connection setup uses. */
interface SqliteConnection {
  configure(option: 'busyTimeout', value: number): void;
  run(sql: string, callback: (err: Error | null) => void): void;
}

/** Any key will do as long as every AI Hub instance uses the same one: it serializes migrations. */
const MIGRATION_LOCK_KEY = 727_011;

/** Runs async functions one at a time, in call order. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  /** Functions running or waiting (for the pool metrics: SQLite transactions queue here). */
  pending = 0;

  run<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return result;
  }
}

/**
 * SQLite connection setup. Sequelize's SQLite dialect bypasses its pool and its afterConnect hooks
 * (it opens one connection for plain queries and one per transaction), so the setup wraps
 * `getConnection`: the parent directory is created without blocking the loop, every connection gets a
 * busy timeout (so concurrent writers wait for the lock instead of failing with SQLITE_BUSY), and the
 * first switches the file to WAL (persistent: readers no longer block the writer and vice versa).
 */
function configureSqlite(sequelize: Sequelize, storage: string, busyTimeoutMs: number): void {
  const manager = sequelize.connectionManager as unknown as {
    getConnection(options?: object): Promise<SqliteConnection>;
  };
  const original = manager.getConnection.bind(manager);
  const configured = new WeakSet<SqliteConnection>();
  const inMemory = storage === ':memory:';
  let directory: Promise<unknown> | undefined;
  let wal: Promise<void> | undefined;
  // Both one-time steps are shared while they run and kept once done, but a failure is forgotten:
  // the next connect tries again (a directory created, a disk remounted) instead of failing forever.
  manager.getConnection = async (options?: object) => {
    if (!inMemory)
      await (directory ??= mkdir(path.dirname(storage), { recursive: true }).catch((err: unknown) => {
        directory = undefined;
        throw err;
      }));
    const connection = await original(options);
    if (!configured.has(connection)) {
      connection.configure('busyTimeout', busyTimeoutMs);
      if (!inMemory) {
        wal ??= new Promise<void>((resolve, reject) =>
          connection.run('PRAGMA journal_mode=WAL', (err) => (err ? reject(err) : resolve())),
        ).catch((err: unknown) => {
          wal = undefined;
          throw err;
        });
        await wal;
      }
      configured.add(connection);
    }
    return connection;
  };
}

class SequelizeDatabase implements Database {
  private readonly sqliteTransactions = new Mutex();
  /** Set inside an SQLite transaction function, to turn a nested transaction() into an error, not a deadlock. */
  private readonly inSqliteTransaction = new AsyncLocalStorage<true>();
  private closed = false;

  constructor(
    readonly sequelize: Sequelize,
    readonly dialect: Dialect,
    private readonly poolMax: number,
    private readonly pingTimeoutMs: number,
  ) {}

  tableName(prefix: string, name: string): string {
    return `${prefix}_${name}`;
  }

  poolStats(): PoolStats {
    if (this.dialect !== 'postgres') {
      // SQLite bypasses Sequelize's pool: transactions run one at a time through the mutex.
      const pending = this.sqliteTransactions.pending;
      return { max: 1, inUse: pending > 0 ? 1 : 0, idle: pending > 0 ? 0 : 1, waiting: Math.max(0, pending - 1) };
    }
    const pool = (
      this.sequelize.connectionManager as unknown as {
        pool?: { using: number; available: number; waiting: number; maxSize: number };
      }
    ).pool;
    if (!pool || typeof pool.using !== 'number') return { max: this.poolMax, inUse: 0, idle: 0, waiting: 0 };
    return { max: pool.maxSize, inUse: pool.using, idle: pool.available, waiting: pool.waiting };
  }

  async migrateUp(sets: MigrationSet[]): Promise<string[]> {
    const plan = planMigrations(sets);
    return this.withMigrationLock(async () => {
      const model = migrationModel(this.sequelize);
      // Read under the lock, as umzug would: when nothing is pending (every restart but the first
      // after an upgrade) umzug is not loaded at all.
      if (pendingIn(plan, new Set(await appliedNewestFirst(model))).length === 0) return [];
      const umzug = createUmzug(this.sequelize, this.dialect, plan, model);
      const applied = await umzug.up();
      return applied.map((m) => m.name);
    });
  }

  async migrateDown(sets: MigrationSet[], steps = 1): Promise<string[]> {
    if (!Number.isInteger(steps) || steps < 1)
      throw new RangeError(`steps must be a positive integer, got ${String(steps)}`);
    const plan = planMigrations(sets);
    const known = new Map(plan.map((p) => [p.id, p]));
    return this.withMigrationLock(async () => {
      const model = migrationModel(this.sequelize);
      // Migrations of owners not passed in (a removed plugin) are left alone: their code is not here.
      const revert = (await appliedNewestFirst(model)).filter((id) => known.has(id)).slice(0, steps);
      const irreversible = revert.filter((id) => !known.get(id)!.migration.down);
      if (irreversible.length > 0) {
        throw new Error(`Cannot revert ${irreversible.join(', ')}: no down() migration; nothing was reverted`);
      }
      const umzug = createUmzug(this.sequelize, this.dialect, plan, model);
      const reverted = await umzug.down({ migrations: revert });
      return reverted.map((m) => m.name);
    });
  }

  async migrationStatus(sets: MigrationSet[]): Promise<MigrationStatus[]> {
    const plan = planMigrations(sets);
    const applied = new Set(await appliedNewestFirst(migrationModel(this.sequelize)));
    return statusOf(plan, applied);
  }

  transaction<T>(fn: (t: Transaction) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') {
      // SQLite has one writer at a time. IMMEDIATE takes the write lock at BEGIN, so two transactions
      // never deadlock upgrading read locks (which no busy timeout resolves); the in-process queue
      // avoids spinning on the lock and keeps `:memory:` (one shared connection) from nesting BEGINs.
      if (this.inSqliteTransaction.getStore()) {
        return Promise.reject(
          new Error(
            'transaction() was called inside another transaction on SQLite, which would wait for itself forever; pass the outer transaction to your queries instead',
          ),
        );
      }
      return this.sqliteTransactions.run(() =>
        this.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, (t) =>
          this.inSqliteTransaction.run(true, () => fn(t)),
        ),
      );
    }
    return this.sequelize.transaction(fn);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('The database is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Database ping timed out after ${this.pingTimeoutMs} ms`)),
        this.pingTimeoutMs,
      );
    });
    try {
      await Promise.race([this.sequelize.query('SELECT 1', { type: QueryTypes.SELECT }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sequelize.close();
  }

  /**
   * On PostgreSQL, several gateway instances may start at once: a transaction-scoped advisory lock,
   * held on its own connection while the migrations run on others, lets one instance migrate while the
   * rest wait and then find nothing pending. It needs a second pool connection, hence the pool check.
   */
  private async withMigrationLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dialect !== 'postgres' || this.poolMax < 2) return fn();
    return this.sequelize.transaction(async (t) => {
      await this.sequelize.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`, {
        transaction: t,
        type: QueryTypes.SELECT,
      });
      return fn();
    });
  }
}

/**
 * Opens the relational database named by `url`. Connections are made on first use, so this never
 * throws for an unreachable server: call `ping()` to check.
 */
export function createDatabase(options: DatabaseOptions): Database {
  const parsed = parseDatabaseUrl(options.url);
  const log = options.logging;
  const logging = log ? (sql: string) => log(sql) : false;
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  if (parsed.dialect === 'sqlite') {
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: parsed.storage, logging, pool: { max: 1 } });
    configureSqlite(sequelize, parsed.storage, options.sqliteBusyTimeoutMs ?? 5000);
    return new SequelizeDatabase(sequelize, 'sqlite', 1, pingTimeoutMs);
  }
  const poolMax = options.pool?.max ?? 10;
  const sequelize = new Sequelize(parsed.url, {
    dialect: 'postgres',
    logging,
    // acquire bounds the wait for a free connection, so a saturated or dead server fails calls instead of queueing them forever.
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions: { connectionTimeoutMillis: 5000, keepAlive: true },
  });
  return new SequelizeDatabase(sequelize, 'postgres', poolMax, pingTimeoutMs);
}
