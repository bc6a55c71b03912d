import { isTransientDbError } from '@aihub/core/plugin-api';
import { BehaviorErrors } from '../errors';

/** SQLite codes of a damaged file. */
const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);
/** SQLite codes of a file that cannot be opened or read. */
const STORAGE = new Set(['SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_PERM', 'SQLITE_READONLY']);

/**
 * The database's code for an error of a query: an SQLite result code (`SQLITE_BUSY`: node-sqlite3's
 * own errors, or the `parent` of Sequelize's), a PostgreSQL SQLSTATE, or the name of a Sequelize
 * error that has neither (a pool that timed out); undefined for anything that is not the database's.
 */
export function dbCodeOf(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { name?: unknown; code?: unknown; parent?: { code?: unknown }; original?: { code?: unknown } };
  const code = e.parent?.code ?? e.original?.code ?? e.code;
  if (typeof code === 'string' && (code.startsWith('SQLITE_') || /^[0-9A-Z]{5}$/.test(code))) return code;
  if (typeof e.name === 'string' && e.name.startsWith('Sequelize')) return typeof code === 'string' ? code : e.name;
  return undefined;
}

/**
 * An analytics read's failure as an error of the plugin's catalogue (a stable code, a status and a
 * sentence saying what to do; the database's code as `db_code`, the error itself as the cause, which
 * the gateway logs): locked past the busy timeout 503 `analytics_busy`, a database that is down or
 * out of connections 503 `analytics_unavailable` (both with Retry-After), a damaged file
 * `analytics_database_damaged`, a file that cannot be opened or read `analytics_storage_failed`, any
 * other refusal `analytics_read_failed` (500s). Errors that are not the database's pass unchanged.
 */
export function readError(err: unknown): unknown {
  const code = dbCodeOf(err);
  if (code === undefined) return err;
  const options = { cause: err, details: { db_code: code }, expose: true };
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
    return BehaviorErrors.create('analytics_busy', undefined, { ...options, headers: { 'retry-after': '2' } });
  if (isTransientDbError(err))
    return BehaviorErrors.create('analytics_unavailable', undefined, { ...options, headers: { 'retry-after': '5' } });
  if (DAMAGED.has(code)) return BehaviorErrors.create('analytics_database_damaged', undefined, options);
  if (STORAGE.has(code)) return BehaviorErrors.create('analytics_storage_failed', undefined, options);
  return BehaviorErrors.create('analytics_read_failed', undefined, options);
}
