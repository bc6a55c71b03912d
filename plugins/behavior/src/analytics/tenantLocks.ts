import type { Transaction } from 'sequelize';
import type { Sql } from '@aihub/core/plugin-api';

/**
 * Takes, for the rest of the transaction, the advisory lock of each tenant (PostgreSQL only: SQLite
 * runs one write transaction at a time) in one statement, in the order of the lock keys rather than
 * of the names. Why: a key is `hashtext` of the name and two names can share one
 * (`hashtext('tenant-60489') = hashtext('tenant-120827')`), so taking them in name order could take
 * two keys in opposite orders in two transactions (a third tenant sorting between the two names) and
 * deadlock; PostgreSQL would abort one after its deadlock timeout and the batch be retried, a stall.
 * A key shared by two tenants is taken once.
 */
export async function lockTenants(
  sql: Sql,
  tx: Transaction,
  lockClass: number,
  tenantIds: Iterable<string>,
  mode: 'shared' | 'exclusive',
): Promise<void> {
  if (sql.dialect !== 'postgres') return;
  const ids = [...new Set(tenantIds)];
  if (!ids.length) return;
  const fn = mode === 'exclusive' ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  const values = ids.map((_, i) => `($${i + 1})`).join(', ');
  await sql.rows(
    `SELECT COUNT(*) AS n FROM (SELECT ${fn}(${lockClass}, h) FROM (SELECT DISTINCT hashtext(t) AS h FROM (VALUES ${values}) v(t) ORDER BY h) k) l`,
    ids,
    tx,
  );
}
