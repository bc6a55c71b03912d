import { TestBed } from '@angular/core/testing';
import { CONSOLE_CONFIG } from '../console-config';
import { AuthService, safeReturnUrl } from './auth.service';

function jwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${enc({ alg: 'none' })}.${enc(claims)}.sig`;
}

function tokenResponse(access: string, refresh: string, expiresIn = 900): Response {
  return new Response(
    JSON.stringify({
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: expiresIn,
      id_token: 'idt',
    }),
    { status: 200, headers: { 'content-type': 'application/json' } },
  );
}

describe('AuthService', () => {
  let auth: AuthService;
  let navigated: string[];
  let fetchMock: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        { provide: CONSOLE_CONFIG, useValue: { clientId: 'aihub-console', apiBase: '', basePath: '/admin/' } },
      ],
    });
    auth = TestBed.inject(AuthService);
    navigated = [];
    vi.spyOn(auth, 'navigate').mockImplementation((url: string) => void navigated.push(url));
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
  });

  afterEach(() => vi.unstubAllGlobals());

  async function signedIn(): Promise<void> {
    await auth.signIn('/tenants?q=a');
    const state = new URL(navigated[0]).searchParams.get('state')!;
    fetchMock.mockResolvedValueOnce(tokenResponse(jwt({ tenant_id: 't1', role: 'owner' }), 'r1'));
    await auth.completeSignIn(new URLSearchParams({ code: 'c1', state }));
  }

  it('redirects to /oauth/authorize with PKCE S256, the callback and the console scopes; keeps only the verifier', async () => {
    await auth.signIn('/audit?actor=u', { tenant: 'ten_2' });
    const url = new URL(navigated[0]);
    expect(url.pathname).toBe('/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('aihub-console');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('redirect_uri')).toBe(`${location.origin}/admin/callback`);
    expect(url.searchParams.get('scope')).toBe('openid admin:read admin:write');
    expect(url.searchParams.get('tenant')).toBe('ten_2');
    expect(JSON.stringify({ ...sessionStorage })).not.toMatch(/token/i);
  });

  it('exchanges the code with the verifier and returns to the saved URL', async () => {
    await signedIn();
    const body = new URLSearchParams(fetchMock.mock.calls[0][1].body as URLSearchParams);
    expect(body.get('grant_type')).toBe('authorization_code');
    expect(body.get('code')).toBe('c1');
    expect(body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(auth.signedIn()).toBe(true);
    expect(auth.claims().role).toBe('owner');
  });

  it('refuses a callback whose state is not the one it sent', async () => {
    await auth.signIn('/');
    await expect(auth.completeSignIn(new URLSearchParams({ code: 'c', state: 'forged' }))).rejects.toThrow(
      /does not match/,
    );
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('refreshes once for concurrent callers and uses the rotated refresh token next time', async () => {
    await signedIn();
    fetchMock.mockResolvedValueOnce(tokenResponse(jwt({ role: 'admin' }), 'r2'));
    const [a, b] = await Promise.all([auth.refresh(), auth.refresh()]);
    expect(a && b).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(new URLSearchParams(fetchMock.mock.calls[1][1].body as URLSearchParams).get('refresh_token')).toBe('r1');
    fetchMock.mockResolvedValueOnce(tokenResponse(jwt({ role: 'admin' }), 'r3'));
    await auth.refresh();
    expect(new URLSearchParams(fetchMock.mock.calls[2][1].body as URLSearchParams).get('refresh_token')).toBe('r2');
  });

  it('a refused refresh expires the session and forgets the tokens', async () => {
    await signedIn();
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 }));
    expect(await auth.refresh()).toBe(false);
    expect(auth.status()).toBe('expired');
    expect(auth.token).toBeNull();
  });

  it('sign-out revokes the refresh and access tokens, then ends the authorization server session', async () => {
    await signedIn();
    fetchMock.mockResolvedValue(new Response('', { status: 200 }));
    await auth.signOut();
    const revoked = fetchMock.mock.calls
      .slice(1)
      .map((c) => new URLSearchParams(c[1].body as URLSearchParams).get('token_type_hint'));
    expect(revoked.sort()).toEqual(['access_token', 'refresh_token']);
    expect(auth.token).toBeNull();
    expect(new URL(navigated.at(-1)!).pathname).toBe('/oauth/logout');
  });

  it('only returns to app-relative URLs', () => {
    expect(safeReturnUrl('/tenants?q=x')).toBe('/tenants?q=x');
    expect(safeReturnUrl('https://evil.example/')).toBe('/');
    expect(safeReturnUrl('//evil.example/')).toBe('/');
  });
});
