import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the ai plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const AiErrors = defineErrors('ai', {
  // The request.
  missing_required_parameter: {
    status: 400,
    message: 'A required request parameter is missing; `param` names it.',
    fix: 'Send the parameter.',
  },
  invalid_value: {
    status: 400,
    message: 'A request parameter has a value the API does not accept; `param` names it.',
    fix: 'Send a value the message allows.',
  },
  unsupported_operation: {
    status: 400,
    message: 'The model does not support this operation (chat completions or embeddings).',
    fix: 'Use a model that supports it (GET /v1/models).',
  },
  templates_disabled: {
    status: 400,
    message: 'Prompt templates are disabled on this gateway.',
    fix: 'Send the prompt itself, or ask the operator to enable templates.',
  },
  template_not_found: {
    status: 400,
    message: 'The prompt template named in metadata.aihub_template does not exist for this tenant.',
    fix: 'Use a template the tenant has.',
  },
  template_variable_missing: {
    status: 400,
    message: 'A variable the prompt template needs is missing.',
    fix: 'Send it in aihub_variables.',
  },
  previous_response_not_found: {
    status: 400,
    type: 'invalid_request_error',
    message:
      "previous_response_id names no stored response of the tenant (never stored, deleted, expired, or another tenant's).",
    fix: 'Continue from a response created with `store: true` within the retention, or send the whole conversation as input.',
  },
  response_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: "No stored response of the tenant has this id (never stored, deleted, expired, or another tenant's).",
    fix: 'Use the id of a response created with `store: true` within the retention.',
  },
  // The model.
  model_not_found: {
    status: 404,
    type: 'invalid_request_error',
    message: 'The model does not exist, or the caller may not use it.',
    fix: 'Use a model from GET /v1/models.',
  },
  model_not_allowed: {
    status: 403,
    message: 'The credential (API key or OAuth client) may not use this model.',
    fix: 'Use one of its allowed models, or ask an admin to allow the model.',
  },
  // The upstream provider.
  upstream_timeout: {
    status: 504,
    message:
      'The upstream provider did not answer in time (in a stream: stopped sending mid-answer, sent as an error event).',
    fix: 'Retry, or ask for fewer tokens.',
  },
  upstream_unreachable: { status: 502, message: 'The upstream provider could not be reached.', fix: 'Retry later.' },
  upstream_error: { status: 502, message: 'The upstream provider failed while answering.', fix: 'Retry later.' },
  upstream_auth_failed: {
    status: 502,
    message: "The provider rejected the gateway's credentials.",
    fix: "An operator must fix the provider's apiKey in the ai plugin's config.",
  },
  upstream_model_not_found: {
    status: 502,
    message: 'The provider does not know the model a deployment is configured with.',
    fix: "An operator must fix the deployment's model.",
  },
  upstream_invalid_request: {
    status: 400,
    message:
      "The provider refused the request (answered with the provider's own 4xx status); the provider's own code is passed on instead when it sends one.",
    fix: 'Fix the request as the message says.',
  },
  upstream_stream_error: {
    status: 502,
    message:
      'The upstream provider failed in the middle of a streamed answer (sent as an error event; the answer is incomplete).',
    fix: 'Retry the request.',
  },
  upstream_stream_truncated: {
    status: 502,
    message: 'The upstream stream ended without its final event (sent as an error event; the answer is incomplete).',
    fix: 'Retry the request.',
  },
  no_healthy_deployment: {
    status: 503,
    message: 'Every deployment of the model is failing and temporarily disabled (circuit breakers open).',
    fix: "Retry after the Retry-After header's seconds.",
  },
  provider_not_configured: {
    status: 503,
    message:
      'Every deployment that could serve the model is on a provider without a credential (an empty apiKey, e.g. from an unset environment variable); nothing was sent upstream.',
    fix: "The gateway operator sets the provider's key (the start log, readiness detail and aihub config validate name the variable) and restarts or reloads the config.",
  },
  mock_failure: {
    status: 500,
    message: 'The mock provider failed the request on purpose (its failureRate setting); for tests only.',
    fix: "Set the mock provider's failureRate to 0.",
  },
  client_closed_request: {
    status: 499,
    message: 'The client closed the request before the answer was complete (recorded; never seen by that client).',
    fix: 'Nothing to do; keep the connection open to get the answer.',
  },
  // The live catalog (admin API).
  catalog_invalid: {
    status: 400,
    message:
      'The change would make the ai catalog invalid (the same checks as the config file); `details.issues` lists each problem with its path.',
    fix: 'Fix the entry as the issues say and send it again.',
  },
  catalog_entry_not_found: {
    status: 404,
    message:
      'The catalog has no API entry of this name in this section (file entries cannot be deleted, only disabled).',
    fix: 'Use a name from GET /admin/v1/ai/catalog, or disable a file entry with PUT {"disabled": true}.',
  },
  catalog_revision_not_found: {
    status: 404,
    message: 'No catalog revision has this number.',
    fix: 'Use a number from GET /admin/v1/ai/catalog/revisions.',
  },
  catalog_revision_mismatch: {
    status: 412,
    message: 'If-Match names another catalog revision than the current one: the catalog changed since it was read.',
    fix: 'Read the catalog again (its ETag) and redo the change on top of it.',
  },
  catalog_conflict: {
    status: 409,
    message: 'Another change to the catalog was stored at the same time.',
    fix: 'Read the catalog again and redo the change.',
  },
  catalog_key_missing: {
    status: 400,
    message: 'A provider credential was sent, but no catalog encryption key is configured to seal it.',
    fix: "Set the ai plugin's catalog.encryptionKey (32 bytes base64, from the environment), or put the credential in the config file.",
  },
  ai_unavailable: {
    status: 503,
    message: 'The ai plugin is not running (starting or stopping).',
    fix: 'Retry shortly.',
  },
});
