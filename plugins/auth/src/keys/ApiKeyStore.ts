import { Op, type Sequelize, type WhereOptions } from 'sequelize';
import { API_VERSIONS, type BudgetSettings, type LimitSettings, type TenantRole } from '@aihub/core/plugin-api';
import { generateApiKey, parseApiKey } from '../keyFormat';
import { parseJson, type ApiKeyRow, type AuthModels } from '../models';
import type { Page } from '../pagination';
import { afterCursor, decodeSortCursor, encodeSortCursor, orderOf, searchKeys, type KeySort } from './keyQuery';
import type { ServerSecrets } from '../secrets';

/** An API key as the plugin works with it (never the secret; the hash stays in the store). */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  userId: string | null;
  teamId: string | null;
  scopes: string[];
  role: TenantRole;
  superadmin: boolean;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  limits: LimitSettings | null;
  budgets: BudgetSettings | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Model aliases the key may call; null = every model the tenant may use. */
  allowedModels: string[] | null;
  /** The key this one replaced by rotation. */
  rotatedFrom: string | null;
  /** The key that replaced this one by rotation. */
  replacedBy: string | null;
  /** The API version the key's requests default to (pinned at creation); null: the tenant's pin. */
  apiVersion: string | null;
  /** Set while the key is suspended: refused (403 `api_key_suspended`) until resumed, settings kept. */
  suspendedAt: Date | null;
  suspendedReason: string | null;
  /** Who suspended it (see ApiKeyRow.suspended_by). */
  suspendedBy: string | null;
}

/** The longest suspension reason kept (longer ones, e.g. an ops rule's, are cut with an ellipsis). */
export const SUSPEND_REASON_MAX = 500;

/** The longest a rotated key keeps working after its rotation (`grace_seconds`). */
export const ROTATION_GRACE_MAX_SECONDS = 7 * 86_400;

/** What a suspension or resumption did; `also` names the rotated predecessors held or lifted with the key. */
export interface HoldChange {
  before: ApiKeyRecord;
  after: ApiKeyRecord;
  changed: boolean;
  also: string[];
}

export interface CreateApiKeyInput {
  tenantId: string;
  name: string;
  userId?: string | null;
  teamId?: string | null;
  scopes: string[];
  role: TenantRole;
  superadmin?: boolean;
  expiresAt?: Date | null;
  limits?: LimitSettings | null;
  budgets?: BudgetSettings | null;
  allowedModels?: string[] | null;
  /** Default: the current API version (a key is pinned to the version it was created at). */
  apiVersion?: string | null;
  createdBy?: string | null;
  rotatedFrom?: string | null;
  /** A full key to use instead of a random one (bootstrap from AIHUB_BOOTSTRAP_ADMIN_KEY). */
  presetKey?: string;
}

export interface UpdateApiKeyInput {
  name?: string;
  scopes?: string[];
  role?: TenantRole;
  teamId?: string | null;
  expiresAt?: Date | null;
  limits?: LimitSettings | null;
  budgets?: BudgetSettings | null;
  allowedModels?: string[] | null;
  apiVersion?: string | null;
}

export interface ListApiKeysInput {
  cursor?: string;
  limit: number;
  status?: 'active' | 'suspended' | 'revoked' | 'expired';
  userId?: string;
  teamId?: string;
  /** Case-insensitive substring of the name, or a prefix of the key id (`ahk_` optional). */
  q?: string;
  /** Sort key; default newest first (`-created_at`). */
  sort?: KeySort;
}

export function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    userId: row.user_id,
    teamId: row.team_id,
    scopes: parseJson<string[]>(row.scopes, []),
    role: row.role,
    superadmin: !!row.superadmin,
    expiresAt: row.expires_at ? new Date(row.expires_at) : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null,
    limits: parseJson<LimitSettings | null>(row.limits, null),
    budgets: parseJson<BudgetSettings | null>(row.budgets, null),
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    allowedModels: parseJson<string[] | null>(row.allowed_models, null),
    rotatedFrom: row.rotated_from ?? null,
    replacedBy: row.replaced_by ?? null,
    apiVersion: row.api_version ?? null,
    suspendedAt: row.suspended_at ? new Date(row.suspended_at) : null,
    suspendedReason: row.suspended_reason ?? null,
    suspendedBy: row.suspended_by ?? null,
  };
}

