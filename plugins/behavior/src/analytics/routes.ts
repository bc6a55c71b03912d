import { AUDIT_LOG, errors, validated, type PluginContext, type PluginRouter } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { actorOf, authorizeTenant as authorize } from '@aihub/core/plugin-api';
import type { BehaviorConfig } from '../config';
import type { BehaviorMetrics } from '../metrics';
import type { TenantKeys } from '../privacy/TenantKeys';
import type { Analytics } from './Analytics';
import { propertyFilters } from './Filters';
import { strictQuery } from './query';
import { duration, timeRange } from './range';
import { decodeCursor } from './timeline';
import { storedIdsOf } from './userIds';

const id = z.string().min(1).max(200);
const eventName = z.string().min(1).max(200);
const tenantParams = z.object({ tenantId: z.string().min(1).max(64) }).strict();
const rangeQuery = {
  from: z
    .string()
    .max(40)
    .optional()
    .describe('Start: YYYY-MM-DD (UTC day) or ISO-8601 date-time with offset; default 7 days before `to`'),
  to: z
    .string()
    .max(40)
    .optional()
    .describe('End: YYYY-MM-DD (inclusive day) or ISO-8601 date-time with offset (exclusive); default now'),
};
const limit = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
/** Most event names one trends query may chart (`event` repeated). */
const MAX_EVENTS = 20;

const countsQuery = strictQuery(
  {
    ...rangeQuery,
    interval: z.enum(['hour', 'day', 'week', 'month']).default('day'),
    event: z
      .union([eventName, z.array(eventName).min(1).max(MAX_EVENTS)])
      .optional()
      .describe(`Only this event name (repeat for up to ${MAX_EVENTS})`),
    type: z.enum(['track', 'identify', 'page', 'screen', 'group', 'alias']).optional(),
    user_id: z.string().min(1).max(200).optional().describe('Only this user: the raw id or the stored (hashed) one'),
    group_by: z.enum(['event']).optional().describe('event: one series per event name'),
    users: z
      .enum(['true', 'false'], { error: 'users must be true or false' })
      .default('true')
      .describe('false: leave out distinct users (the counts alone, from the per-day totals: the fast first answer)'),
  },
  { properties: true },
);
const topEventsQuery = strictQuery({
  ...rangeQuery,
  type: z.enum(['track', 'page', 'screen']).default('track'),
  limit: limit(20, 1000),
});
const topPropsQuery = strictQuery({
  ...rangeQuery,
  event: eventName.optional(),
  property: z.string().max(800).optional().describe('Show this property’s top values instead of property names'),
  limit: limit(20, 1000),
});
const funnelQuery = strictQuery({
  ...rangeQuery,
  steps: z.string().max(2100).optional().describe('Comma-separated event names, in order (or repeat `step`)'),
  step: z.union([eventName, z.array(eventName).max(10)]).optional(),
  window: z
    .string()
    .max(20)
    .optional()
    .describe('Time allowed from the first step to the last: 30m, 12h, 7d (default 7d, at most 90d)'),
});
const retentionQuery = strictQuery({
  ...rangeQuery,
  interval: z.enum(['day', 'week', 'month']).default('week'),
  periods: limit(8, 60),
  start_event: eventName.optional().describe('The event that puts a user in a cohort (default: any event)'),
  return_event: eventName.optional().describe('The event that counts as returning (default: any event)'),
});
const sessionsQuery = strictQuery({
  ...rangeQuery,
  user_id: z.string().min(1).max(200).optional().describe('One user’s sessions: the raw id or the stored (hashed) one'),
  inactivity: z.string().max(20).optional().describe('Inactivity that ends a session, e.g. 30m (at most 1d)'),
  limit: limit(100, 1000),
});
const profileQuery = strictQuery({
  limit: limit(50, 1000),
  before: z
    .string()
    .max(200)
    .optional()
    .describe('Page cursor: `next_before` of the previous page (events older than it)'),
});
/** Longest funnel window: later steps are read up to one window past the range. */
const MAX_WINDOW_MS = 90 * 86_400_000;
const MAX_INACTIVITY_MS = 86_400_000;

