import type { Context } from 'koa';
import { z } from 'zod';
import { AUDIT_LOG, PrincipalKey } from '../../contracts';
import { errors } from '../../errors/GatewayError';
import { validated } from '../../http/validate';
import type { PluginContext, PluginRouter } from '../../kernel/types';
import type { DeadLetter, DeadLetterStore } from './DeadLetterStore';

const deadLetterOut = z.object({
  object: z.literal('dead_letter'),
  id: z.string(),
  topic: z.string(),
  group: z.string(),
  message_id: z.string().nullable(),
  tenant_id: z.string().nullable(),
  reason: z
    .string()
    .describe('invalid_text, out_of_range, too_long, constraint, invalid_value, malformed or write_failed'),
  error: z.string(),
  payload: z.unknown().describe('The message payload as it was queued'),
  created_at: z.string(),
  replayed_at: z.string().nullable(),
  replays: z.number().int(),
});

const listQuery = z
  .object({
    tenant_id: z.string().min(1).max(200).optional(),
    include_replayed: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    before: z
      .string()
      .datetime({ offset: true })
      .optional()
      .describe('Only entries created before this instant (the last created_at of the previous page)'),
  })
  .strict();

const idParams = z.object({ id: z.string().uuid() }).strict();
const replayBody = z
  .object({
    sanitize: z.boolean().optional().describe('Replace NUL, lone surrogates and non-finite numbers before publishing'),
  })
  .strict();

function json(d: DeadLetter) {
  return {
    object: 'dead_letter' as const,
    id: d.id,
    topic: d.topic,
    group: d.group,
    message_id: d.messageId,
    tenant_id: d.tenantId,
    reason: d.reason,
    error: d.error,
    payload: d.payload,
    created_at: d.createdAt,
    replayed_at: d.replayedAt,
    replays: d.replays,
  };
}

/** Dead letters span tenants and carry their payloads: platform superadmins only, checked here on the server. */
function requirePlatformAdmin(c: Context): void {
  const principal = PrincipalKey.get(c);
  if (!principal) throw errors.unauthorized();
  if (principal.superadmin !== true)
    throw errors.forbidden('Dead letters are visible to platform superadmins only.', 'superadmin_required');
}

/**
 * Mounts the operator routes of one topic's dead letters (see DeadLetterStore):
 * `GET /admin/v1/queues/{topic}/dead-letters` lists them (newest first, filter by tenant), and
 * `POST /admin/v1/queues/{topic}/dead-letters/{id}/replay` publishes one again after the cause is
 * fixed. The plugin that consumes the topic mounts them; `operation` names them in the OpenAPI document.
 */
export function mountDeadLetterRoutes(
  router: PluginRouter,
  ctx: PluginContext,
  options: { topic: string; store: DeadLetterStore; operation: string },
): void {
  const { topic, store, operation } = options;
  const base = `/admin/v1/queues/${topic}/dead-letters`;
  router.get(
    base,
    async (c) => {
      requirePlatformAdmin(c);
      const q = validated<z.output<typeof listQuery>>(c).query;
      const data = await store.list({
        topic,
        tenantId: q.tenant_id,
        includeReplayed: q.include_replayed === 'true',
        limit: q.limit,
        before: q.before,
      });
      c.body = { object: 'list', data: data.map(json) };
    },
    {
      scopes: ['admin:read'],
      tags: ['admin', 'queues'],
      summary: `List dead letters of ${topic} (platform superadmin, newest first)`,
      schema: {
        query: listQuery,
        tag: 'queues',
        responses: { 200: z.object({ object: z.literal('list'), data: z.array(deadLetterOut) }) },
        operationId: `list${operation}DeadLetters`,
      },
    },
  );
  router.post(
    `${base}/:id/replay`,
    async (c) => {
      requirePlatformAdmin(c);
      const { id } = validated<unknown, z.output<typeof idParams>>(c).params;
      const body = c.request.body as z.output<typeof replayBody>;
      const r = await store.replay(ctx.queue, topic, id, { sanitize: body.sanitize });
      if (!r) throw errors.notFound(`No dead letter ${id} on ${topic}.`, 'dead_letter_not_found');
      const entry = {
        tenantId: r.deadLetter.tenantId,
        action: 'dead_letter.replay',
        targetType: 'dead_letter',
        targetId: id,
        before: null,
        after: { topic, queue_message_id: r.messageId, replaced_paths: r.replaced },
      };
      const audit = ctx.tryGet(AUDIT_LOG);
      if (audit) await audit.record(c, entry);
      else ctx.logger.info('audit: dead_letter.replay', { audit: entry });
      c.body = { ...json(r.deadLetter), queue_message_id: r.messageId, replaced_paths: r.replaced };
    },
    {
      scopes: ['admin:write'],
      tags: ['admin', 'queues'],
      summary: `Publish a dead letter of ${topic} again after fixing its cause (platform superadmin)`,
      schema: {
        params: idParams,
        body: replayBody,
        tag: 'queues',
        responses: { 200: deadLetterOut.extend({ queue_message_id: z.string(), replaced_paths: z.array(z.string()) }) },
        operationId: `replay${operation}DeadLetter`,
      },
    },
  );
}
