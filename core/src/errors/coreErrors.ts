import { defineErrors } from './defineErrors';

/**
 * The errors core answers with, and the shared vocabulary plugins use for the same situation
 * (a code raised by core or by more than one plugin lives here, so each code has one owner).
 * `docs/errors.md` is generated from this and the plugins' `src/errors.ts` (`npm run errors:doc`).
 */
export const CoreErrors = defineErrors('core', {
  // The HTTP layer.
  bad_request: {
    status: 400,
    message:
      'The request could not be parsed as HTTP/1.1, or a client error from the HTTP framework without a code of its own.',
    fix: 'Check the request line, headers and body encoding.',
  },
  request_timeout: {
    status: 408,
    message: 'The request head did not arrive in time.',
    fix: 'Send the whole request head at once.',
  },
  body_timeout: {
    status: 408,
    message: "The request body did not arrive within the server's body timeout.",
    fix: 'Send the body at once, or raise server.bodyTimeoutMs for slow links.',
  },
  request_aborted: {
    status: 400,
    message: 'The request body could not be read: the client closed the connection.',
    fix: 'Retry the request.',
  },
  headers_too_large: {
    status: 431,
    message: 'The request line or headers are too large.',
    fix: 'Send a shorter URL (move data into the body) or fewer, smaller headers.',
  },
  request_too_large: {
    status: 413,
    message: 'The request body is larger than the limit for this route.',
    fix: 'Send a smaller body.',
  },
  unsupported_media_type: {
    status: 415,
    message: "The request's Content-Type is not accepted here.",
    fix: 'Send application/json.',
  },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.', fix: 'Check quoting and commas.' },
  method_not_allowed: {
    status: 405,
    message: 'The route exists but not for this HTTP method.',
    fix: 'Use a method from the Allow header.',
  },
  route_not_found: {
    status: 404,
    message: 'No route matches the method and path.',
    fix: 'Check the URL: the OpenAI-compatible API is under /v1, the admin API is described at /admin/v1/openapi.json.',
  },
  too_many_connections: {
    status: 429,
    message: 'Too many open connections from your address.',
    fix: 'Close idle connections or reuse fewer keep-alive connections, then retry.',
  },
  monitor_unavailable: {
    status: 503,
    message: "The monitoring wall cannot read the instances' snapshots: Redis (redis.url) is unreachable.",
    fix: 'Retry once Redis is back; the wall answers again by itself.',
  },
  internal_error: {
    status: 500,
    message: 'The gateway hit an internal error; the message carries the request id.',
    fix: 'Retry, and report the request id to the operator if it persists.',
  },

  // Validation.
  unsupported_api_version: {
    status: 400,
    message:
      'The AIHub-Version header (or a pinned version) names no version of this API; the message lists the known ones.',
    fix: 'Send a version listed at GET /admin/v1/versions, or leave the header out for the current one.',
  },
  api_version_sunset: {
    status: 410,
    message:
      'The API version asked for (AIHub-Version) or pinned on the key, OAuth client or tenant is past its sunset date and no longer served.',
    fix: 'Send the current version (named in the message; see GET /admin/v1/versions for what changed) or upgrade the pin; an operator can keep serving it with versioning.sunsetGraceDays or versioning.serveAfterSunset.',
  },
  invalid_request: {
    status: 400,
    message: 'The request is malformed (for example a body that is not a JSON object).',
    fix: 'Fix the request as the message says.',
  },
  validation_failed: {
    status: 400,
    message: 'A request field failed validation; `param` names the field and the message says what is wrong.',
    fix: "Correct the named field (see the route's schema in the OpenAPI document).",
  },
  invalid_type: {
    status: 400,
    message: "A request parameter (or an event's field) has the wrong type or kind; `param` names it.",
    fix: 'Send the type the message names.',
  },
  invalid_cursor: {
    status: 400,
    message: 'The page cursor is not one this API returned for this list.',
    fix: "Pass the previous page's next cursor unchanged, or start again without one.",
  },
  invalid_range: {
    status: 400,
    message: 'The time range is malformed, reversed or longer than allowed.',
    fix: 'Send UTC days (YYYY-MM-DD) or ISO-8601 date-times with `from` before `to`, within the maximum span.',
  },
  invalid_password: {
    status: 400,
    message: "The password does not meet the gateway's password rules.",
    fix: 'Choose a password of the required length.',
  },
  exceeds_plan: {
    status: 400,
    message: "A limit or budget asked for is above what the tenant's plan allows.",
    fix: 'Lower it, or ask the platform operator for another plan.',
  },
  nul_character: {
    status: 400,
    message: 'A string contains a NUL character (U+0000), which the database cannot store.',
    fix: 'Remove the character.',
  },
  lone_surrogate: {
    status: 400,
    message: 'A string contains a lone UTF-16 surrogate (invalid Unicode).',
    fix: 'Send well-formed UTF-8 text.',
  },
  non_finite_number: {
    status: 400,
    message: 'A number is not finite (too large, NaN or Infinity).',
    fix: 'Send a number the database can store.',
  },
  too_deep: { status: 400, message: 'A JSON value is nested deeper than the gateway stores.', fix: 'Flatten it.' },

  // Credentials and authorization.
  invalid_api_key: {
    status: 401,
    message: 'No credential was sent, or it is not a valid API key or access token of this gateway.',
    fix: 'Send a valid key as `Authorization: Bearer <key>` (or `x-api-key`); create one in the admin API or console.',
  },
  invalid_token: {
    status: 401,
    message:
      'The bearer token is not valid for this endpoint (an access token, the metrics token or the health details token).',
    fix: 'Send the right token as `Authorization: Bearer <token>`; get access tokens from /oauth/token.',
  },
  insufficient_scope: {
    status: 403,
    message: 'The credential lacks the scope this route needs.',
    fix: 'Use a key or token that has the scope named in the message.',
  },
  permission_denied: {
    status: 403,
    message: "The credential's role may not do this in this tenant.",
    fix: 'Ask a tenant owner or admin, or use a credential with a higher role.',
  },
  platform_admin_required: {
    status: 403,
    message: 'The route is for platform admins.',
    fix: 'Use a superadmin key or token.',
  },
  superadmin_required: {
    status: 403,
    message: 'The route is for platform superadmins only (the dead-letter routes).',
    fix: 'Use a superadmin key or token.',
    sameAs: 'platform_admin_required',
  },
  user_session_required: {
    status: 403,
    message: 'The action is about the signed-in user, and an API key has no user session.',
    fix: 'Sign in as yourself (the console, or an OAuth access token of your user).',
  },
  rate_limit_exceeded: {
    status: 429,
    message: "A rate limit was hit: the gateway's own limits, or the upstream provider's for the model.",
    fix: "Wait for the Retry-After header's seconds, then retry.",
  },

  // Things that do not exist (in the caller's tenant).
  tenant_not_found: {
    status: 404,
    otherStatuses: [401],
    message: "The tenant does not exist or is not the caller's (401 when a credential names a tenant that is gone).",
    fix: 'Use the id of an existing tenant you belong to.',
  },
  team_not_found: {
    status: 404,
    otherStatuses: [400],
    message: 'The team is not a team of this tenant (400 when it is named in a request body).',
    fix: "Use the id of one of the tenant's teams (GET /admin/v1/tenants/{id}/teams).",
  },
  member_not_found: {
    status: 404,
    message: 'The user is not a member of the tenant.',
    fix: 'Use the user id of one of its members, or add or invite them first.',
  },
  user_not_found: {
    status: 404,
    message: 'No such user (or no events or profile for the user in this tenant).',
    fix: 'Check the user id.',
  },
  key_not_found: {
    status: 404,
    message: 'The tenant has no API key or OAuth client with this id.',
    fix: 'Use the id of one of its API keys or OAuth clients.',
  },
  request_not_found: {
    status: 404,
    message: 'No request with this id in your tenant; its usage record may not be written yet.',
    fix: 'Check the request id, or retry in a few seconds.',
  },
  dead_letter_not_found: {
    status: 404,
    message: 'No dead letter with this id on this topic.',
    fix: 'List the dead letters and use an id from the list.',
  },
});
