import type { Context } from 'koa';
import type { Transaction } from 'sequelize';
import { PrincipalKey, validated, type AuditEntry, type Principal, type RouteOptions } from '@aihub/core/plugin-api';
import { actorOf } from '../audit';
import type { TenancyRuntime } from '../runtime';
import { tenantNotFound } from '../store/shared';
import type { TenantRecord } from '../types';

export type Runtime = () => TenancyRuntime;

/** Admin bodies are small; settings (prompts, templates) get more room. */
export const ADMIN_BODY_LIMIT = 64 * 1024;
export const SETTINGS_BODY_LIMIT = 1024 * 1024;

const base = { auth: 'required' as const, tags: ['admin'] };

export function readRoute(summary: string, schema: RouteOptions['schema']): RouteOptions {
  return { ...base, scopes: ['admin:read'], summary, schema: { tag: 'tenancy', ...schema } };
}

export function writeRoute(
  summary: string,
  schema: RouteOptions['schema'],
  bodyLimit = ADMIN_BODY_LIMIT,
): RouteOptions {
  return { ...base, scopes: ['admin:write'], summary, bodyLimit, schema: { tag: 'tenancy', ...schema } };
}

export function paramsOf<P>(c: Context): P {
  return validated<unknown, P>(c).params;
}

export function queryOf<Q>(c: Context): Q {
  return validated<Q>(c).query;
}

export function bodyOf<B>(c: Context): B {
  return c.request.body as B;
}

/** The Principal (access control already answered 401 when there is none). */
export function principalOf(c: Context): Principal {
  return PrincipalKey.require(c);
}

/** The tenant, or the same 404 whether it does not exist or is not the caller's. */
export async function existingTenant(rt: TenancyRuntime, tenantId: string): Promise<TenantRecord> {
  const tenant = await rt.store.tenants.get(tenantId);
  if (!tenant) throw tenantNotFound();
  return tenant;
}

/**
 * Runs a change and writes its audit entry in one transaction: either both are stored or neither.
 * `work` returns the result and the entry to record.
 */
export async function audited<T>(
  rt: TenancyRuntime,
  c: Context,
  work: (t: Transaction) => Promise<{ result: T; entry: AuditEntry }>,
): Promise<T> {
  const actor = actorOf(c);
  return rt.store.transaction(async (t) => {
    const { result, entry } = await work(t);
    await rt.audit.write(entry, actor, t);
    return result;
  });
}
