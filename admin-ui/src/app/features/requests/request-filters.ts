import type { paths } from '../../api/schema';
import { parseUsd } from '../usage/money';

/** The list route's query (generated type). */
export type RequestListQuery = NonNullable<
  paths['/admin/v1/tenants/{tenantId}/requests']['get']['parameters']['query']
>;
/** One request of the list, and one with its attempts (generated types). */
export type RequestItem =
  paths['/admin/v1/tenants/{tenantId}/requests']['get']['responses'][200]['content']['application/json']['data'][number];
export type RequestDetail =
  paths['/admin/v1/tenants/{tenantId}/requests/{requestId}']['get']['responses'][200]['content']['application/json'];
export type Attempt = RequestDetail['attempts'][number];

/**
 * The explorer's state as it lives in the URL: every filter a string ('' = not set), money in
 * dollars as typed (`min_cost=0.001`), times as UTC ISO instants, plus paging and the open request.
 */
export const REQUEST_URL_DEFAULTS = {
  status: '',
  model: '',
  key_id: '',
  provider: '',
  error_code: '',
  cache_hit: '',
  min_latency_ms: '',
  max_latency_ms: '',
  min_cost: '',
  max_cost: '',
  from: '',
  to: '',
  cursor: '',
  limit: 25,
  request: '',
};
export type RequestUrlState = typeof REQUEST_URL_DEFAULTS;

/** The filter fields of the URL state (what the filter form edits). */
export const FILTER_KEYS = [
  'status',
  'model',
  'key_id',
  'provider',
  'error_code',
  'cache_hit',
  'min_latency_ms',
  'max_latency_ms',
  'min_cost',
  'max_cost',
  'from',
  'to',
] as const;
export type RequestFilters = Pick<RequestUrlState, (typeof FILTER_KEYS)[number]>;

const number = (s: string): number | undefined =>
  s.trim() === '' || !Number.isFinite(Number(s)) ? undefined : Number(s);
const micros = (s: string): number | undefined => {
  const v = parseUsd(s);
  return v === null || Number.isNaN(v) ? undefined : v;
};

/**
 * The API query for a URL state. Values the URL holds but the API would refuse (a hand-edited
 * `min_cost=abc`) are left out rather than failing the page; the form shows what is in effect.
 */
export function toApiQuery(s: RequestUrlState): RequestListQuery {
  const q: RequestListQuery = { limit: s.limit };
  if (s.status === 'success' || s.status === 'error' || s.status === 'cancelled') q.status = s.status;
  if (s.model.trim()) q.model = s.model.trim();
  if (s.key_id.trim()) q.key_id = s.key_id.trim();
  if (s.provider.trim()) q.provider = s.provider.trim();
  if (s.error_code.trim()) q.error_code = s.error_code.trim();
  if (s.cache_hit === 'true' || s.cache_hit === 'false') q.cache_hit = s.cache_hit;
  q.min_latency_ms = number(s.min_latency_ms);
  q.max_latency_ms = number(s.max_latency_ms);
  q.min_cost_micros = micros(s.min_cost);
  q.max_cost_micros = micros(s.max_cost);
  if (s.from) q.from = s.from;
  if (s.to) q.to = s.to;
  if (s.cursor) q.cursor = s.cursor;
  for (const k of Object.keys(q) as (keyof RequestListQuery)[]) if (q[k] === undefined) delete q[k];
  return q;
}

/** The link to a request's trace: the configured template with the trace id filled in, or null. */
export function traceLink(template: string | null | undefined, traceId: string | null | undefined): string | null {
  if (!template || !traceId || !/^[0-9a-f]{32}$/.test(traceId)) return null;
  return template.replace('{traceId}', traceId);
}

/** Milliseconds for people: fractions kept for the gateway's small figures (1.25 ms), seconds from 10 s. */
export function formatDuration(ms: number | null | undefined, locale = 'en'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: ms < 10 ? 2 : 0 }).format(ms)} ms`;
}
