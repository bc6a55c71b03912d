/**
 * The analytics' SQLite reader connections (src/analytics/readSql.ts) when they fail, on real
 * SQLite files: a reader whose open failed is opened again (on a backoff) and the reads meanwhile
 * run on the main connection, said once in the log; a reader closed under it or whose file is
 * damaged is dropped; one statement per reader at a time. And the read errors the admin routes
 * answer with (src/analytics/readErrors.ts): the plugin's codes as problem+json, on SQLite and
 * PostgreSQL (the routes' path is shared), 503 with Retry-After for a locked database.
 */
import assert from 'node:assert/strict';
import { mkdir, open as openFile, rename, rmdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Sequelize } from 'sequelize';
import { GatewayError, createSql, num, type Logger, type Sql } from '@aihub/core/plugin-api';
import {
  asCaller,
  createBackend,
  createDatabase,
  createTestDatabase,
  identityPlugin,
  startTestGateway,
  type Backend,
  type BackendKind,
  type TestDatabase,
  type TestGateway,
} from '@aihub/core/testing';
import { readSql } from '../src/analytics/readSql';
import behaviorPlugin from '../src/index';

interface Connection {
  open?: boolean;
  close(cb: (err: Error | null) => void): void;
}
const connectionsOf = (sql: Sql) =>
  (sql.sequelize.connectionManager as unknown as { connections: Record<string, Connection | undefined> }).connections;

/** The log lines readSql writes, by level and event (a stable name). */
function recordingLogger() {
  const lines: string[] = [];
  const logger = {
    warn: (_message: string, fields: { event: string }) => lines.push(`warn ${fields.event}`),
    info: (_message: string, fields: { event: string }) => lines.push(`info ${fields.event}`),
  } as unknown as Pick<Logger, 'warn' | 'info'>;
  return { lines, logger };
}

/** `sql`, counting the statements that run on its main connection. */
function counting(sql: Sql) {
  const counted = {
    main: 0,
    sql: {
      get dialect() {
        return sql.dialect;
      },
      get sequelize() {
        return sql.sequelize;
      },
      rows: (text, bind, transaction) => {
        counted.main++;
        return sql.rows(text, bind, transaction);
      },
      transaction: (fn) => sql.transaction(fn),
    } as Sql,
  };
  return counted;
}

