import { ApiError } from '../../../core/api/problem';
import { aliasEntry, aliasValue, changeFailure, ifMatch, placeIssues, problemIssues } from './alias-form';
import { priceEntry, providerEntry } from './provider-form';

describe('catalog alias form', () => {
  it('starts a new alias with one deployment on the first provider', () => {
    expect(aliasValue('', null, 'mock')).toEqual({
      name: '',
      deployments: [{ provider: 'mock', model: '', weight: 1 }],
      fallbacks: '',
    });
  });

  it('round-trips an entry and keeps what the form does not show', () => {
    const entry = {
      strategy: 'weighted',
      deployments: [
        { provider: 'a', model: 'm1', weight: 3, priceOverride: { input: 1, output: 2 } },
        { provider: 'b', model: 'm2' },
      ],
      fallbacks: ['x'],
    };
    const v = aliasValue('team', entry);
    expect(v.deployments).toEqual([
      { provider: 'a', model: 'm1', weight: 3 },
      { provider: 'b', model: 'm2', weight: 1 },
    ]);
    expect(v.fallbacks).toBe('x');
    v.deployments[0]!.weight = 5;
    v.fallbacks = ' x, y  z ';
    expect(aliasEntry(v, entry)).toEqual({
      strategy: 'weighted',
      deployments: [
        { provider: 'a', model: 'm1', weight: 5, priceOverride: { input: 1, output: 2 } },
        { provider: 'b', model: 'm2', weight: 1 },
      ],
      fallbacks: ['x', 'y', 'z'],
    });
  });

  it('drops the fallbacks when the field is emptied, and trims names', () => {
    const out = aliasEntry(
      { name: 'n', deployments: [{ provider: ' p ', model: ' m ', weight: 2 }], fallbacks: ' ' },
      { deployments: [], fallbacks: ['old'] },
    );
    expect(out).toEqual({ deployments: [{ provider: 'p', model: 'm', weight: 2 }] });
  });

  it('places catalog_invalid issues on their deployment field, the fallbacks, or the form (alias names with dots too)', () => {
    const placed = placeIssues('gpt-4.1', [
      { path: 'models.gpt-4.1.deployments.1.provider', message: 'unknown provider "nope"' },
      { path: 'models.gpt-4.1.fallbacks.0', message: 'unknown alias' },
      { path: 'models.gpt-4.1.deployments', message: 'at least one deployment' },
      { path: 'models.other.fallbacks.0', message: 'unknown alias "gpt-4.1"' },
    ]);
    expect(placed.map((p) => p.target)).toEqual([
      { field: 'deployment', index: 1, key: 'provider' },
      { field: 'fallbacks' },
      { field: 'form' },
      { field: 'form' },
    ]);
    expect(placed[3]!.message).toBe('models.other.fallbacks.0: unknown alias "gpt-4.1"');
  });

  it('reads the issue list of the problem, and tells a stale edit from an invalid one', () => {
    const invalid = new ApiError({
      status: 400,
      code: 'catalog_invalid',
      detail: 'x',
      issues: [{ path: 'models.a.deployments.0.provider', message: 'm' }, { bogus: 1 }],
    } as never);
    expect(problemIssues(invalid)).toEqual([{ path: 'models.a.deployments.0.provider', message: 'm' }]);
    expect(changeFailure(invalid)).toBe('invalid');
    expect(changeFailure(new ApiError({ status: 412, code: 'catalog_revision_mismatch', detail: '' }))).toBe('stale');
    expect(changeFailure(new ApiError({ status: 409, code: 'catalog_conflict', detail: '' }))).toBe('stale');
    expect(changeFailure(new ApiError({ status: 403, code: 'platform_admin_required', detail: '' }))).toBe('other');
    expect(ifMatch(7)).toBe('"7"');
  });
});

describe('catalog provider and price forms', () => {
  it('never sends the masked credential back; a typed one replaces it', () => {
    const shown = { type: 'openai', baseUrl: 'https://a.example/v1', apiKey: 'sk-…abcd' };
    expect(providerEntry(shown, { baseUrl: 'https://b.example/v1', apiKey: '' })).toEqual({
      type: 'openai',
      baseUrl: 'https://b.example/v1',
    });
    expect(providerEntry(shown, { baseUrl: '', apiKey: 'sk-new' })).toEqual({ type: 'openai', apiKey: 'sk-new' });
  });

  it('keeps tiers of a price, and leaves an empty cached price to its default', () => {
    expect(
      priceEntry({ input: 1, output: 2, cachedInput: 0.5, tiers: [] }, { input: 3, output: 4, cachedInput: null }),
    ).toEqual({ input: 3, output: 4, tiers: [] });
    expect(priceEntry(null, { input: 0.15, output: 0.6, cachedInput: 0.075 })).toEqual({
      input: 0.15,
      output: 0.6,
      cachedInput: 0.075,
    });
  });
});
