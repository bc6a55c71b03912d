import type { z } from 'zod';
import { errors, validated, type PluginRouter } from '@aihub/core/plugin-api';
import { resumeKey, suspendKey, type HoldOutcome } from '../keys/suspension';
import type { AuthRuntime } from '../runtime';
import { actorId } from './common';
import { keyNotFound, keyView } from './keyView';
import { apiKeyView, keyParams, suspendKeyBody } from './schemas';
import { targetKey } from './targetKey';

/** 409 for a revoked key, 404 for a missing one, else the key's view. */
function answer(r: AuthRuntime, out: HoldOutcome, verb: string) {
  if (out === undefined) throw keyNotFound();
  if (out === 'revoked')
    throw errors.conflict(
      `This API key is revoked; a revoked key cannot be ${verb}. Create a new key.`,
      'api_key_revoked',
    );
  return keyView(out.after, r.ctx.clock.now());
}

/**
 * `POST /admin/v1/tenants/:tenantId/api-keys/:id/suspend` and `…/resume`: a reversible hold on a
 * key (the key keeps its id, secret, limits and budgets), unlike `DELETE` (revocation, final). Both
 * are idempotent — suspending a suspended key keeps the first suspension, resuming a key that is
 * not suspended changes nothing (200 with the key, no audit entry) — so a retry or a second admin
 * never gets an error for a state the key is already in. A revoked key answers 409 `api_key_revoked`.
 */
export function suspendKeyRoutes(router: PluginRouter, rt: () => AuthRuntime, base: string, tag: string): void {
  router.post(
    `${base}/:id/suspend`,
    async (ctx) => {
      const r = rt();
      const { tenantId, id } = validated<unknown, z.output<typeof keyParams>>(ctx).params;
      const body = (ctx.request.body ?? {}) as z.output<typeof suspendKeyBody>;
      const { caller } = await targetKey(r, ctx, tenantId, id);
      const out = await suspendKey(r, ctx, tenantId, id, body.reason ?? null, actorId(caller));
      ctx.body = answer(r, out, 'suspended');
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary:
        'Suspend an API key (reversible; idempotent): it is refused with 403 api_key_suspended on every instance within a second, until resumed',
      schema: {
        params: keyParams,
        body: suspendKeyBody,
        responses: { 200: apiKeyView },
        tag,
        operationId: 'suspendApiKey',
      },
    },
  );

  router.post(
    `${base}/:id/resume`,
    async (ctx) => {
      const r = rt();
      const { tenantId, id } = validated<unknown, z.output<typeof keyParams>>(ctx).params;
      await targetKey(r, ctx, tenantId, id);
      ctx.body = answer(r, await resumeKey(r, ctx, tenantId, id), 'resumed');
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary: 'Resume a suspended API key (idempotent): it works again on every instance within a second',
      schema: { params: keyParams, responses: { 200: apiKeyView }, tag, operationId: 'resumeApiKey' },
    },
  );
}
