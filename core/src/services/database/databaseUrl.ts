import path from 'node:path';
import type { Dialect } from './Database';

export type ParsedDatabaseUrl = { dialect: 'sqlite'; storage: string } | { dialect: 'postgres'; url: string };

/**
 * Reads a database URL from config:
 * - `sqlite::memory:` — an in-memory database (tests);
 * - `sqlite:/abs/path.sqlite`, `sqlite:./data/aihub.sqlite`, `sqlite:///abs/path.sqlite` — a file;
 *   relative paths are resolved against the working directory;
 * - `postgres://user:pass@host:port/db` or `postgresql://…`.
 */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  if (url.startsWith('sqlite:')) {
    let rest = url.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '//:memory:') return { dialect: 'sqlite', storage: ':memory:' };
    if (rest.startsWith('//')) rest = rest.slice(2);
    const query = rest.indexOf('?');
    if (query >= 0) rest = rest.slice(0, query);
    if (rest === '')
      throw new Error('The SQLite database URL has no file path: use sqlite:./data/aihub.sqlite or sqlite::memory:');
    return { dialect: 'sqlite', storage: path.resolve(decodeURIComponent(rest)) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return { dialect: 'postgres', url };
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '(none)';
  throw new Error(
    `Unsupported database URL scheme ${scheme}: use sqlite:<file>, sqlite::memory: or postgres://user:pass@host:5432/db`,
  );
}

export function dialectOf(url: string): Dialect {
  return parseDatabaseUrl(url).dialect;
}
