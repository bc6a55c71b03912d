import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the tenancy plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const TenancyErrors = defineErrors('tenancy', {
  // Who is asking.
  unauthenticated: {
    status: 401,
    message:
      "The route needs a credential and none was sent (the tenancy routes' word for it; elsewhere a missing credential is invalid_api_key).",
    fix: 'Send an API key or access token as `Authorization: Bearer <token>`.',
    sameAs: 'invalid_api_key',
  },
  tenant_suspended: { status: 403, message: 'The tenant is suspended.', fix: 'Contact the platform operator.' },
  tenant_scope_missing: {
    status: 500,
    message: 'A query on tenant-owned data ran without a tenant scope and was refused (a bug in the calling code).',
    fix: 'Report it with the request id; the calling code must pass a tenant id or run inside runInTenant().',
  },
  // Tenants, users and members.
  slug_taken: { status: 409, message: 'A tenant with this slug already exists.', fix: 'Choose another slug.' },
  slug_unavailable: {
    status: 409,
    message: 'This slug is reserved or otherwise not available.',
    fix: 'Choose another slug.',
  },
  unknown_plan: {
    status: 400,
    message: 'The plan named is not one the gateway defines.',
    fix: 'Use one of the plans the message lists.',
  },
  email_taken: {
    status: 409,
    message: 'A user with this e-mail address already exists.',
    fix: 'Use another address, or add the existing user as a member.',
  },
  invalid_email: {
    status: 400,
    message: 'The e-mail address is malformed or longer than 254 characters.',
    fix: 'Send a valid e-mail address.',
  },
  invalid_limit: {
    status: 400,
    message: 'The page size (limit) is not an integer in the allowed range.',
    fix: 'Send a limit within the range the message names.',
  },
  cannot_modify_self: {
    status: 409,
    message: 'A superadmin cannot remove their own superadmin rights, disable or delete themselves.',
    fix: 'Ask another superadmin.',
  },
  membership_exists: {
    status: 409,
    message: 'The user is already a member of the tenant.',
    fix: 'Change the role with PATCH on the member instead.',
  },
  last_owner: {
    status: 409,
    message: 'The change would leave the tenant without an owner.',
    fix: 'Make another member owner first.',
  },
  password_hashing_busy: {
    status: 503,
    message:
      'Too many password checks are running or waiting in this gateway process (password.maxConcurrentHashes and password.maxQueuedHashes).',
    fix: 'Retry after the Retry-After seconds; operators can raise the bounds if the load is legitimate.',
  },
  // Teams.
  team_name_taken: {
    status: 409,
    message: 'A team with this name already exists in the tenant.',
    fix: 'Choose another name.',
  },
  team_member_not_found: {
    status: 404,
    message: 'The user is not a member of this team.',
    fix: "Use the id of one of the team's members.",
  },
  // Invitations.
  already_member: {
    status: 409,
    message: 'The invited address already belongs to a member of the tenant.',
    fix: 'Change their role with PATCH on the member instead.',
  },
  invitation_conflict: {
    status: 409,
    message: 'Another invitation for this address was created at the same moment.',
    fix: 'List the invitations and retry.',
  },
  invitation_not_found: {
    status: 404,
    message: 'The invitation does not exist, has expired, was revoked or was already used.',
    fix: 'Ask for a new invitation.',
  },
  invitation_not_pending: {
    status: 409,
    message: 'The invitation is no longer pending.',
    fix: 'Only a pending invitation can be revoked; nothing to do.',
  },
  invitation_email_mismatch: {
    status: 403,
    message: "The invitation is for another e-mail address than the signed-in user's.",
    fix: 'Sign in as the invited address to accept it.',
  },
  sign_in_required: {
    status: 401,
    message: 'The invited address has an account: accepting needs that user signed in.',
    fix: 'Sign in as the invited address, then accept while signed in.',
  },
  password_required: {
    status: 400,
    message: "Accepting without a session needs the password of the address's account, or one for its new account.",
    fix: 'Sign in as the invited address and accept, or send `password`.',
  },
  user_credential_required: {
    status: 403,
    message: "Invitations are accepted by a user, and the credential is not a user's.",
    fix: 'Sign in as the invited address, or accept without any credential and with a password.',
  },
});
