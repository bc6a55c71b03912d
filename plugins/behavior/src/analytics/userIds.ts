import { hashValue } from '../privacy/pii';
import type { TenantKeys } from '../privacy/TenantKeys';

/**
 * The forms a user id given to the analytics API may be stored under: as given (tenants without a
 * PII policy, an id already hashed as the console shows it, or events stored before the policy
 * existed) and as its HMAC with the tenant's key (tenants whose policy hashes userId). Lookups and
 * deletions try both, so an admin finds and erases a user whether they type the raw id or paste the
 * stored one; a raw id is never stored or audited by the lookup itself.
 */
export async function storedIdsOf(keys: TenantKeys, tenantId: string, given: string): Promise<[string, string]> {
  const key = await keys.get(tenantId);
  return [given, hashValue(key, given)];
}
