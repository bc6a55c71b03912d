import { base64Url, pkceChallenge, randomToken } from './pkce';

describe('PKCE', () => {
  it('derives BASE64URL(SHA-256(verifier)) (reference from Node: createHash("sha256").digest("base64url"))', async () => {
    expect(await pkceChallenge('dBjftJeZ4CVP-mJ92IgqNgaJsjRACgHTNNmsQdAmvs8')).toBe(
      '2qyPDbjcHhNATCkMxwDJosZy7Tth5OUz6rTCb2hyBgE',
    );
  });

  it('makes 43-character base64url verifiers that differ', () => {
    const a = randomToken(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(32)).not.toBe(a);
  });

  it('base64url has no padding and no + or /', () => {
    expect(base64Url(new Uint8Array([251, 255, 191]))).toBe('-_-_');
  });
});
