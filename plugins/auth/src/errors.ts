import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the auth plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const AuthErrors = defineErrors('auth', {
  api_key_expired: { status: 401, message: 'The API key has passed its expiry time.', fix: 'Create a new key.' },
  api_key_revoked: {
    status: 401,
    otherStatuses: [409],
    message: 'The API key is revoked (401 when it is used; 409 when an admin tries to change it).',
    fix: 'Create a new key; revoked keys cannot be changed.',
  },
  api_key_suspended: {
    status: 403,
    message:
      'The API key is suspended (by an admin of its tenant or an automation rule): it is refused until resumed, and keeps its settings.',
    fix: "Ask an admin of the key's tenant to resume it (the message names the reason), or use another key.",
  },
  api_key_not_found: {
    status: 404,
    message: 'No API key with this id in this tenant.',
    fix: "List the tenant's keys and use an id from the list.",
  },
  api_key_not_rotatable: {
    status: 409,
    message: 'Only an active key that has not been rotated yet can be rotated.',
    fix: 'Create a new key instead.',
  },
  credential_owner_disabled: {
    status: 401,
    message: 'The user the credential belongs to is disabled.',
    fix: 'Ask a platform admin to re-enable the user, or use another credential.',
  },
  credential_owner_not_member: {
    status: 401,
    message: "The user the credential belongs to is no longer a member of the credential's tenant.",
    fix: 'Use a credential of a current member.',
  },
  credential_owner_removed: {
    status: 401,
    message: 'The user the credential belongs to no longer exists.',
    fix: 'Use a credential of a current user.',
  },
  token_expired: {
    status: 401,
    message: 'The access token has expired.',
    fix: 'Get a new one from /oauth/token (or use the refresh token).',
  },
  token_revoked: {
    status: 401,
    message: 'The access token has been revoked.',
    fix: 'Get a new one from /oauth/token.',
  },
  too_many_auth_failures: {
    status: 429,
    message: 'Too many failed authentication attempts from your address.',
    fix: "Wait for the Retry-After header's seconds, then retry with a valid key or token.",
  },
  account_locked: {
    status: 429,
    message: 'Too many wrong passwords for this account.',
    fix: "Wait for the Retry-After header's seconds, then sign in again.",
  },
  invalid_current_password: {
    status: 400,
    message: 'The current password sent to change the password is wrong.',
    fix: 'Send the current password.',
  },
  password_unchanged: { status: 400, message: 'The new password is the current one.', fix: 'Choose another password.' },
  invalid_expiry: {
    status: 400,
    message: "The key's expires_at is in the past or further out than keys may live.",
    fix: "Send a future time within the gateway's maximum key lifetime.",
  },
  model_not_in_tenant: {
    status: 400,
    message: 'allowed_models names models the tenant may not use.',
    fix: "Remove them, or widen the tenant's allowedModels first.",
  },
  owner_not_member: {
    status: 400,
    message: "The key's user_id is not a member of this tenant.",
    fix: 'Add the user as a member first.',
  },
  role_above_owner: {
    status: 400,
    message: "The key's role is above its owner's role.",
    fix: "Choose the owner's role or a lower one.",
  },
  invalid_client_settings: {
    status: 400,
    message: "The OAuth client's settings do not fit together (for example a grant type without its redirect URIs).",
    fix: 'Send the fields that go together in one PATCH.',
  },
  oauth_client_not_found: {
    status: 404,
    message: 'No OAuth client with this id in this tenant.',
    fix: "List the tenant's OAuth clients and use an id from the list.",
  },
  oauth_disabled: {
    status: 404,
    message: 'The OAuth server is disabled on this gateway.',
    fix: "Use API keys, or ask the operator to enable oauth in the auth plugin's config.",
  },
});