/** Another rotation of the same key committed first: this one rolls back. */
class RotationRace extends Error {}

/** A reason within the column's width (an ops rule's reason can be long). */
const clip = (reason: string | null): string | null =>
  reason === null || reason.length <= SUSPEND_REASON_MAX ? reason : `${reason.slice(0, SUSPEND_REASON_MAX - 1)}…`;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Persistence of API keys. Every tenant-facing method takes the tenant id and puts it in the WHERE
 * clause, so a key id from another tenant reads as "not found".
 */
export class ApiKeyStore {
  /** Told each new key id (the authenticator remembers it exists; see ApiKeyAuthenticator.remember). */
  onCreated?: (id: string) => void;

  constructor(
    private readonly models: AuthModels,
    private readonly secrets: ServerSecrets,
    private readonly now: () => number,
  ) {}

  /** Creates a key and returns it with the one-time full key value. */
  async create(input: CreateApiKeyInput): Promise<{ record: ApiKeyRecord; key: string }> {
    let generated = generateApiKey();
    if (input.presetKey) {
      const parsed = parseApiKey(input.presetKey);
      if (!parsed) throw new Error('presetKey is not a valid AI Hub key');
      generated = { id: parsed.id, secret: parsed.secret, key: input.presetKey };
    }
    const at = new Date(this.now());
    const row: ApiKeyRow = {
      id: generated.id,
      tenant_id: input.tenantId,
      name: input.name,
      user_id: input.userId ?? null,
      team_id: input.teamId ?? null,
      secret_hash: this.secrets.hmac(generated.secret).toString('hex'),
      scopes: JSON.stringify(input.scopes),
      role: input.role,
      superadmin: !!input.superadmin,
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
      last_used_at: null,
      limits: json(input.limits),
      budgets: json(input.budgets),
      created_by: input.createdBy ?? null,
      created_at: at,
      updated_at: at,
      allowed_models: json(input.allowedModels),
      rotated_from: input.rotatedFrom ?? null,
      replaced_by: null,
      api_version: input.apiVersion === undefined ? API_VERSIONS[API_VERSIONS.length - 1] : input.apiVersion,
      suspended_at: null,
      suspended_reason: null,
      suspended_by: null,
    };
    await this.models.ApiKey.create(row);
    this.onCreated?.(row.id);
    return { record: toRecord(row), key: generated.key };
  }

  /** Hot-path cache fill: the row by key id, any tenant (the id comes from the presented key). */
  async findForAuth(id: string): Promise<ApiKeyRow | null> {
    const row = await this.models.ApiKey.findByPk(id, { raw: true });
    return (row as ApiKeyRow | null) ?? null;
  }

  async get(tenantId: string, id: string): Promise<ApiKeyRecord | undefined> {
    const row = (await this.models.ApiKey.findOne({
      where: { tenant_id: tenantId, id },
      raw: true,
    })) as ApiKeyRow | null;
    return row ? toRecord(row) : undefined;
  }

