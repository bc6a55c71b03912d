import type { paths } from '../../api/schema';

/** An audit log entry (generated type). */
export type AuditEntry =
  paths['/admin/v1/tenants/{tenantId}/audit']['get']['responses'][200]['content']['application/json']['data'][number];

/** `datetime-local` input value (read as UTC) → ISO-8601, or undefined when empty/invalid. */
export function utcInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(`${value}${value.length === 16 ? ':00' : ''}Z`);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** ISO-8601 → the `datetime-local` value showing that instant in UTC. */
export function isoToUtcInput(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : new Date(t).toISOString().slice(0, 16);
}
