import type { Logger, Sql } from '@aihub/core/plugin-api';
import { dbCodeOf, readError } from './readErrors';

/** The part of a node-sqlite3 connection used here. */
interface SqliteConnection {
  /** False once closed, and for a connection whose open failed (its statements would wait forever). */
  readonly open?: boolean;
  all(sql: string, params: Record<string, unknown>, cb: (err: Error | null, rows: unknown[]) => void): void;
  close(cb: (err: Error | null) => void): void;
  /** Calls back once every statement started on the connection has ended and been finalized. */
  wait(cb: (err: Error | null) => void): void;
}

/** Sequelize's SQLite connection manager: one connection per `uuid` (the plain queries' is "default"). */
interface SqliteConnections {
  getConnection(options: { uuid: string }): Promise<SqliteConnection>;
  /** Its connections by uuid. A connection whose open failed stays here and is handed out again. */
  connections?: Record<string, SqliteConnection | undefined>;
}

export interface ReadSqlOptions {
  /** Reader connections (each runs one statement at a time). Default 2. */
  connections?: number;
  /** Their Sequelize uuids are `${uuid}-0`, `${uuid}-1`… */
  uuid?: string;
  /** Where "no reader, reading on the main connection" and "readers back" are said, once each. */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** After a reader's second failure in a row, the wait before it is opened again; doubles per failure. Default 1,000 ms. */
  retryMs?: number;
  /** The longest wait between two opens of a failing reader. Default 30,000 ms. */
  maxRetryMs?: number;
  /** The clock of those waits (tests pin it). */
  now?: () => number;
}

/**
 * SQLite codes after which a connection is not used again: its file cannot be opened or read, is
 * damaged, or the connection is closed. It is closed and forgotten; a later read opens a new one.
 */
const FATAL = new Set(['SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_MISUSE']);

interface Reader {
  uuid: string;
  /** Running a statement (or being opened for one): nothing else is given to it. */
  busy: boolean;
  /** Its connection, once open. */
  connection?: SqliteConnection;
  /** Failures in a row (opens, or statements that failed fatally); 0 after a statement succeeds. */
  failures: number;
  /** Not opened again before this time. */
  retryAt: number;
}

/**
 * The analytics' reads, on SQLite on connections of their own (`connections`). Why: Sequelize runs
 * every plain (non-transaction) statement of the gateway on one SQLite connection, so one slow
 * analytics query held everything queued behind it — measured at 1,000,000 events, a 1.2–1.4 s
 * retention query made `POST /v1/track` (the outbox INSERT is a plain statement) and a profile page
 * wait 1.2–1.3 s instead of 3–12 ms. Other connections read in parallel (the file is in WAL mode:
 * readers and the writer do not block each other). Each statement reads its own snapshot, as a plain
 * query does. The connections are Sequelize's own (keyed by uuid, set up by core: busy timeout), so
 * closing the database closes them. PostgreSQL (a pool) and an in-memory SQLite database (a second
 * connection would be another database) read through `sql` itself, as do statements inside a
 * transaction. Nothing is decided until the first read: the database may not be touched while the
 * plugin is being wired.
 *
 * One statement per reader at a time, later reads waiting their turn here: node-sqlite3 runs each
 * statement on a thread of libuv's pool (4 threads), a second statement on a busy connection holds
 * another thread while it waits for the connection's mutex, and it finalizes statements on the event
 * loop's thread under that mutex. Four slow reads at once held all four threads and paused the event
 * loop for seconds: DNS lookups, zlib, fs, the main connection and every request waited
 * (plugins/behavior/bench/threadpool.ts; README "SQLite readers").
 *
 * A reader that cannot be opened, or whose statement failed fatally (FATAL), is closed and forgotten
 * — Sequelize would otherwise hand out a connection whose open failed, and its statements never end —
 * and opened again by a later read: at once after the first failure, then no sooner than `retryMs`,
 * doubling to `maxRetryMs`. While no reader can be opened the reads run on the main connection,
 * which is said once in the log (`behavior_analytics_readers_unavailable`), as is the readers'
 * return (`behavior_analytics_readers_restored`). Errors become the plugin's (readError).
 */
