import type { z } from 'zod';
import { validated, type PluginRouter } from '@aihub/core/plugin-api';
import type { AuthRuntime } from '../runtime';
import { audit } from './common';
import { keyNotFound, keyView } from './keyView';
import { createdKeyView, keyParams, rotateKeyBody } from './schemas';
import { targetKey } from './targetKey';
import { AuthErrors } from '../errors';

/**
 * `POST /admin/v1/tenants/:tenantId/api-keys/:id/rotate`: a new key with the same settings (new id
 * and secret, shown once) replaces the old one, which stops working now or after `grace_seconds`.
 * A new id rather than a new secret under the old id: the hot path's key cache and key format stay
 * as they are, and both keys stay visible (linked by rotated_from / replaced_by) during the grace.
 */
export function rotateKeyRoute(router: PluginRouter, rt: () => AuthRuntime, base: string, tag: string): void {
  router.post(
    `${base}/:id/rotate`,
    async (ctx) => {
      const r = rt();
      const { tenantId, id } = validated<unknown, z.output<typeof keyParams>>(ctx).params;
      const body = (ctx.request.body ?? {}) as z.output<typeof rotateKeyBody>;
      const { current } = await targetKey(r, ctx, tenantId, id);
      const grace = body.grace_seconds ?? 0;
      const out = await r.keys.rotate(tenantId, id, grace * 1000);
      if (out === undefined) throw keyNotFound();
      if (out === 'conflict') {
        throw AuthErrors.create(
          'api_key_not_rotatable',
          'Only an active key that has not been rotated yet can be rotated; create a new key instead.',
        );
      }
      // The old key's revocation or shortened expiry applies on every instance now, not when caches expire.
      await r.apiKeys.announce(id);
      const now = r.ctx.clock.now();
      const view = keyView(out.record, now);
      await audit(r, ctx, {
        tenantId,
        action: 'api_key.rotate',
        targetType: 'api_key',
        targetId: id,
        before: keyView(current, now),
        after: { ...keyView(out.old, now), grace_seconds: grace, new_key_id: out.record.id },
      });
      ctx.status = 201;
      ctx.set('cache-control', 'no-store');
      ctx.body = { ...view, key: out.key };
    },
    {
      scopes: ['admin:write'],
      tags: ['admin'],
      summary:
        'Rotate an API key: a new key (shown once) with the same settings; the old one stops working now or after grace_seconds',
      schema: {
        params: keyParams,
        body: rotateKeyBody,
        responses: { 201: createdKeyView },
        tag,
        operationId: 'rotateApiKey',
      },
    },
  );
}
