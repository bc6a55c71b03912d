import { defineErrors } from '@aihub/core/plugin-api';

/** Every error the ops plugin answers with (see docs/errors.md; `npm run errors:doc` regenerates it). */
export const OpsErrors = defineErrors('ops', {
  ops_superadmin_only: {
    status: 403,
    message: 'Operations automation is a platform setting: only a superadmin may read or change it.',
    fix: 'Use a superadmin credential with the admin:read (reads) or admin:write (changes) scope.',
  },
  rule_not_found: {
    status: 404,
    message: 'No automation rule has this name.',
    fix: 'List the rules with GET /admin/v1/ops/rules.',
  },
  rule_exists: {
    status: 409,
    message: 'A rule with this name exists already (in config or through the API).',
    fix: 'Choose another name, or change the rule with PUT.',
  },
  rule_from_config: {
    status: 409,
    message: 'This rule is defined in the gateway config and cannot be changed through the API.',
    fix: "Change it in the ops plugin's config (or disable it there).",
  },
  invalid_rule_target: {
    status: 422,
    message: 'The rule names a deployment, model alias or webhook the gateway does not have.',
    fix: "Use a deployment or alias of the ai plugin's config, or a webhook of the ops plugin's config.",
  },
});
