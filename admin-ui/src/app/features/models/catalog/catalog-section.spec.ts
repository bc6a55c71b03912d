import { Injector, runInInjectionContext } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { TranslocoTestingModule } from '@jsverse/transloco';
import { AuthService } from '../../../core/auth/auth.service';
import { CONSOLE_CONFIG } from '../../../core/console-config';
import type { ConfirmOptions } from '../../../shared/confirm-dialog/confirm-dialog';
import { ConfirmService } from '../../../shared/confirm-dialog/confirm.service';
import { catalogSection, type CatalogSectionOptions } from './catalog-section';
import { CatalogState, type Catalog } from './catalog-state';

const STALE = 'The catalog was changed by someone else since you loaded it.';
const en = {
  models: {
    catalog: {
      stale: STALE,
      deleteTitle: 'Delete {{ name }}?',
      revertTitle: 'Revert {{ name }}?',
      delete: 'Delete',
      revert: 'Revert',
      deleteBody: 'The alias is removed.',
      revertBody: 'The file entry comes back.',
      revertEntryBody: 'The entry of the file comes back.',
      deleteEntry: { pricing: 'The price is removed.' },
    },
  },
};

function catalog(revision: number): Catalog {
  return { revision, precedence: 'api-over-file', models: [], providers: [], pricing: [], experiments: [] };
}

function json(status: number, body: unknown, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
}

describe('catalogSection', () => {
  let requests: Request[];
  let answer: (req: Request) => Response;
  let asked: ConfirmOptions[];
  let confirmed: boolean;

  beforeEach(() => {
    requests = [];
    asked = [];
    confirmed = true;
    answer = () => json(200, catalog(8));
    TestBed.configureTestingModule({
      imports: [
        TranslocoTestingModule.forRoot({
          langs: { en },
          translocoConfig: { availableLangs: ['en'], defaultLang: 'en' },
          preloadLangs: true,
        }),
      ],
      providers: [
        CatalogState,
        { provide: CONSOLE_CONFIG, useValue: { clientId: 'c', apiBase: '', basePath: '/admin/' } },
        { provide: AuthService, useValue: { token: 't', refresh: async () => false } },
        {
          provide: ConfirmService,
          useValue: {
            ask: async (o: ConfirmOptions) => {
              asked.push(o);
              return confirmed;
            },
          },
        },
      ],
    });
    vi.stubGlobal('fetch', async (req: Request) => {
      requests.push(req);
      return answer(req);
    });
  });

  afterEach(() => vi.unstubAllGlobals());

  /** A section over a catalog read at revision 7. */
  function setUp<E>(section: 'models' | 'providers' | 'pricing', options?: CatalogSectionOptions) {
    const state = TestBed.inject(CatalogState);
    state.catalog.set(catalog(7));
    const s = runInInjectionContext(TestBed.inject(Injector), () => catalogSection<E>(section, options));
    return { state, s };
  }

  it('saves with If-Match of the revision read, takes the answer as the catalog and closes the editor', async () => {
    const { state, s } = setUp<string>('pricing');
    s.open('gpt-4o');
    expect(await s.save('gpt-4o', { input: 1, output: 2 })).toBe(true);
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('PUT');
    expect(new URL(requests[0].url).pathname).toBe('/admin/v1/ai/catalog/pricing/gpt-4o');
    expect(requests[0].headers.get('if-match')).toBe('"7"');
    expect(await requests[0].json()).toEqual({ input: 1, output: 2 });
    expect(state.catalog()?.revision).toBe(8);
    expect(state.changes()).toBe(1);
    expect(s.editing()).toBeNull();
    expect(s.failure()).toBeNull();
  });

  it('maps a 412 to the "changed behind your back" sentence, keeps the editor open and tells the panel', async () => {
    const told: unknown[] = [];
    const { state, s } = setUp<string>('pricing', { failed: (err) => told.push(err) });
    answer = () =>
      json(
        412,
        { status: 412, code: 'catalog_revision_mismatch', detail: 'Revision 7 is not current (9).' },
        'application/problem+json',
      );
    s.open('gpt-4o');
    expect(await s.save('gpt-4o', { input: 1, output: 2 })).toBe(false);
    expect(s.failure()).toBe('stale');
    expect(s.message()).toBe(STALE);
    expect(s.editing()).toBe('gpt-4o');
    expect(told).toHaveLength(1);
    expect(state.catalog()?.revision).toBe(7);
    expect(state.changes()).toBe(0);
    // Opening an editor again starts without the old failure.
    s.open('other');
    expect(s.failure()).toBeNull();
    expect(s.message()).toBeNull();
  });

  it("shows the problem's own detail for an invalid catalog or any other refusal", async () => {
    const { s } = setUp('providers');
    answer = () =>
      json(
        400,
        { status: 400, code: 'catalog_invalid', detail: 'models.team: unknown provider', issues: [] },
        'application/problem+json',
      );
    expect(await s.save('mock', { type: 'openai' })).toBe(false);
    expect(s.failure()).toBe('invalid');
    expect(s.message()).toBe('models.team: unknown provider');
    answer = () =>
      json(403, { status: 403, code: 'forbidden', detail: 'Platform admins only.' }, 'application/problem+json');
    expect(await s.save('mock', { type: 'openai' })).toBe(false);
    expect(s.failure()).toBe('other');
    expect(s.message()).toBe('Platform admins only.');
    // A 409 (a concurrent change) is a stale screen too.
    answer = () => json(409, { status: 409, code: 'catalog_conflict', detail: 'Busy.' }, 'application/problem+json');
    expect(await s.save('mock', { type: 'openai' })).toBe(false);
    expect(s.message()).toBe(STALE);
  });

  it('asks before deleting, with the revert wording for an entry that overrides the file, and sends If-Match', async () => {
    const { s } = setUp('pricing');
    expect(await s.remove({ name: 'gpt-4o', overrides_file: true })).toBe(true);
    expect(asked[0]).toMatchObject({
      title: 'Revert gpt-4o?',
      message: 'The entry of the file comes back.',
      confirmLabel: 'Revert',
      destructive: true,
    });
    expect(requests[0].method).toBe('DELETE');
    expect(new URL(requests[0].url).pathname).toBe('/admin/v1/ai/catalog/pricing/gpt-4o');
    expect(requests[0].headers.get('if-match')).toBe('"7"');

    expect(await s.remove({ name: 'mine', overrides_file: false })).toBe(true);
    expect(asked[1]).toMatchObject({ title: 'Delete mine?', message: 'The price is removed.', confirmLabel: 'Delete' });
    expect(requests[1].headers.get('if-match')).toBe('"8"');

    confirmed = false;
    expect(await s.remove({ name: 'kept', overrides_file: false })).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it("uses the section's own confirmation bodies when given (aliases)", async () => {
    const { s } = setUp('models', { deleteBody: 'models.catalog.deleteBody', revertBody: 'models.catalog.revertBody' });
    await s.remove({ name: 'team', overrides_file: false });
    await s.remove({ name: 'team', overrides_file: true });
    expect(asked.map((a) => a.message)).toEqual(['The alias is removed.', 'The file entry comes back.']);
  });

  it('throws on anything but an API answer (a bug, not a refusal)', async () => {
    const { s } = setUp('providers');
    await expect(s.run(() => Promise.reject(new TypeError('boom')))).rejects.toThrow('boom');
  });
});