/** Analytics API under /admin/v1/tenants/:tenantId/analytics (permission events:read; deletion events:delete). */
export function analyticsRoutes(
  router: PluginRouter,
  ctx: PluginContext<BehaviorConfig>,
  analytics: Analytics,
  metrics: BehaviorMetrics,
  keys: TenantKeys,
): void {
  const base = '/admin/v1/tenants/:tenantId/analytics';
  const cfg = ctx.config.analytics;
  const read = { scopes: ['admin:read'], tags: ['admin', 'analytics'] };
  const range = (q: { from?: string; to?: string }) => timeRange(q, Date.now(), cfg.maxRangeDays);
  const iso = (r: { from: number; to: number }) => ({
    from: new Date(r.from).toISOString(),
    to: new Date(r.to).toISOString(),
  });

  router.get(
    `${base}/events`,
    async (c) => {
      const { params, query } = validated<z.output<typeof countsQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const r = range(query);
      const events = query.event === undefined ? undefined : Array.isArray(query.event) ? query.event : [query.event];
      const userIds = query.user_id === undefined ? undefined : await storedIdsOf(keys, params.tenantId, query.user_id);
      const result = await analytics.counts(
        params.tenantId,
        r,
        query.interval,
        { events, type: query.type, userIds, properties: propertyFilters(c.query) },
        query.group_by === 'event',
        query.users === 'true',
      );
      c.body = { object: 'event_counts', tenant_id: params.tenantId, ...iso(r), interval: query.interval, ...result };
    },
    {
      ...read,
      summary: 'Event counts over time (filters: event (repeatable), type, user_id, property.<name>=<value>)',
      schema: { params: tenantParams, query: countsQuery, tag: 'analytics', operationId: 'eventCounts' },
    },
  );

  router.get(
    `${base}/top/events`,
    async (c) => {
      const { params, query } = validated<z.output<typeof topEventsQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const r = range(query);
      c.body = {
        object: 'top_events',
        tenant_id: params.tenantId,
        ...iso(r),
        type: query.type,
        data: await analytics.topEvents(params.tenantId, r, query.type, query.limit),
      };
    },
    {
      ...read,
      summary: 'The most frequent events (track), pages or screens',
      schema: { params: tenantParams, query: topEventsQuery, tag: 'analytics', operationId: 'topEvents' },
    },
  );

  router.get(
    `${base}/top/properties`,
    async (c) => {
      const { params, query } = validated<z.output<typeof topPropsQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const r = range(query);
      c.body = {
        object: 'top_properties',
        tenant_id: params.tenantId,
        ...iso(r),
        event: query.event ?? null,
        ...(await analytics.topProperties(params.tenantId, r, query.event, query.property, query.limit)),
      };
    },
    {
      ...read,
      summary: 'The most used properties, or one property’s most frequent values',
      schema: { params: tenantParams, query: topPropsQuery, tag: 'analytics', operationId: 'topProperties' },
    },
  );

  router.get(
    `${base}/funnels`,
    async (c) => {
      const { params, query } = validated<z.output<typeof funnelQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const steps = (
        query.step !== undefined
          ? Array.isArray(query.step)
            ? query.step
            : [query.step]
          : (query.steps ?? '').split(',')
      )
        .map((s) => s.trim())
        .filter(Boolean);
      if (steps.length < 2 || steps.length > 10)
        throw errors.badRequest(
          'A funnel needs 2 to 10 steps: steps=signup,activate,purchase',
          'invalid_steps',
          'steps',
        );
      const r = range(query);
      const windowMs = duration(query.window, 7 * 86_400_000, 'window', MAX_WINDOW_MS);
      c.body = {
        object: 'funnel',
        tenant_id: params.tenantId,
        ...iso(r),
        ...(await analytics.funnel(params.tenantId, r, steps, windowMs)),
      };
    },
    {
      ...read,
      summary: 'Conversion through ordered steps within a time window',
      schema: { params: tenantParams, query: funnelQuery, tag: 'analytics', operationId: 'funnel' },
    },
  );

  router.get(
    `${base}/retention`,
    async (c) => {
      const { params, query } = validated<z.output<typeof retentionQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const r = range(query);
      const cohorts = await analytics.retention(
        params.tenantId,
        r,
        query.interval,
        query.periods,
        query.start_event,
        query.return_event,
      );
      c.body = {
        object: 'retention',
        tenant_id: params.tenantId,
        ...iso(r),
        interval: query.interval,
        periods: query.periods,
        start_event: query.start_event ?? null,
        return_event: query.return_event ?? null,
        cohorts,
      };
    },
    {
      ...read,
      summary: 'Retention cohorts: who came back in each later period',
      schema: { params: tenantParams, query: retentionQuery, tag: 'analytics', operationId: 'retention' },
    },
  );

  router.get(
    `${base}/sessions`,
    async (c) => {
      const { params, query } = validated<z.output<typeof sessionsQuery>, { tenantId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const r = range(query);
      const inactivity = duration(
        query.inactivity,
        cfg.sessionInactivityMinutes * 60_000,
        'inactivity',
        MAX_INACTIVITY_MS,
      );
      const userIds = query.user_id === undefined ? undefined : await storedIdsOf(keys, params.tenantId, query.user_id);
      c.body = {
        object: 'sessions',
        tenant_id: params.tenantId,
        ...iso(r),
        ...(await analytics.sessions(params.tenantId, r, inactivity, userIds, query.limit)),
      };
    },
    {
      ...read,
      summary: 'Sessions (split by inactivity, 30 minutes by default); one user’s sessions with user_id',
      schema: { params: tenantParams, query: sessionsQuery, tag: 'analytics', operationId: 'sessions' },
    },
  );

  const userParams = z.object({ tenantId: z.string().min(1).max(64), userId: id }).strict();
  router.get(
    `${base}/users/:userId`,
    async (c) => {
      const { params, query } = validated<z.output<typeof profileQuery>, { tenantId: string; userId: string }>(c);
      authorize(ctx, c, 'events:read', params.tenantId);
      const before = query.before === undefined ? undefined : decodeCursor(query.before, 'before');
      const profile = await analytics.profile(
        params.tenantId,
        await storedIdsOf(keys, params.tenantId, params.userId),
        query.limit,
        before,
      );
      if (!profile)
        throw errors.notFound(
          'No events or profile for this user in this tenant (searched the id as given and as hashed with the tenant’s key).',
          'user_not_found',
        );
      c.body = profile;
    },
    {
      ...read,
      summary:
        'A user’s profile (traits, first/last seen) and events, newest first, paged with `before`; the id may be given raw or as stored (hashed)',
      schema: { params: userParams, query: profileQuery, tag: 'analytics', operationId: 'userProfile' },
    },
  );

  router.delete(
    `${base}/users/:userId`,
    async (c) => {
      const { params } = validated<unknown, { tenantId: string; userId: string }>(c);
      authorize(ctx, c, 'events:delete', params.tenantId);
      const candidates = await storedIdsOf(keys, params.tenantId, params.userId);
      const result = await analytics.deleteUser(params.tenantId, candidates, ctx.config.retention.batchSize);
      metrics.usersDeleted.inc();
      // The audit names the stored id(s), never the raw id an admin may have typed (it may be PII the tenant hashes).
      const target = result.userIds.length ? result.userIds.join(',') : candidates[candidates.length - 1];
      const entry = {
        tenantId: params.tenantId,
        action: 'analytics.user.delete',
        targetType: 'analytics_user',
        targetId: target,
        before: { events: result.events, profile: result.profile },
        after: null,
      };
      const audit = ctx.tryGet(AUDIT_LOG);
      if (audit) await audit.record(c, entry);
      else ctx.logger.info('audit: analytics.user.delete', { audit: entry, actor: actorOf(c) });
      c.body = {
        object: 'user_deletion',
        tenant_id: params.tenantId,
        user_id: result.userIds[0] ?? target,
        user_ids: result.userIds,
        deleted_events: result.events,
        deleted_profile: result.profile,
      };
    },
    {
      scopes: ['admin:write'],
      tags: ['admin', 'analytics'],
      summary: 'Delete a user’s events and profile (right to erasure); the id may be given raw or as stored (hashed)',
      schema: { params: userParams, query: strictQuery({}), tag: 'analytics', operationId: 'eraseAnalyticsUser' },
    },
  );
}