export function readSql(sql: Sql, options: ReadSqlOptions = {}): Sql {
  const { connections = 2, uuid = 'behavior-analytics-read', logger } = options;
  const retryMs = options.retryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const now = options.now ?? Date.now;
  const readers: Reader[] = Array.from({ length: connections }, (_, i) => ({
    uuid: `${uuid}-${i}`,
    busy: false,
    failures: 0,
    retryAt: 0,
  }));
  /**
   * Reads waiting for a reader, first come first served. Each is handed a free reader it has not
   * tried yet, or undefined once none it has not tried can be opened (it then reads on the main
   * connection); a read keeps waiting only while such a reader is busy, whose release hands it on.
   */
  const waiting: { tried: Set<Reader>; resolve: (reader: Reader | undefined) => void }[] = [];
  let own: boolean | undefined;
  let onMain = false;

  const manager = () => sql.sequelize.connectionManager as unknown as SqliteConnections;
  /** Closes a connection and removes it from Sequelize's, so the next getConnection opens a new one. */
  const forget = (reader: Reader, connection: SqliteConnection | undefined) => {
    reader.connection = undefined;
    const cached = manager().connections;
    if (connection && cached?.[reader.uuid] === connection) delete cached[reader.uuid];
    // With a callback: closing one that never opened reports an error, which would otherwise be thrown.
    connection?.close(() => {});
  };
  const failed = (reader: Reader, err: unknown) => {
    reader.failures++;
    reader.retryAt = now() + (reader.failures < 2 ? 0 : Math.min(maxRetryMs, retryMs * 2 ** (reader.failures - 2)));
    if (reader.failures === 1)
      logger?.warn('behavior analytics reader connection failed; it is opened again on a later read', {
        event: 'behavior_analytics_reader_failed',
        reader: reader.uuid,
        db_code: dbCodeOf(err),
        err,
      });
  };
  const open = async (reader: Reader): Promise<SqliteConnection> => {
    if (reader.connection) {
      if (reader.connection.open !== false) return reader.connection;
      // Closed under us: forgotten, and opened anew without counting as a failure.
      forget(reader, reader.connection);
    }
    let connection: SqliteConnection | undefined;
    try {
      connection = await manager().getConnection({ uuid: reader.uuid });
      if (connection.open === false)
        throw Object.assign(new Error('SQLITE_MISUSE: Database is closed'), { code: 'SQLITE_MISUSE' });
      // Sequelize's open starts `PRAGMA FOREIGN_KEYS=ON` without waiting for it. node-sqlite3
      // finalizes a statement on the event loop's thread, under the connection's mutex: finalized
      // while our first (slow) read held that mutex, it stopped the whole gateway for that read.
      const opened = connection;
      await new Promise<void>((resolve, reject) => opened.wait((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      // Sequelize keeps a connection whose open failed (and hands it out again): forget it too.
      forget(reader, connection ?? manager().connections?.[reader.uuid]);
      throw err;
    }
    return (reader.connection = connection);
  };
  /** Open, or closed and due to be opened again. */
  const usable = (reader: Reader, t: number) => !!reader.connection || t >= reader.retryAt;

  /** Hands free readers to the waiting reads in order, and undefined to those left with none to try. */
  const dispatch = () => {
    const t = now();
    for (let i = 0; i < waiting.length;) {
      const { tried, resolve } = waiting[i];
      const candidates = readers.filter((r) => !tried.has(r) && usable(r, t));
      const free = candidates.find((r) => !r.busy);
      if (free) free.busy = true;
      else if (candidates.length) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      resolve(free);
    }
  };
  /** Frees the reader for the next waiting read. */
  const release = (reader: Reader) => {
    reader.busy = false;
    dispatch();
  };

  /** A reader, opened; undefined when none can be opened (the read then runs on the main connection). */
  const acquire = async (): Promise<{ reader: Reader; connection: SqliteConnection } | undefined> => {
    const tried = new Set<Reader>();
    for (;;) {
      const reader = await new Promise<Reader | undefined>((resolve) => {
        waiting.push({ tried, resolve });
        dispatch();
      });
      if (!reader) return undefined;
      try {
        return { reader, connection: await open(reader) };
      } catch (err) {
        tried.add(reader);
        failed(reader, err);
        release(reader);
      }
    }
  };

  const rows = async <T>(text: string, bind: unknown[] = [], transaction?: Parameters<Sql['rows']>[2]) => {
    if (own === undefined) {
      const storage = (sql.sequelize as unknown as { options: { storage?: string } }).options.storage;
      own = sql.dialect === 'sqlite' && !!storage && storage !== ':memory:';
    }
    if (transaction) return sql.rows<T>(text, bind, transaction);
    if (!own) return sql.rows<T>(text, bind).catch((err: unknown) => Promise.reject(readError(err)));
    const got = await acquire();
    if (!got) {
      if (!onMain) {
        onMain = true;
        logger?.warn('behavior analytics: no reader connection can be opened; analytics read on the main connection', {
          event: 'behavior_analytics_readers_unavailable',
          retry_ms: Math.min(...readers.map((r) => r.retryAt)) - now(),
        });
      }
      return sql.rows<T>(text, bind).catch((err: unknown) => Promise.reject(readError(err)));
    }
    const { reader, connection } = got;
    try {
      // Bound by name as Sequelize binds them ($1…$n), so the statements are the ones sql.rows runs.
      const params = Object.fromEntries(bind.map((v, i) => [`$${i + 1}`, v]));
      const found = await new Promise<T[]>((resolve, reject) =>
        connection.all(text, params, (err, result) => (err ? reject(err) : resolve(result as T[]))),
      );
      reader.failures = 0;
      if (onMain) {
        onMain = false;
        logger?.info('behavior analytics read on their own connections again', {
          event: 'behavior_analytics_readers_restored',
        });
      }
      return found;
    } catch (err) {
      const code = dbCodeOf(err);
      if (code && FATAL.has(code)) {
        forget(reader, connection);
        failed(reader, err);
      }
      throw readError(err);
    } finally {
      release(reader);
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