  /**
   * One page of a tenant's keys in the requested order, by keyset: the WHERE clause starts after
   * the previous page's last (sort value, id), so every page is an index range scan of `limit + 1`
   * rows, at any depth. No total count: counting 100,000 rows per page view would cost more than the
   * page; `nextCursor` (null on the last page) says whether there is more.
   */
  async list(tenantId: string, input: ListApiKeysInput): Promise<Page<ApiKeyRecord>> {
    const now = new Date(this.now());
    const sort = input.sort ?? '-created_at';
    const and: WhereOptions<ApiKeyRow>[] = [{ tenant_id: tenantId }];
    // Each key is in one status, in keyView's order: revoked, then expired, then suspended, else active.
    const unexpired = { [Op.or]: [{ expires_at: null }, { expires_at: { [Op.gt]: now } }] };
    if (input.status === 'revoked') and.push({ revoked_at: { [Op.ne]: null } });
    if (input.status === 'active') and.push({ revoked_at: null, suspended_at: null, ...unexpired });
    if (input.status === 'suspended') and.push({ revoked_at: null, suspended_at: { [Op.ne]: null }, ...unexpired });
    if (input.status === 'expired') and.push({ revoked_at: null, expires_at: { [Op.lte]: now } });
    if (input.userId) and.push({ user_id: input.userId });
    if (input.teamId) and.push({ team_id: input.teamId });
    if (input.q) and.push(searchKeys(this.models.ApiKey.sequelize!, input.q));
    const after = decodeSortCursor(input.cursor, sort);
    if (after) and.push(afterCursor(sort, after));
    const rows = (await this.models.ApiKey.findAll({
      where: { [Op.and]: and },
      // Revoked and suspended keys are a small share: read through their partial index, not the sort's.
      order: orderOf(
        sort,
        (input.status === 'revoked' || input.status === 'suspended') &&
          this.models.ApiKey.sequelize!.getDialect() === 'postgres',
      ),
      limit: input.limit + 1,
      raw: true,
    })) as unknown as ApiKeyRow[];
    const more = rows.length > input.limit;
    const page = more ? rows.slice(0, input.limit) : rows;
    const last = page[page.length - 1];
    return { data: page.map(toRecord), nextCursor: more && last ? encodeSortCursor(sort, last) : null };
  }

