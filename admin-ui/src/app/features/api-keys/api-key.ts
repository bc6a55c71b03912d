import type { paths } from '../../api/schema';

type KeysPath = paths['/admin/v1/tenants/{tenantId}/api-keys'];

/** An API key as the admin API shows it (never its secret), from the generated OpenAPI types. */
export type ApiKey =
  paths['/admin/v1/tenants/{tenantId}/api-keys/{id}']['patch']['responses'][200]['content']['application/json'];
/** A key as the list and its own page show it: with its owner named (e-mail, display name) by the same answer. */
export type ApiKeyListItem = KeysPath['get']['responses'][200]['content']['application/json']['data'][number];

/** How a screen names a key's owner: display name, else e-mail; the id only for a former member. */
export function ownerLabel(key: Pick<ApiKeyListItem, 'user_id'> & { owner?: ApiKeyListItem['owner'] }): string {
  if (key.owner) return key.owner.display_name || key.owner.email;
  return key.user_id ?? '—';
}
/** The list's query parameters. */
export type ApiKeyQuery = NonNullable<KeysPath['get']['parameters']['query']>;
/** The body of `POST …/api-keys`. */
export type CreateApiKeyBody = KeysPath['post']['requestBody']['content']['application/json'];
export type ApiKeySort = NonNullable<ApiKeyQuery['sort']>;
export type ApiKeyStatus = NonNullable<ApiKeyQuery['status']>;

/** Every status a key can be in (the list's status filter offers each). */
export const KEY_STATUSES = ['active', 'suspended', 'revoked', 'expired'] as const satisfies readonly ApiKeyStatus[];

/** The suspension reason as the API takes it: trimmed, left out when empty. */
/** The most characters of a suspension's reason the API keeps (its `reason` field). */
export const SUSPEND_REASON_MAX = 500;

export function toSuspendBody(reason: string): { reason?: string } {
  const r = reason.trim();
  return r ? { reason: r } : {};
}

export const KEY_SCOPES = ['ai:invoke', 'events:write', 'admin:read', 'admin:write'] as const;
export const KEY_ROLES = ['viewer', 'developer', 'admin', 'owner'] as const;
export const SORT_COLUMNS = ['created_at', 'name', 'last_used_at', 'expires_at'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** The list's URL state (all strings/numbers: it lives in the query string). */
export interface KeyListState {
  q: string;
  owner: string;
  team_id: string;
  status: string;
  sort: string;
  cursor: string;
  limit: number;
}

export const KEY_LIST_DEFAULTS: KeyListState = {
  q: '',
  owner: '',
  team_id: '',
  status: '',
  sort: '-created_at',
  cursor: '',
  limit: 25,
};

/** The API query for a URL state: empty filters left out, an unknown sort or status ignored. */
export function toKeyQuery(s: KeyListState): ApiKeyQuery {
  const sort = (SORT_COLUMNS as readonly string[]).includes(s.sort.replace(/^-/, ''))
    ? (s.sort as ApiKeySort)
    : undefined;
  const status = (KEY_STATUSES as readonly string[]).includes(s.status) ? (s.status as ApiKeyStatus) : undefined;
  return {
    q: s.q || undefined,
    owner: s.owner || undefined,
    team_id: s.team_id || undefined,
    status,
    sort: sort === '-created_at' ? undefined : sort,
    cursor: s.cursor || undefined,
    limit: s.limit,
  };
}

/** Clicking a column header: sort by it ascending, or flip the direction when it is the sort already. */
export function toggleSort(current: string, column: SortColumn): string {
  if (current === column) return `-${column}`;
  if (current === `-${column}`) return column;
  // Dates read best newest first; names A→Z.
  return column === 'name' ? column : `-${column}`;
}

/** `asc` / `desc` / null for a column's header (aria-sort). */
export function sortDirection(current: string, column: SortColumn): 'ascending' | 'descending' | 'none' {
  if (current === column) return 'ascending';
  if (current === `-${column}`) return 'descending';
  return 'none';
}

/** What the create form collects (strings from inputs; empty = not set). */
export interface KeyFormValue {
  name: string;
  user_id: string;
  team_id: string;
  role: string;
  scopes: string[];
  allowed_models: string;
  requests_per_minute: string;
  tokens_per_minute: string;
  monthly_budget_usd: string;
  expires_in_days: string;
}

const positiveInt = (v: string): number | undefined => {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
};

/**
 * The create body from the form: allowed models split on commas and whitespace (deduplicated),
 * limits only when set, the monthly budget in dollars turned into micro-dollars (integers, as the
 * API stores money).
 */
export function toCreateBody(v: KeyFormValue): CreateApiKeyBody {
  const models = [...new Set(v.allowed_models.split(/[\s,]+/).filter(Boolean))];
  const rpm = positiveInt(v.requests_per_minute);
  const tpm = positiveInt(v.tokens_per_minute);
  const dollars = Number(v.monthly_budget_usd.trim());
  const budget =
    v.monthly_budget_usd.trim() !== '' && Number.isFinite(dollars) && dollars >= 0
      ? Math.round(dollars * 1_000_000)
      : undefined;
  const days = positiveInt(v.expires_in_days);
  return {
    name: v.name.trim(),
    ...(v.user_id ? { user_id: v.user_id } : {}),
    ...(v.team_id ? { team_id: v.team_id } : {}),
    ...(v.role ? { role: v.role as CreateApiKeyBody['role'] } : {}),
    ...(v.scopes.length ? { scopes: v.scopes as CreateApiKeyBody['scopes'] } : {}),
    ...(models.length ? { allowed_models: models } : {}),
    ...(rpm || tpm
      ? { limits: { ...(rpm ? { requestsPerMinute: rpm } : {}), ...(tpm ? { tokensPerMinute: tpm } : {}) } }
      : {}),
    ...(budget !== undefined ? { budgets: { monthlyHardMicros: budget } } : {}),
    ...(days ? { expires_in_days: days } : {}),
  };
}
