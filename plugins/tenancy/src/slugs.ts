import { GatewayError } from '@aihub/core/plugin-api';
import { TenancyErrors } from './errors';

/**
 * Slugs a tenant admin may not take. Besides keeping names that look official for the platform,
 * they make "this slug is unavailable" say nothing certain about other tenants: a refused slug may
 * be reserved rather than in use.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'aihub',
  'api',
  'app',
  'auth',
  'billing',
  'console',
  'default',
  'docs',
  'help',
  'internal',
  'login',
  'oauth',
  'platform',
  'root',
  'security',
  'status',
  'support',
  'system',
  'www',
]);

/** The one answer a tenant admin gets for a slug that is taken or reserved: it names no other tenant. */
export function slugUnavailable(): GatewayError {
  return TenancyErrors.create('slug_unavailable', 'This slug is not available; choose another.');
}

/**
 * Changes a tenant's slug on behalf of a tenant admin: reserved slugs and slugs of other tenants
 * answer the same neutral 409 (`slug_unavailable`). A superadmin (who sees every tenant) keeps the
 * precise `slug_taken`.
 */
export async function withNeutralSlugConflict<T>(
  slug: string | undefined,
  superadmin: boolean,
  change: () => Promise<T>,
): Promise<T> {
  if (superadmin || slug === undefined) return change();
  if (RESERVED_SLUGS.has(slug)) throw slugUnavailable();
  try {
    return await change();
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'slug_taken') throw slugUnavailable();
    throw err;
  }
}