  async update(
    tenantId: string,
    id: string,
    patch: UpdateApiKeyInput,
  ): Promise<{ before: ApiKeyRecord; after: ApiKeyRecord } | undefined> {
    const before = await this.get(tenantId, id);
    if (!before) return undefined;
    const values: Partial<ApiKeyRow> = { updated_at: new Date(this.now()) };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.scopes !== undefined) values.scopes = JSON.stringify(patch.scopes);
    if (patch.role !== undefined) values.role = patch.role;
    if (patch.teamId !== undefined) values.team_id = patch.teamId;
    if (patch.expiresAt !== undefined) values.expires_at = patch.expiresAt;
    if (patch.limits !== undefined) values.limits = json(patch.limits);
    if (patch.budgets !== undefined) values.budgets = json(patch.budgets);
    if (patch.allowedModels !== undefined) values.allowed_models = json(patch.allowedModels);
    if (patch.apiVersion !== undefined) values.api_version = patch.apiVersion;
    await this.models.ApiKey.update(values, { where: { tenant_id: tenantId, id } });
    const after = await this.get(tenantId, id);
    return after ? { before, after } : undefined;
  }

  /**
   * Rotation: a new key (new id and secret) with the old key's settings, and the old key retired
   * in the same transaction: revoked now, or (with a grace period) expiring at `now + grace` unless
   * it expires sooner. Undefined when the key is missing; `conflict` when it is revoked, expired or
   * already rotated (two concurrent rotations: one wins).
   */
  async rotate(
    tenantId: string,
    id: string,
    graceMs: number,
  ): Promise<{ old: ApiKeyRecord; record: ApiKeyRecord; key: string } | undefined | 'conflict'> {
    const sequelize = this.models.ApiKey.sequelize!;
    return sequelize
      .transaction(async (transaction) => {
        const row = (await this.models.ApiKey.findOne({
          where: { tenant_id: tenantId, id },
          raw: true,
          transaction,
        })) as ApiKeyRow | null;
        if (!row) return undefined;
        const nowMs = this.now();
        const at = new Date(nowMs);
        // A suspended key is not rotated: the new key would either inherit the hold or escape it.
        if (
          row.revoked_at ||
          row.replaced_by ||
          row.suspended_at ||
          (row.expires_at && new Date(row.expires_at).getTime() <= nowMs)
        )
          return 'conflict';
        const generated = generateApiKey();
        const fresh: ApiKeyRow = {
          ...row,
          id: generated.id,
          secret_hash: this.secrets.hmac(generated.secret).toString('hex'),
          last_used_at: null,
          rotated_from: row.id,
          replaced_by: null,
          created_at: at,
          updated_at: at,
        };
        await this.models.ApiKey.create(fresh, { transaction });
        const retire: Partial<ApiKeyRow> = { replaced_by: fresh.id, updated_at: at };
        if (graceMs <= 0) retire.revoked_at = at;
        else {
          const graceEnd = nowMs + graceMs;
          if (!row.expires_at || new Date(row.expires_at).getTime() > graceEnd) retire.expires_at = new Date(graceEnd);
        }
        const [changed] = await this.models.ApiKey.update(retire, {
          where: { tenant_id: tenantId, id, revoked_at: null, replaced_by: null, suspended_at: null },
          transaction,
        });
        if (changed !== 1) throw new RotationRace();
        const old = (await this.models.ApiKey.findOne({
          where: { tenant_id: tenantId, id },
          raw: true,
          transaction,
        })) as unknown as ApiKeyRow;
        return { old: toRecord(old), record: toRecord(fresh), key: generated.key };
      })
      .catch((err: unknown) => {
        if (err instanceof RotationRace) return 'conflict' as const;
        throw err;
      });
  }

  /** Marks the key revoked (idempotent: an already revoked key keeps its first revocation time). */
  async revoke(tenantId: string, id: string): Promise<{ before: ApiKeyRecord; after: ApiKeyRecord } | undefined> {
    const before = await this.get(tenantId, id);
    if (!before) return undefined;
    if (!before.revokedAt) {
      const at = new Date(this.now());
      await this.models.ApiKey.update(
        { revoked_at: at, updated_at: at },
        { where: { tenant_id: tenantId, id, revoked_at: null } },
      );
    }
    const after = (await this.get(tenantId, id))!;
    return { before, after };
  }

  /**
   * Suspends the key (reversible: id, secret and settings stay). Idempotent: an already suspended key
   * keeps its first suspension (time, reason, actor) and `changed` is false. `revoked` when the key is
   * revoked (nothing to hold); undefined when it is not in the tenant. The conditional UPDATE makes a
   * concurrent revocation or suspension win cleanly.
   */
  async suspend(
    tenantId: string,
    id: string,
    reason: string | null,
    by: string | null,
  ): Promise<HoldChange | undefined | 'revoked'> {
    const before = await this.get(tenantId, id);
    if (!before) return undefined;
    if (before.revokedAt) return 'revoked';
    let changed = false;
    let also: string[] = [];
    if (!before.suspendedAt) {
      const at = new Date(this.now());
      const hold = { suspended_at: at, suspended_reason: clip(reason), suspended_by: by, updated_at: at };
      const [count] = await this.models.ApiKey.update(hold, {
        where: { tenant_id: tenantId, id, revoked_at: null, suspended_at: null },
      });
      changed = count === 1;
      // The old secret of a rotation in its grace would otherwise keep working: held with it, at the
      // same instant, so that resuming this key lifts exactly these holds.
      if (changed) also = await this.holdPredecessors(before, hold, null);
    }
    const after = (await this.get(tenantId, id))!;
    if (!changed && after.revokedAt) return 'revoked';
    return { before, after, changed, also };
  }

  /**
   * Lifts a suspension. Idempotent: a key that is not suspended is left as it is (`changed` false).
   * `revoked` for a revoked key (revocation is final); undefined when the key is not in the tenant.
   * @param liftable when given, only a hold whose `suspended_by` it accepts is lifted (automation
   *   lifts its own holds, never an admin's); another is left as it is (`changed` false, `after`
   *   still suspended). The UPDATE then names the exact hold checked, so a hold placed meanwhile stays.
   */
  async resume(
    tenantId: string,
    id: string,
    liftable?: (by: string | null) => boolean,
  ): Promise<HoldChange | undefined | 'revoked'> {
    const before = await this.get(tenantId, id);
    if (!before) return undefined;
    if (before.revokedAt) return 'revoked';
    let changed = false;
    let also: string[] = [];
    if (before.suspendedAt && (!liftable || liftable(before.suspendedBy))) {
      const at = new Date(this.now());
      const lift = { suspended_at: null, suspended_reason: null, suspended_by: null, updated_at: at };
      const [count] = await this.models.ApiKey.update(lift, {
        where: {
          tenant_id: tenantId,
          id,
          revoked_at: null,
          suspended_at: liftable ? before.suspendedAt : { [Op.ne]: null },
        },
      });
      changed = count === 1;
      // Only the predecessors held together with this key (same instant), not ones held on their own.
      if (changed) also = await this.holdPredecessors(before, lift, before.suspendedAt);
    }
    const after = (await this.get(tenantId, id))!;
    if (!changed && after.revokedAt) return 'revoked';
    return { before, after, changed, also };
  }

  /**
   * Applies a hold (or its lifting) to the keys `key` replaced by rotation that still work (their
   * grace), walking `rotated_from` by primary key. Every predecessor of a key expires at the latest
   * `ROTATION_GRACE_MAX_SECONDS` after that key was created, so the walk stops there. The ids changed.
   */
  private async holdPredecessors(
    key: ApiKeyRecord,
    values: Partial<ApiKeyRow>,
    heldAt: Date | null,
  ): Promise<string[]> {
    const nowMs = this.now();
    const ids: string[] = [];
    let current = key;
    for (let depth = 0; current.rotatedFrom && depth < 64; depth++) {
      if (nowMs - current.createdAt.getTime() > ROTATION_GRACE_MAX_SECONDS * 1000) break;
      const prev = await this.get(key.tenantId, current.rotatedFrom);
      if (!prev) break;
      if (!prev.revokedAt && (!prev.expiresAt || prev.expiresAt.getTime() > nowMs)) ids.push(prev.id);
      current = prev;
    }
    // A predecessor revoked or held on its own meanwhile is left as it is (the condition); naming it
    // anyway costs only an eviction.
    if (ids.length > 0)
      await this.models.ApiKey.update(values, {
        where: { tenant_id: key.tenantId, id: ids, revoked_at: null, suspended_at: heldAt },
      });
    return ids;
  }

  /** Background bookkeeping: one UPDATE per key, never moving last_used_at backwards. */
  async touchLastUsed(entries: Map<string, number>): Promise<void> {
    for (const [id, at] of entries) {
      const when = new Date(at);
      await this.models.ApiKey.update(
        { last_used_at: when },
        { where: { id, [Op.or]: [{ last_used_at: null }, { last_used_at: { [Op.lt]: when } }] }, silent: true },
      );
    }
  }

  /** Keys changed since `since` (the poll that backs up lost revocation messages). */
  async changedSince(since: Date): Promise<string[]> {
    const rows = (await this.models.ApiKey.findAll({
      attributes: ['id'],
      where: { updated_at: { [Op.gte]: since } },
      raw: true,
    })) as unknown as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Ids of unrevoked keys, newest first (what the authenticator may look up for a throttled address). */
  async unrevokedIds(limit: number): Promise<string[]> {
    const rows = (await this.models.ApiKey.findAll({
      attributes: ['id'],
      where: { revoked_at: null },
      order: [['created_at', 'DESC']],
      limit,
      raw: true,
    })) as unknown as { id: string }[];
    return rows.map((r) => r.id);
  }
}

/**
 * Case-insensitive substring match without LIKE (so `%` and `_` in the search are plain text on both
 * dialects): `strpos` on PostgreSQL, `instr` on SQLite.
 */
export function containsInsensitive(sequelize: Sequelize, column: string, needle: string): WhereOptions {
  const fn = sequelize.getDialect() === 'postgres' ? 'strpos' : 'instr';
  return sequelize.where(
    sequelize.fn(fn, sequelize.fn('lower', sequelize.col(column)), needle.toLowerCase()),
    Op.gt,
    0,
  );
}
