import {
  GatewayError,
  PrincipalKey,
  TenantKey,
  errors,
  findUnstorable,
  type GatewayContext,
  type PluginContext,
  type PluginRouter,
  CoreErrors,
} from '@aihub/core/plugin-api';
import type { BehaviorConfig } from '../config';
import { EVENTS_TOPIC, type BehaviorMetrics } from '../metrics';
import { applyPolicy, compilePolicy } from '../privacy/pii';
import type { TenantKeys } from '../privacy/TenantKeys';
import type { TenantSettingsCache } from '../TenantSettingsCache';
import { validateEvent, type EventError, type EventType, type StoredEvent } from './events';
import { BehaviorErrors } from '../errors';

type Json = Record<string, unknown>;

/** The tenant events are written to; the caller must hold `events:write` (checked again here, not only by auth). */
function tenantOf(c: GatewayContext): string {
  const principal = PrincipalKey.get(c);
  if (!principal) throw errors.unauthorized();
  if (!principal.superadmin && !principal.scopes.includes('events:write')) {
    throw errors.forbidden(
      'This key lacks the events:write scope; create a key with it to send events.',
      'insufficient_scope',
    );
  }
  const tenantId = TenantKey.get(c)?.id ?? principal.tenantId;
  if (!tenantId)
    throw errors.forbidden('Events belong to a tenant: use a key of the tenant the events are for.', 'tenant_required');
  return tenantId;
}

function rejected(errs: EventError[], single: boolean): GatewayError {
  const first = errs[0];
  const where = single ? '' : `event ${first.index}: `;
  return CoreErrors.create(
    'validation_failed',
    `${where}${first.path ? `${first.path}: ` : ''}${first.message}${errs.length > 1 ? ` (and ${errs.length - 1} more problems)` : ''}`,
    { param: first.path || null, details: { errors: errs } },
  );
}

/**
 * Segment-compatible ingestion. Single-event endpoints answer 200 `{success:true}` or 400 with every
 * problem. /v1/batch accepts the valid events and reports the rest (200 with `success:false`,
 * `accepted`, `rejected` and per-event `errors`); 400 only when no event is valid. A 200 means the
 * accepted events are durable in the queue (written before answering). Values the database cannot
 * store (NUL, lone surrogates, non-finite numbers, anywhere in an event) are refused like any other
 * invalid field, per event, with the field's JSON path; in the batch's shared `context` they refuse
 * the whole batch, since every event would carry them.
 */
