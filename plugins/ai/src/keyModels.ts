import { GatewayError, type Principal } from '@aihub/core/plugin-api';
import { AiErrors } from './errors';

/**
 * Per-credential model allow-list (an API key's `allowed_models`). The list travels on the frozen
 * Principal the auth plugin caches per key, so the check is one array scan of a handful of aliases;
 * absent, or containing `*`, means every model the tenant may use.
 */
export function principalMayUse(principal: Principal | undefined, alias: string): boolean {
  const allowed = principal?.allowedModels;
  return allowed === undefined || allowed.includes(alias) || allowed.includes('*');
}

/**
 * 403 for a model the tenant has but this key may not call. Unlike a model outside the tenant's
 * allow-list (404, so tenants cannot probe each other's aliases), the key's holder may know the
 * tenant's models: saying why helps them pick another key instead of reporting a missing model.
 */
export function modelNotAllowed(model: string): GatewayError {
  return AiErrors.create(
    'model_not_allowed',
    `This credential (API key or OAuth client) may not use the model \`${model}\`; use one of its allowed models, or ask an admin to allow it.`,
    { type: 'permission_error', param: 'model' },
  );
}
