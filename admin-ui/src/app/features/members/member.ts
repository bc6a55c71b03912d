import type { paths } from '../../api/schema';

/** A tenant member and an invitation, from the generated OpenAPI types. */
export type Member =
  paths['/admin/v1/tenants/{tenantId}/members']['get']['responses'][200]['content']['application/json']['data'][number];
export type MemberRole = Member['role'];
export type CreatedInvitation =
  paths['/admin/v1/tenants/{tenantId}/invitations']['post']['responses'][201]['content']['application/json'];

/** Roles from the most to the least powerful (the order of the pickers). */
export const MEMBER_ROLES: readonly MemberRole[] = ['owner', 'admin', 'developer', 'viewer'];

/**
 * Whether a role change needs the stronger confirmation: granting or taking away `owner` moves
 * control of the tenant (the server also requires members:owner for it).
 */
export function touchesOwner(from: MemberRole, to: MemberRole): boolean {
  return from !== to && (from === 'owner' || to === 'owner');
}
