import type { Context } from 'koa';
import type { Transaction } from 'sequelize';
import { Op, type WhereOptions } from 'sequelize';
import { PrincipalKey, type AuditEntry, type AuditLog } from '@aihub/core/plugin-api';
import { ID_PREFIX, newId } from './ids';
import type { TenancyModels } from './models';
import { decodeTimeCursor, encodeTimeCursor, pageSize } from './pagination';
import { toAudit } from './records';
import { withCrossTenantAccess, requireTenantScope } from './scope';
import type { AuditActor, AuditRecord, ListAuditInput, Page } from './types';

/** Keys whose values are secrets. `token` alone is masked but counts such as `tokensPerMinute` are not. */
const SECRET_KEY = /secret|password|passwd|token|hash|private_?key|credential|authorization|cookie|^key$|api_?key$/i;
const COUNT_KEY =
  /tokens?_?per_?(second|minute|hour|day)|(max|total|prompt|completion|cached|input|output|reasoning)_?tokens$/i;
export const MASK = '***';
const MAX_DEPTH = 20;

/** Whether a property name holds a secret (and is therefore masked in audit entries). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !COUNT_KEY.test(key);
}

/** A deep copy of `value` with every secret-named property replaced by "***". */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return MASK;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = isSecretKey(k) && v !== null ? MASK : maskSecrets(v, depth + 1);
  }
  return out;
}

function clip(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  return value.length > max ? value.slice(0, max) : value;
}

/** The actor of a request: its Principal, or `anonymous` (a failed login, say). */
export function actorOf(ctx: Context | null): AuditActor {
  if (!ctx) return { type: 'system', id: null };
  const p = PrincipalKey.get(ctx);
  const requestId = (ctx.state as { requestId?: string }).requestId ?? null;
  if (!p) return { type: 'anonymous', id: null, requestId, ip: ctx.ip };
  return { type: p.kind, id: p.subject, requestId, ip: ctx.ip };
}

/**
 * AUDIT_LOG: append-only, and written before the request answers (admin writes are not the hot
 * path, and an audit entry must not be lost). The admin API of this plugin writes the change and its
 * entry in one transaction through `write`.
 */
export class TenancyAuditLog implements AuditLog {
  constructor(
    private readonly models: TenancyModels,
    private readonly written?: { inc(): void },
  ) {}

  record(ctx: Context | null, entry: AuditEntry): Promise<void> {
    return this.write(entry, actorOf(ctx));
  }

  async write(entry: AuditEntry, actor: AuditActor, t?: Transaction): Promise<void> {
    const row = {
      id: newId(ID_PREFIX.audit),
      tenantId: entry.tenantId ?? null,
      actorType: clip(actor.type, 32) ?? 'system',
      actorId: clip(actor.id, 128),
      action: clip(entry.action, 128) ?? 'unknown',
      targetType: clip(entry.targetType, 64) ?? 'unknown',
      targetId: clip(entry.targetId ?? null, 128),
      before: entry.before === undefined ? null : maskSecrets(entry.before),
      after: entry.after === undefined ? null : maskSecrets(entry.after),
      requestId: clip(actor.requestId ?? null, 128),
      ip: clip(actor.ip ?? null, 64),
    };
    // Entries of the platform (tenant null) belong to no tenant: create them outside any tenant scope.
    if (row.tenantId === null)
      await withCrossTenantAccess(() => this.models.AuditEntry.create(row, { transaction: t }));
    else await this.models.AuditEntry.create(row, { transaction: t });
    // Counted when the transaction (if any) commits, so rolled-back entries are not counted.
    if (t) t.afterCommit(() => this.written?.inc());
    else this.written?.inc();
  }

  /**
   * Entries newest first. With `tenantId` a string: that tenant's entries; `undefined`: every
   * entry of the platform (only for superadmins — the caller checks).
   */
  async list(input: ListAuditInput): Promise<Page<AuditRecord>> {
    const limit = pageSize(input.limit);
    const cursor = decodeTimeCursor(input.cursor);
    const and: WhereOptions[] = [];
    if (input.action) and.push({ action: input.action });
    if (input.actor) and.push({ actorId: input.actor });
    if (input.targetType) and.push({ targetType: input.targetType });
    if (input.targetId) and.push({ targetId: input.targetId });
    if (input.since) and.push({ createdAt: { [Op.gte]: input.since } });
    if (input.until) and.push({ createdAt: { [Op.lt]: input.until } });
    if (cursor)
      and.push({
        [Op.or]: [{ createdAt: { [Op.lt]: cursor.at } }, { createdAt: cursor.at, id: { [Op.lt]: cursor.id } }],
      });
    const order: [string, string][] = [
      ['createdAt', 'DESC'],
      ['id', 'DESC'],
    ];
    const rows =
      input.tenantId === undefined
        ? await withCrossTenantAccess(() =>
            this.models.AuditEntry.findAll({ where: { [Op.and]: and }, order, limit: limit + 1 }),
          )
        : await this.models.AuditEntry.findAll({
            where: { tenantId: requireTenantScope(input.tenantId), [Op.and]: and },
            order,
            limit: limit + 1,
          });
    const more = rows.length > limit;
    const data = (more ? rows.slice(0, limit) : rows).map(toAudit);
    const last = data[data.length - 1];
    return { data, nextCursor: more && last ? encodeTimeCursor(last.createdAt, last.id) : null };
  }
}
