import type { paths } from '../../api/schema';

/** A team and a team member, from the generated OpenAPI types. */
export type Team =
  paths['/admin/v1/tenants/{tenantId}/teams']['get']['responses'][200]['content']['application/json']['data'][number];
export type TeamMember =
  paths['/admin/v1/tenants/{tenantId}/teams/{teamId}/members']['get']['responses'][200]['content']['application/json']['data'][number];
