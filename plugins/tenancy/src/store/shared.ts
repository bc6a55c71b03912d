import { Op, UniqueConstraintError, col, fn, where as sqlWhere, type Transaction, type WhereOptions } from 'sequelize';
import { CoreErrors, type Database } from '@aihub/core/plugin-api';
import type { CachedTenantDirectory } from '../directory';
import { encodeIdCursor } from '../pagination';
import type { OwnerChange, Page } from '../types';
import { TenancyErrors } from '../errors';

// What the entity stores (tenants, users, lockout, memberships, teams) share.

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Normalizes an e-mail for storage and lookup (trimmed, lower-case). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A normalized e-mail, or a 400 `invalid_email`. */
export function checkEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (normalized.length > 254 || !EMAIL.test(normalized))
    throw TenancyErrors.create('invalid_email', 'email must be an e-mail address of at most 254 characters.', {
      param: 'email',
    });
  return normalized;
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintError;
}

/** The one answer for "no such tenant" and "not your tenant": existence must not leak. */
export function tenantNotFound() {
  return CoreErrors.create('tenant_not_found', 'No such tenant (or it is not yours).');
}

/** Case-insensitive substring match that needs no LIKE escaping (user input may contain % and _). */
export function contains(db: Database, column: string, q: string): WhereOptions {
  const fnName = db.dialect === 'postgres' ? 'strpos' : 'instr';
  return sqlWhere(fn(fnName, fn('lower', col(column)), q.toLowerCase()), Op.gt, 0) as unknown as WhereOptions;
}

/** One keyset page: `limit + 1` rows were read, the extra one only says there is more. */
export function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  return { data, nextCursor: more ? encodeIdCursor(data[data.length - 1].id) : null };
}

/** Runs `work` in the caller's transaction, or in a new one when there is none. */
export function inTransaction<T>(
  db: Database,
  t: Transaction | undefined,
  work: (t: Transaction) => Promise<T>,
): Promise<T> {
  return t ? work(t) : db.transaction(work);
}

/** Runs `action` once `t` commits, or now without a transaction. */
export function afterCommit(t: Transaction | undefined, action: () => void): void {
  if (t) t.afterCommit(action);
  else action();
}

/**
 * Announces a change of a credential owner once it is committed. Sequelize awaits after-commit
 * hooks, so the route that made the change answers only when this instance's credentials (and the
 * cascades of its listeners) reflect it; other instances hear it over pub/sub.
 */
export async function announce(
  directory: CachedTenantDirectory,
  t: Transaction | undefined,
  change: OwnerChange,
): Promise<void> {
  if (t) t.afterCommit(() => directory.owners.emit(change));
  else await directory.owners.emit(change);
}
