import { Injectable, inject } from '@angular/core';
import { ApiClient } from '../../core/api/api-client';

/** The analytics answers the screens read (the routes declare no response schema, so typed here). */
export interface EventCounts {
  from: string;
  to: string;
  interval: string;
  total: number;
  /** Absent when asked without users (`users: false`). */
  users?: number;
  events: { event: string | null; total: number; series: { bucket: string; count: number; users?: number }[] }[];
}

export interface TopEvents {
  data: { event: string | null; count: number; users: number }[];
}

export interface FunnelStep {
  step: number;
  event: string;
  users: number;
  conversion_from_previous: number;
  conversion_from_start: number;
  drop_off: number;
  median_time_from_previous_ms: number | null;
  avg_time_from_previous_ms: number | null;
}

export interface Funnel {
  from: string;
  to: string;
  window_ms: number;
  events_scanned: number;
  steps: FunnelStep[];
}

export interface Retention {
  from: string;
  to: string;
  interval: 'day' | 'week' | 'month';
  periods: number;
  cohorts: { cohort: string; users: number; retention: { period: number; users: number; rate: number }[] }[];
}

export interface TimelineEvent {
  message_id: string;
  type: string;
  event: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  timestamp: string;
  received_at: string;
  properties: unknown;
}

export interface UserProfile {
  user_id: string;
  traits: Record<string, unknown> | null;
  anonymous_ids: string[];
  first_seen: string | null;
  last_seen: string | null;
  event_count: number | null;
  next_before: string | null;
  recent_events: TimelineEvent[];
}

export interface UserDeletion {
  user_id: string;
  deleted_events: number;
  deleted_profile: boolean;
}

export interface RangeQuery {
  from: string;
  to: string;
}

/** Calls of /admin/v1/tenants/{tenantId}/analytics/* (typed paths from the generated schema). */
@Injectable({ providedIn: 'root' })
export class BehaviorApi {
  private readonly api = inject(ApiClient);

  async counts(
    tenantId: string,
    q: RangeQuery & { interval: 'hour' | 'day' | 'week' | 'month'; events: string[] },
    /** false: the counts alone (from the per-day totals, fast); the distinct users take a second call. */
    users = true,
  ): Promise<EventCounts> {
    const query = {
      from: q.from,
      to: q.to,
      interval: q.interval,
      group_by: 'event' as const,
      ...(q.events.length ? { event: q.events } : {}),
      ...(users ? {} : { users: 'false' as const }),
    };
    return (await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/analytics/events', { params: { path: { tenantId }, query } }),
    )) as unknown as EventCounts;
  }

  async topEvents(tenantId: string, q: RangeQuery, limit = 100): Promise<TopEvents> {
    return (await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/analytics/top/events', {
        params: { path: { tenantId }, query: { from: q.from, to: q.to, type: 'track', limit } },
      }),
    )) as unknown as TopEvents;
  }

  async funnel(tenantId: string, q: RangeQuery & { steps: string[]; window: string }): Promise<Funnel> {
    return (await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/analytics/funnels', {
        params: { path: { tenantId }, query: { from: q.from, to: q.to, step: q.steps, window: q.window } },
      }),
    )) as unknown as Funnel;
  }

  async retention(
    tenantId: string,
    q: RangeQuery & {
      interval: 'day' | 'week' | 'month';
      periods: number;
      start_event?: string;
      return_event?: string;
    },
  ): Promise<Retention> {
    const query = {
      from: q.from,
      to: q.to,
      interval: q.interval,
      periods: q.periods,
      ...(q.start_event ? { start_event: q.start_event } : {}),
      ...(q.return_event ? { return_event: q.return_event } : {}),
    };
    return (await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/analytics/retention', {
        params: { path: { tenantId }, query },
      }),
    )) as unknown as Retention;
  }

  async profile(tenantId: string, userId: string, limit: number, before?: string): Promise<UserProfile> {
    return (await this.api.call(
      this.api.client.GET('/admin/v1/tenants/{tenantId}/analytics/users/{userId}', {
        params: { path: { tenantId, userId }, query: { limit, ...(before ? { before } : {}) } },
      }),
    )) as unknown as UserProfile;
  }

  async deleteUser(tenantId: string, userId: string): Promise<UserDeletion> {
    return (await this.api.call(
      this.api.client.DELETE('/admin/v1/tenants/{tenantId}/analytics/users/{userId}', {
        params: { path: { tenantId, userId } },
      }),
    )) as unknown as UserDeletion;
  }
}
