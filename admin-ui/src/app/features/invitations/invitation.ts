import type { paths } from '../../api/schema';

/** An invitation as listed (never its token), from the generated OpenAPI types. */
export type Invitation =
  paths['/admin/v1/tenants/{tenantId}/invitations']['get']['responses'][200]['content']['application/json']['data'][number];
export type InvitationStatus = Invitation['status'];

/** The status filter's choices; '' lists every status. */
export const INVITATION_STATUSES: readonly InvitationStatus[] = ['pending', 'accepted', 'revoked', 'expired'];

/** The URL's `status` as an API filter: unknown values list everything rather than failing. */
export function toStatusFilter(value: string): InvitationStatus | undefined {
  return (INVITATION_STATUSES as readonly string[]).includes(value) ? (value as InvitationStatus) : undefined;
}
