import type { paths } from '../../api/schema';

/** A tenant as the admin API lists it (from the generated OpenAPI types). */
export type Tenant = paths['/admin/v1/tenants']['get']['responses'][200]['content']['application/json']['data'][number];

/** A released API version, as the tenant settings' `apiVersion` accepts it. */
export type ApiVersion = NonNullable<
  NonNullable<
    paths['/admin/v1/tenants/{tenantId}/settings']['patch']['requestBody']
  >['content']['application/json']['apiVersion']
>;
