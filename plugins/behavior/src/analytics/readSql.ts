import type { Sql } from '@aihub/core/plugin-api';

/** The part of a node-sqlite3 connection used here. */
interface SqliteConnection {
  all(sql: string, params: Record<string, unknown>, cb: (err: Error | null, rows: unknown[]) => void): void;
}

/** Sequelize's SQLite connection manager: one connection per `uuid` (the plain queries' is "default"). */
interface SqliteConnections {
  getConnection(options: { uuid: string }): Promise<SqliteConnection>;
}

/**
 * The analytics' reads, on SQLite on connections of their own (`connections`, each taking the
 * next read when it has the fewest running). Why: Sequelize runs every plain
 * (non-transaction) statement of the gateway on one SQLite connection, so one slow analytics query
 * held everything queued behind it — measured at 1,000,000 events, a 1.2–1.4 s retention query made
 * `POST /v1/track` (the outbox INSERT is a plain statement) and a profile page wait 1.2–1.3 s instead
 * of 3–12 ms. Other connections read in parallel (the file is in WAL mode: readers and the writer
 * do not block each other; node-sqlite3 runs each connection's statements on its own thread of the
 * libuv pool). Each statement reads its own snapshot, as a plain query does. The connections are
 * Sequelize's own (keyed by `uuid`, set up by core: busy timeout), so closing the database closes
 * them. PostgreSQL (a pool) and an in-memory SQLite database (a second connection would be another
 * database) read through `sql` itself, as do statements inside a transaction. Nothing is decided
 * until the first read: the database may not be touched while the plugin is being wired.
 */
export function readSql(sql: Sql, connections = 2, uuid = 'behavior-analytics-read'): Sql {
  const pool = Array.from({ length: connections }, (_, i) => ({
    uuid: `${uuid}-${i}`,
    open: undefined as Promise<SqliteConnection> | undefined,
    busy: 0,
  }));
  let own: boolean | undefined;
  const rows = async <T>(text: string, bind: unknown[] = [], transaction?: Parameters<Sql['rows']>[2]) => {
    if (own === undefined) {
      const storage = (sql.sequelize as unknown as { options: { storage?: string } }).options.storage;
      own = sql.dialect === 'sqlite' && !!storage && storage !== ':memory:';
    }
    if (transaction || !own) return sql.rows<T>(text, bind, transaction);
    // The least busy connection: a quick read (a profile page) does not queue behind a slow one.
    const slot = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    try {
      // A failed open is not kept: the next call tries again.
      slot.open ??= (sql.sequelize.connectionManager as unknown as SqliteConnections)
        .getConnection({ uuid: slot.uuid })
        .catch((err: unknown) => {
          slot.open = undefined;
          throw err;
        });
      const c = await slot.open;
      // Bound by name as Sequelize binds them ($1…$n), so the statements are the ones sql.rows runs.
      const params = Object.fromEntries(bind.map((v, i) => [`$${i + 1}`, v]));
      return await new Promise<T[]>((resolve, reject) =>
        c.all(text, params, (err, found) => (err ? reject(err) : resolve(found as T[]))),
      );
    } finally {
      slot.busy--;
    }
  };
  return {
    get dialect() {
      return sql.dialect;
    },
    get sequelize() {
      return sql.sequelize;
    },
    rows,
    transaction: (fn) => sql.transaction(fn),
  };
}
