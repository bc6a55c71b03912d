import { TestBed } from '@angular/core/testing';
import { AuthService } from '../auth/auth.service';
import { CONSOLE_CONFIG } from '../console-config';
import { ApiClient } from './api-client';
import { ApiError } from './problem';

describe('ApiClient', () => {
  let api: ApiClient;
  let token: string | null;
  let refresh: ReturnType<typeof vi.fn>;
  let fetchMock: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    token = 'old';
    refresh = vi.fn(async () => {
      token = 'new';
      return true;
    });
    TestBed.configureTestingModule({
      providers: [
        { provide: CONSOLE_CONFIG, useValue: { clientId: 'c', apiBase: '', basePath: '/admin/' } },
        {
          provide: AuthService,
          useValue: {
            get token() {
              return token;
            },
            refresh,
          },
        },
      ],
    });
    api = TestBed.inject(ApiClient);
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });

  afterEach(() => vi.unstubAllGlobals());

  it('sends the access token, refreshes once on a 401 and retries with the new one', async () => {
    fetchMock.mockImplementation(async (req: Request) =>
      req.headers.get('authorization') === 'Bearer new'
        ? new Response(JSON.stringify({ data: [], next_cursor: null }), {
            status: 200,
            headers: { 'content-type': 'application/json' },
          })
        : new Response('{}', { status: 401 }),
    );
    const page = await api.call(api.client.GET('/admin/v1/tenants', { params: { query: { limit: 5 } } }));
    expect(page.data).toEqual([]);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect((fetchMock.mock.calls[0][0] as Request).url).toContain('/admin/v1/tenants?limit=5');
  });

  it('turns a problem+json answer into an ApiError with its code and field errors', async () => {
    const problem = {
      status: 409,
      code: 'slug_taken',
      detail: 'The slug is taken.',
      errors: [{ path: 'body.slug', message: 'taken' }],
    };
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify(problem), { status: 409, headers: { 'content-type': 'application/problem+json' } }),
    );
    const err = await api
      .call(api.client.POST('/admin/v1/tenants', { body: { name: 'a', slug: 'default' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('slug_taken');
    expect((err as ApiError).problem.errors?.[0].path).toBe('body.slug');
    expect(refresh).not.toHaveBeenCalled();
  });

  it('a network failure is an ApiError that says what to check', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const err = (await api.call(api.client.GET('/admin/v1/me', {})).catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('network_error');
  });
});