/** Fails the test instead of hanging it: the old reader's statements on a failed open never ended. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('behavior analytics readers (SQLite file)', () => {
  let test: TestDatabase;
  let database: ReturnType<typeof createDatabase>;
  let sql: Sql;
  let file: string;
  const T = 'SELECT x FROM t ORDER BY x';
  const expected = [{ x: 1 }, { x: 2 }];

  before(async () => {
    test = await createTestDatabase('sqlite');
    file = test.url.slice('sqlite:'.length);
    database = createDatabase({ url: test.url, sqliteBusyTimeoutMs: 200 });
    sql = createSql(database);
    await sql.rows('CREATE TABLE t (x INTEGER)');
    await sql.rows('INSERT INTO t (x) VALUES (1), (2) RETURNING x');
  });
  after(async () => {
    await database.close();
    await test.drop();
  });

  it('reads on the main connection while no reader opens, says so once, and opens them again on a backoff', async () => {
    let clock = 1_000_000;
    const { lines, logger } = recordingLogger();
    const counted = counting(sql);
    const manager = sql.sequelize.connectionManager as unknown as {
      getConnection(o?: { uuid?: string }): Promise<unknown>;
    };
    const getConnection = manager.getConnection;
    let opens = 0;
    manager.getConnection = (o) => {
      if (o?.uuid?.startsWith('failing-')) opens++;
      return getConnection.call(manager, o);
    };
    const read = readSql(counted.sql, { uuid: 'failing', logger, now: () => clock, retryMs: 1000 });
    // The file is out of reach of a new connection (a directory in its place: SQLITE_CANTOPEN); the
    // main connection, open already, still reads it.
    await rename(file, `${file}.away`);
    await mkdir(file);
    try {
      assert.deepEqual(await within(5000, read.rows(T)), expected);
      assert.equal(opens, 2, 'each reader tried once');
      assert.equal(counted.main, 1);
      assert.deepEqual(lines, [
        'warn behavior_analytics_reader_failed',
        'warn behavior_analytics_reader_failed',
        'warn behavior_analytics_readers_unavailable',
      ]);
      // A second failure in a row, then no open at all for retryMs: reads go to the main connection.
      assert.deepEqual(await within(5000, read.rows(T)), expected);
      assert.equal(opens, 4);
      for (let i = 0; i < 5; i++) assert.deepEqual(await within(5000, read.rows(T)), expected);
      assert.equal(opens, 4, 'no open before the backoff ends');
      assert.equal(counted.main, 7);
      assert.equal(lines.length, 3, 'said once, not per read');
      // Sequelize keeps no connection that failed to open (it would hand it out again).
      assert.equal(connectionsOf(sql)['failing-0'], undefined);
    } finally {
      await rmdir(file);
      await rename(`${file}.away`, file);
    }
    clock += 999;
    await read.rows(T);
    assert.equal(opens, 4);
    clock += 1;
    assert.deepEqual(await within(5000, read.rows(T)), expected);
    assert.equal(opens, 5, 'one reader opened again');
    assert.equal(counted.main, 8, 'and that read was its');
    assert.equal(connectionsOf(sql)['failing-0']?.open, true);
    assert.equal(lines.at(-1), 'info behavior_analytics_readers_restored');
    assert.equal(lines.length, 4);
    manager.getConnection = getConnection;
  });

  it('answers every waiting read when the readers fail to open while reads queue for them', async () => {
    // Four reads at once on two readers that both fail to open (the second failure in a row: each
    // waits out its backoff). The old queue handed a failed reader's release to the next read as
    // "look again", which queued itself behind the others while nothing was running: two reads, and
    // every later one, waited forever.
    let clock = 5_000_000;
    const read = readSql(sql, { uuid: 'queued-failing', now: () => clock });
    await rename(file, `${file}.away`);
    await mkdir(file);
    try {
      for (let i = 0; i < 2; i++) assert.deepEqual(await within(5000, read.rows(T)), expected);
      clock += 1000;
      const reads = Array.from({ length: 4 }, () => within(5000, read.rows(T)));
      for (const rows of await Promise.all(reads)) assert.deepEqual(rows, expected);
      clock += 5000;
      assert.deepEqual(await within(5000, read.rows(T)), expected);
    } finally {
      await rmdir(file);
      await rename(`${file}.away`, file);
    }
    clock += 60_000;
    assert.deepEqual(await within(5000, read.rows(T)), expected);
    assert.equal(connectionsOf(sql)['queued-failing-0']?.open, true, 'opened again once the file is back');
  });

  it('opens a reader again when it was closed under it', async () => {
    const read = readSql(sql, { uuid: 'closed' });
    assert.deepEqual(await read.rows(T), expected);
    const first = connectionsOf(sql)['closed-0']!;
    await new Promise<void>((resolve, reject) => first.close((err) => (err ? reject(err) : resolve())));
    assert.deepEqual(await within(5000, read.rows(T)), expected);
    const again = connectionsOf(sql)['closed-0'];
    assert.ok(again && again !== first && again.open);
  });

  it('drops a reader whose file is damaged and answers analytics_database_damaged', async () => {
    const other = await createTestDatabase('sqlite');
    const otherDb = createDatabase({ url: other.url });
    const otherSql = createSql(otherDb);
    try {
      await otherSql.rows('CREATE TABLE big (x INTEGER, pad TEXT)');
      await otherSql.rows(
        `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
         INSERT INTO big SELECT x, printf('%0100d', x) FROM c RETURNING x`,
      );
      await otherSql.rows('PRAGMA wal_checkpoint(TRUNCATE)');
      const [{ page_size }] = await otherSql.rows<{ page_size: number }>('PRAGMA page_size');
      const [{ rootpage }] = await otherSql.rows<{ rootpage: number }>(
        "SELECT rootpage FROM sqlite_master WHERE name = 'big'",
      );
      // The table's root page overwritten: a connection that has not read it yet finds it damaged.
      const fh = await openFile(other.url.slice('sqlite:'.length), 'r+');
      await fh.write(Buffer.alloc(64, 0xff), 0, 64, (rootpage - 1) * page_size);
      await fh.close();
      let clock = 0;
      const read = readSql(otherSql, { uuid: 'damaged', connections: 1, now: () => clock });
      const err = await read.rows('SELECT COUNT(*) AS n FROM big').catch((e: unknown) => e);
      assert.ok(err instanceof GatewayError, String(err));
      assert.equal(err.code, 'analytics_database_damaged');
      assert.equal(err.status, 500);
      assert.deepEqual(err.details, { db_code: 'SQLITE_CORRUPT' });
      assert.equal(connectionsOf(otherSql)['damaged-0'], undefined, 'the reader is closed and forgotten');
      // Opened again by the next read, which fails the same way; the one after waits for the backoff
      // and reads on the main connection (which has the page in its cache, or fails the same way).
      await assert.rejects(read.rows('SELECT COUNT(*) AS n FROM big'), { code: 'analytics_database_damaged' });
      const opened = connectionsOf(otherSql)['damaged-0'];
      assert.equal(opened, undefined);
      const third = await read.rows<{ n: number }>('SELECT COUNT(*) AS n FROM big').then(
        (r) => num(r[0].n),
        (e: unknown) => (e as GatewayError).code,
      );
      assert.ok(third === 2000 || third === 'analytics_database_damaged', String(third));
      assert.equal(connectionsOf(otherSql)['damaged-0'], undefined, 'not opened during the backoff');
      clock += 1000;
      await assert.rejects(read.rows('SELECT COUNT(*) AS n FROM big'), { code: 'analytics_database_damaged' });
    } finally {
      await otherDb.close();
      await other.drop();
    }
  });

  it('runs one statement per reader at a time, so slow reads leave libuv threads to the rest of the gateway', async () => {
    // node-sqlite3 runs each statement on a thread of libuv's pool (4 by default), and a statement
    // waiting for its busy connection holds one too: four slow reads on two readers held all four, and
    // zlib, DNS, fs and the main connection's statements waited for one of the reads to end.
    const read = readSql(sql, { uuid: 'queue' });
    const slow = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1) SELECT COUNT(*) AS n FROM c`;
    const done: string[] = [];
    const reads = Array.from({ length: 4 }, () => read.rows(slow, [3_000_000]).then(() => done.push('read')));
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all([
      promisify(gzip)(Buffer.alloc(10_000)).then(() => done.push('gzip')),
      sql.rows('SELECT 1 AS one').then(() => done.push('main')),
    ]);
    await Promise.all(reads);
    assert.deepEqual(done.slice(0, 2).sort(), ['gzip', 'main'], done.join());
  });

  it('answers 503 analytics_busy with Retry-After when the file stays locked past the busy timeout', async () => {
    // A file in rollback-journal mode (no WAL): a writer's exclusive lock keeps readers out.
    const other = await createTestDatabase('sqlite');
    const storage = other.url.slice('sqlite:'.length);
    const open = () => new Sequelize({ dialect: 'sqlite', storage, logging: false });
    const gateway = open();
    const locker = open();
    try {
      await gateway.query('CREATE TABLE t (x INTEGER)');
      const plain = {
        dialect: 'sqlite',
        sequelize: gateway,
        rows: (text: string, bind: unknown[] = []) => gateway.query(text, { bind, type: 'SELECT', raw: true }),
        transaction: () => Promise.reject(new Error('not used')),
      } as unknown as Sql;
      const read = readSql(plain, { uuid: 'busy' });
      assert.deepEqual(await read.rows('SELECT x FROM t'), []);
      await locker.query('BEGIN EXCLUSIVE');
      const err = await read.rows('SELECT x FROM t').catch((e: unknown) => e);
      assert.ok(err instanceof GatewayError, String(err));
      assert.equal(err.code, 'analytics_busy');
      assert.equal(err.status, 503);
      assert.equal(err.headers?.['retry-after'], '2');
      assert.deepEqual(err.details, { db_code: 'SQLITE_BUSY' });
      assert.equal((err.cause as { code?: string }).code, 'SQLITE_BUSY');
      await locker.query('COMMIT');
      // Busy is not the reader's fault: it stays and reads on.
      assert.deepEqual(await read.rows('SELECT x FROM t'), []);
    } finally {
      await locker.close();
      await gateway.close();
      await other.drop();
    }
  });
});

for (const kind of ['embedded', 'postgres'] as BackendKind[]) {
  describe(`behavior analytics read errors through the admin routes (${kind})`, () => {
    let backend: Backend;
    let gw: TestGateway;
    before(async () => {
      backend = await createBackend(kind);
      gw = await startTestGateway({
        plugins: [identityPlugin(), behaviorPlugin],
        pluginConfig: { behavior: { consumer: { blockMs: 50 } } },
        config: backend.config,
      });
    });
    after(async () => {
      await gw?.stop();
      await backend?.cleanup();
    });

    it('a query the database refuses is a 500 problem with the plugin’s code and the database’s', async () => {
      const path = '/admin/v1/tenants/ta/analytics/events?from=2024-03-01&to=2024-03-31&users=false';
      const headers = asCaller({ tenant: 'ta', role: 'developer' });
      assert.equal((await gw.fetch(path, { headers })).status, 200);
      await gw.runtime(behaviorPlugin).sql.rows('DROP TABLE behavior_daily_totals');
      const res = await gw.fetch(path, { headers });
      assert.equal(res.status, 500);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.code, 'analytics_read_failed');
      assert.equal(body.db_code, kind === 'embedded' ? 'SQLITE_ERROR' : '42P01');
      assert.match(String(body.detail), /The database refused an analytics query\. Report it with the request id/);
      assert.doesNotMatch(String(body.detail), /behavior_daily_totals/, 'no SQL or table names');
    });
  });
}
