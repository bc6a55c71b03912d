import { Op, type Transaction, type WhereOptions } from 'sequelize';
import { CoreErrors, type Database } from '@aihub/core/plugin-api';
import type { TenancyConfig } from '../config';
import type { CachedTenantDirectory } from '../directory';
import { ID_PREFIX, looksLikeId, newId } from '../ids';
import type { TenancyModels } from '../models';
import { decodeIdCursor, pageSize } from '../pagination';
import { MAX_PASSWORD_LENGTH, dummyVerify, hashPassword, verifyPasswordHash } from '../password';
import { toUser } from '../records';
import { withCrossTenantAccess } from '../scope';
import type { CreateUserInput, ListUsersInput, Page, UpdateUserInput, UserRecord } from '../types';
import { announce, checkEmail, contains, inTransaction, isUniqueViolation, normalizeEmail, page } from './shared';
import { TenancyErrors } from '../errors';

/** Users (platform-wide, not tenant-owned) and their passwords. */
export class UserStore {
  constructor(
    private readonly db: Database,
    private readonly models: TenancyModels,
    private readonly config: TenancyConfig,
    private readonly directory: CachedTenantDirectory,
  ) {}

  private checkNewPassword(password: string): void {
    if (password.length < this.config.password.minLength || password.length > MAX_PASSWORD_LENGTH) {
      throw CoreErrors.create(
        'invalid_password',
        `Passwords must be ${this.config.password.minLength} to ${MAX_PASSWORD_LENGTH} characters long.`,
        { param: 'password' },
      );
    }
  }

  async create(input: CreateUserInput, t?: Transaction): Promise<UserRecord> {
    const email = checkEmail(input.email);
    if (input.password !== undefined) this.checkNewPassword(input.password);
    const passwordHash =
      input.password !== undefined ? await hashPassword(input.password, this.config.password.scryptN) : null;
    try {
      const row = await this.models.User.create(
        {
          id: newId(ID_PREFIX.user),
          email,
          passwordHash,
          status: input.status ?? 'active',
          superadmin: input.superadmin ?? false,
          lockedUntil: null,
          lastLoginAt: null,
        },
        { transaction: t },
      );
      return toUser(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw TenancyErrors.create('email_taken', 'A user with this e-mail already exists.');
      throw err;
    }
  }

  async get(id: string, t?: Transaction): Promise<UserRecord | undefined> {
    if (!looksLikeId(id)) return undefined;
    const row = await this.models.User.findByPk(id, { transaction: t });
    return row ? toUser(row) : undefined;
  }

  /** Case-insensitive. */
  async byEmail(email: string, t?: Transaction): Promise<UserRecord | undefined> {
    const normalized = normalizeEmail(email);
    if (normalized.length > 254) return undefined;
    const row = await this.models.User.findOne({ where: { email: normalized }, transaction: t });
    return row ? toUser(row) : undefined;
  }

  async list(input: ListUsersInput = {}): Promise<Page<UserRecord>> {
    const limit = pageSize(input.limit);
    const after = decodeIdCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (after) and.push({ id: { [Op.gt]: after } });
    if (input.status) and.push({ status: input.status });
    if (input.q) and.push(contains(this.db, 'email', input.q));
    const rows = await this.models.User.findAll({ where: { [Op.and]: and }, order: [['id', 'ASC']], limit: limit + 1 });
    return page(rows.map(toUser), limit);
  }

  async update(id: string, patch: UpdateUserInput, t?: Transaction): Promise<UserRecord> {
    const row = looksLikeId(id) ? await this.models.User.findByPk(id, { transaction: t }) : null;
    if (!row) throw CoreErrors.create('user_not_found', 'No such user.');
    const values: Record<string, unknown> = {};
    if (patch.email !== undefined) values.email = checkEmail(patch.email);
    if (patch.status !== undefined) values.status = patch.status;
    if (patch.superadmin !== undefined) values.superadmin = patch.superadmin;
    if (patch.displayName !== undefined) values.displayName = patch.displayName;
    if (patch.preferredLanguage !== undefined) values.preferredLanguage = patch.preferredLanguage;
    if (patch.password === null) values.passwordHash = null;
    else if (patch.password !== undefined) {
      this.checkNewPassword(patch.password);
      values.passwordHash = await hashPassword(patch.password, this.config.password.scryptN);
      // A new password ends a lockout: the admin who set it vouches for the account.
      values.failedLogins = 0;
      values.lockedUntil = null;
    }
    try {
      await row.update(values, { transaction: t });
    } catch (err) {
      if (isUniqueViolation(err)) throw TenancyErrors.create('email_taken', 'A user with this e-mail already exists.');
      throw err;
    }
    if (patch.status !== undefined || patch.superadmin !== undefined)
      await announce(this.directory, t, { kind: 'user', id, deleted: false });
    return toUser(row);
  }

  /** Deletes the user and its memberships in every tenant. */
  async delete(id: string, t?: Transaction): Promise<boolean> {
    if (!looksLikeId(id)) return false;
    const deleted = await inTransaction(this.db, t, async (tx) => {
      // A user's memberships span tenants: removing them is a platform operation by nature.
      await withCrossTenantAccess(() => this.models.Membership.destroy({ where: { userId: id }, transaction: tx }));
      return (await this.models.User.destroy({ where: { id }, transaction: tx })) > 0;
    });
    if (deleted) await announce(this.directory, t, { kind: 'user', id, deleted: true });
    return deleted;
  }

  /** Number of users (bootstrap: "is this an empty database?"). */
  async count(): Promise<number> {
    return this.models.User.count();
  }

  /** Timing-safe scrypt check; costs the same when the user has no password. */
  verifyPassword(user: UserRecord, password: string): Promise<boolean> {
    return verifyPasswordHash(user.passwordHash, password);
  }

  /** Costs what `verifyPassword` costs and resolves false (for an unknown e-mail). */
  dummyVerify(): Promise<false> {
    return dummyVerify();
  }
}
