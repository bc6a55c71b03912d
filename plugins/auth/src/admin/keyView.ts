import type { z } from 'zod';
import {} from '@aihub/core/plugin-api';
import type { ApiKeyRecord } from '../keys/ApiKeyStore';
import { iso } from './common';
import type { apiKeyView } from './schemas';
import { AuthErrors } from '../errors';

export type KeyView = z.output<typeof apiKeyView>;

/** The admin API's view of a key: never its secret or hash. */
export function keyView(r: ApiKeyRecord, now: number): KeyView {
  // One status per key, the most final first: revoked, expired, suspended (reversible), active.
  const status = r.revokedAt
    ? 'revoked'
    : r.expiresAt && r.expiresAt.getTime() <= now
      ? 'expired'
      : r.suspendedAt
        ? 'suspended'
        : 'active';
  return {
    id: r.id,
    tenant_id: r.tenantId,
    name: r.name,
    key_prefix: `ahk_${r.id}`,
    status,
    scopes: r.scopes,
    role: r.role,
    superadmin: r.superadmin,
    user_id: r.userId,
    team_id: r.teamId,
    expires_at: iso(r.expiresAt),
    revoked_at: iso(r.revokedAt),
    last_used_at: iso(r.lastUsedAt),
    limits: r.limits,
    budgets: r.budgets,
    allowed_models: r.allowedModels,
    rotated_from: r.rotatedFrom,
    replaced_by: r.replacedBy,
    api_version: r.apiVersion,
    suspended_at: iso(r.suspendedAt),
    suspended_reason: r.suspendedReason,
    suspended_by: r.suspendedBy,
    created_by: r.createdBy,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

export const keyNotFound = () => AuthErrors.create('api_key_not_found', 'No such API key in this tenant.');
