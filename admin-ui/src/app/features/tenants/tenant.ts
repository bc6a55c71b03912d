import type { paths } from '../../api/schema';

/** A tenant as the admin API lists it (from the generated OpenAPI types). */
export type Tenant = paths['/admin/v1/tenants']['get']['responses'][200]['content']['application/json']['data'][number];
