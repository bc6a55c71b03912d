/**
 * True for database failures that pass on their own (server down or restarting, network cut, pool
 * exhausted, lock contention): the batch is retried rather than split or dead-lettered.
 */
export function isTransientDbError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; message?: string; parent?: { code?: string; message?: string }; original?: { code?: string }; code?: string };
  const name = e.name ?? '';
  if (/^Sequelize(Connection|HostNotReachable|HostNotFound|InvalidConnection|AccessDenied|Timeout)/.test(name)) return true;
  const code = e.parent?.code ?? e.original?.code ?? e.code ?? '';
  if (/^(08|57P|53|40001|40P01)/.test(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code)) return true;
  const msg = `${e.message ?? ''} ${e.parent?.message ?? ''}`;
  return /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|ECONNREFUSED|ECONNRESET|SQLITE_BUSY|database is locked|The database is closed/i.test(msg);
}
