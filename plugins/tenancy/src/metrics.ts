import type { PluginMeter } from '@aihub/core/plugin-api';

/** Tenancy metrics (names get the `aihub_` prefix). No tenant ids in labels: cardinality. */
export function tenancyMetrics(meter: PluginMeter) {
  const lookups = meter.counter(
    'tenancy_tenant_lookups_total',
    'Tenant resolutions in the request.tenant hook, by cache result (hit, miss)',
    ['result'] as const,
  );
  const rejected = meter.counter(
    'tenancy_requests_rejected_total',
    'Requests refused by tenant resolution, by reason (suspended, unknown_tenant)',
    ['reason'] as const,
  );
  // Label children are bound once so the hot path pays no label lookup.
  return {
    hit: lookups.labels('hit'),
    miss: lookups.labels('miss'),
    suspended: rejected.labels('suspended'),
    unknownTenant: rejected.labels('unknown_tenant'),
    auditEntries: meter.counter('tenancy_audit_entries_total', 'Audit entries written'),
  };
}

export type TenancyMetrics = ReturnType<typeof tenancyMetrics>;
