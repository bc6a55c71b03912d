import { parseUris, toCreateClientBody } from './oauth-client';

describe('oauth-client helpers', () => {
  it('parses redirect URIs from lines or commas', () => {
    expect(parseUris(' https://a.example/cb \n\nhttps://b.example/cb, https://a.example/cb')).toEqual([
      'https://a.example/cb',
      'https://b.example/cb',
    ]);
  });

  it('builds the create body for each kind', () => {
    expect(
      toCreateClientBody({ name: ' svc ', kind: 'machine', redirect_uris: 'https://ignored', scopes: [] }),
    ).toEqual({ name: 'svc', grant_types: ['client_credentials'] });
    expect(
      toCreateClientBody({ name: 'web', kind: 'web', redirect_uris: 'https://a.example/cb', scopes: ['ai:invoke'] }),
    ).toEqual({
      name: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://a.example/cb'],
      scopes: ['ai:invoke'],
    });
    expect(
      toCreateClientBody({ name: 'spa', kind: 'spa', redirect_uris: 'http://localhost:4200/cb', scopes: [] })
        .token_endpoint_auth_method,
    ).toBe('none');
  });
});