export function ingestRoutes(
  router: PluginRouter,
  ctx: PluginContext<BehaviorConfig>,
  deps: { keys: TenantKeys; metrics: BehaviorMetrics; settings: TenantSettingsCache },
): void {
  const limits = ctx.config.ingest;
  const { keys, metrics, settings } = deps;

  const prepare = async (
    c: GatewayContext,
    tenantId: string,
    events: Omit<StoredEvent, 'tenantId'>[],
  ): Promise<StoredEvent[]> => {
    const tenant = TenantKey.get(c);
    if (tenant) settings.remember(tenantId, tenant.settings);
    const policy = compilePolicy(tenant?.settings.pii ?? settings.get(tenantId)?.pii);
    if (!policy || policy.empty) return events.map((e) => ({ ...e, tenantId }));
    let key: Buffer;
    try {
      key = await keys.get(tenantId);
    } catch (err) {
      throw BehaviorErrors.create(
        'events_unavailable',
        'Events cannot be stored right now; retry with the same messageId (duplicates are dropped).',
        { cause: err },
      );
    }
    return events.map((e) => ({ ...applyPolicy(e, policy, key), tenantId }));
  };

  const enqueue = async (events: StoredEvent[]) => {
    if (!events.length) return;
    try {
      await ctx.queue.publishNow(EVENTS_TOPIC, events);
    } catch (err) {
      throw errors.unavailable(
        'Events cannot be stored right now; retry with the same messageId (duplicates are dropped).',
        'events_unavailable',
      );
    }
  };

  const single = (type: EventType) => async (c: GatewayContext) => {
    const tenantId = tenantOf(c);
    const receivedAt = Date.now();
    const { event, errors: errs } = validateEvent(c.request.body, 0, type, limits, receivedAt);
    if (!event) {
      metrics.received.inc({ type, outcome: 'rejected' });
      throw rejected(errs, true);
    }
    await enqueue(await prepare(c, tenantId, [event]));
    metrics.received.inc({ type, outcome: 'accepted' });
    c.body = { success: true };
  };

  const options = (summary: string) => ({
    auth: 'required' as const,
    scopes: ['events:write'],
    tags: ['events'],
    bodyLimit: limits.maxEventBytes + 1024,
    summary,
  });
  router.post('/v1/track', single('track'), options('Record an action a user performed (Segment track)'));
  router.post('/v1/identify', single('identify'), options('Tie a user to their traits (Segment identify)'));
  router.post('/v1/page', single('page'), options('Record a page view (Segment page)'));
  router.post('/v1/screen', single('screen'), options('Record a mobile screen view (Segment screen)'));
  router.post('/v1/group', single('group'), options('Associate a user with a group (Segment group)'));
  router.post('/v1/alias', single('alias'), options('Merge two user identities (Segment alias)'));

  router.post(
    '/v1/batch',
    async (c) => {
      const tenantId = tenantOf(c);
      const body = c.request.body as Json | undefined;
      if (!body || typeof body !== 'object' || !Array.isArray(body.batch)) {
        throw errors.badRequest('Send {"batch": [events…]} (the Segment batch format).', 'invalid_batch', 'batch');
      }
      const batch = body.batch as unknown[];
      if (batch.length === 0) throw errors.badRequest('The batch is empty.', 'invalid_batch', 'batch');
      if (batch.length > limits.maxBatchEvents) {
        throw BehaviorErrors.create(
          'batch_too_large',
          `A batch may hold at most ${limits.maxBatchEvents} events; this one has ${batch.length}. Split it.`,
          { param: 'batch' },
        );
      }
      const receivedAt = Date.now();
      // The shared context is merged into every event: a value the database refuses there refuses the whole batch.
      const sharedProblem = findUnstorable(body.context, 'context');
      if (sharedProblem) {
        throw CoreErrors.create('validation_failed', `${sharedProblem.path}: ${sharedProblem.message}`, {
          param: sharedProblem.path,
          details: { errors: [{ index: null, message_id: null, ...sharedProblem }] },
        });
      }
      const shared = {
        context:
          body.context && typeof body.context === 'object' && !Array.isArray(body.context)
            ? (body.context as Json)
            : undefined,
        sentAt: body.sentAt,
      };
      const valid: Omit<StoredEvent, 'tenantId'>[] = [];
      const errs: EventError[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < batch.length; i++) {
        const r = validateEvent(batch[i], i, undefined, limits, receivedAt, shared);
        if (!r.event) {
          errs.push(...r.errors);
          metrics.received.inc({ type: typeOf(batch[i]), outcome: 'rejected' });
          continue;
        }
        // The same messageId twice in one batch is one event.
        if (seen.has(r.event.messageId)) continue;
        seen.add(r.event.messageId);
        valid.push(r.event);
        metrics.received.inc({ type: r.event.type, outcome: 'accepted' });
      }
      if (!valid.length) throw rejected(errs, false);
      await enqueue(await prepare(c, tenantId, valid));
      const rejectedCount = new Set(errs.map((e) => e.index)).size;
      c.body = rejectedCount
        ? { success: false, accepted: batch.length - rejectedCount, rejected: rejectedCount, errors: errs }
        : { success: true, accepted: batch.length, rejected: 0 };
    },
    {
      ...options(
        'Send many events of any type at once (Segment batch); valid events are accepted even if others are not',
      ),
      bodyLimit: limits.maxBatchBytes,
    },
  );
}

function typeOf(raw: unknown): string {
  const t = raw && typeof raw === 'object' ? (raw as Json).type : undefined;
  return typeof t === 'string' && ['track', 'identify', 'page', 'screen', 'group', 'alias'].includes(t) ? t : 'invalid';
}
