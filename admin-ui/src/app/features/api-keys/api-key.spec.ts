import {
  KEY_LIST_DEFAULTS,
  ownerLabel,
  sortDirection,
  toCreateBody,
  toKeyQuery,
  toSuspendBody,
  toggleSort,
  type KeyFormValue,
} from './api-key';

const form = (over: Partial<KeyFormValue> = {}): KeyFormValue => ({
  name: ' ci ',
  user_id: '',
  team_id: '',
  role: '',
  scopes: [],
  allowed_models: '',
  requests_per_minute: '',
  tokens_per_minute: '',
  monthly_budget_usd: '',
  expires_in_days: '',
  ...over,
});

describe('api-key helpers', () => {
  it('names the owner by display name, else e-mail; the id only when the answer names nobody', () => {
    expect(ownerLabel({ user_id: 'usr_1', owner: { email: 'ada@example.com', display_name: 'Ada' } })).toBe('Ada');
    expect(ownerLabel({ user_id: 'usr_1', owner: { email: 'ada@example.com', display_name: null } })).toBe(
      'ada@example.com',
    );
    expect(ownerLabel({ user_id: 'usr_1', owner: null })).toBe('usr_1');
    expect(ownerLabel({ user_id: null })).toBe('—');
  });

  it('maps the URL state to the API query, leaving defaults and junk out', () => {
    expect(toKeyQuery(KEY_LIST_DEFAULTS)).toEqual({
      q: undefined,
      owner: undefined,
      team_id: undefined,
      status: undefined,
      sort: undefined,
      cursor: undefined,
      limit: 25,
    });
    const q = toKeyQuery({
      ...KEY_LIST_DEFAULTS,
      q: 'prod',
      owner: 'usr_1',
      status: 'revoked',
      sort: 'name',
      cursor: 'abc',
      limit: 50,
    });
    expect(q).toEqual({
      q: 'prod',
      owner: 'usr_1',
      team_id: undefined,
      status: 'revoked',
      sort: 'name',
      cursor: 'abc',
      limit: 50,
    });
    expect(toKeyQuery({ ...KEY_LIST_DEFAULTS, status: 'suspended' }).status).toBe('suspended');
    expect(toKeyQuery({ ...KEY_LIST_DEFAULTS, sort: 'secret_hash', status: 'deleted' })).toMatchObject({
      sort: undefined,
      status: undefined,
    });
  });

  it('toggles sorting per column', () => {
    expect(toggleSort('-created_at', 'name')).toBe('name');
    expect(toggleSort('name', 'name')).toBe('-name');
    expect(toggleSort('-name', 'name')).toBe('name');
    expect(toggleSort('name', 'last_used_at')).toBe('-last_used_at');
    expect(sortDirection('-last_used_at', 'last_used_at')).toBe('descending');
    expect(sortDirection('name', 'last_used_at')).toBe('none');
  });

  it('builds the create body: trimmed name, models split and deduplicated, limits, budget in micro-dollars', () => {
    expect(toCreateBody(form())).toEqual({ name: 'ci' });
    const body = toCreateBody(
      form({
        user_id: 'usr_1',
        team_id: 'team_1',
        role: 'viewer',
        scopes: ['ai:invoke'],
        allowed_models: 'gpt-4o-mini, gpt-4o\ngpt-4o-mini',
        requests_per_minute: '60',
        monthly_budget_usd: '12.5',
        expires_in_days: '30',
      }),
    );
    expect(body).toEqual({
      name: 'ci',
      user_id: 'usr_1',
      team_id: 'team_1',
      role: 'viewer',
      scopes: ['ai:invoke'],
      allowed_models: ['gpt-4o-mini', 'gpt-4o'],
      limits: { requestsPerMinute: 60 },
      budgets: { monthlyHardMicros: 12_500_000 },
      expires_in_days: 30,
    });
    expect(
      toCreateBody(form({ requests_per_minute: '-3', expires_in_days: '1.5', monthly_budget_usd: 'lots' })),
    ).toEqual({ name: 'ci' });
  });

  it('sends a suspension reason trimmed, and none when it is blank', () => {
    expect(toSuspendBody('  over budget  ')).toEqual({ reason: 'over budget' });
    expect(toSuspendBody('   ')).toEqual({});
    expect(toSuspendBody('')).toEqual({});
  });
});
