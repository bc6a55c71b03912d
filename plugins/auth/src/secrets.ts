import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
  createSecretKey,
} from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PluginContext } from '@aihub/core/plugin-api';

type CoreConfig = PluginContext['coreConfig'];

/** Where the server secret came from (a development secret is logged as a warning). */
export type SecretSource = 'config' | 'dev-file' | 'ephemeral';

/**
 * Everything derived from the one server secret (`keySecret`). Sub-keys are derived with HKDF and a
 * distinct label each, so the HMAC key of API keys never doubles as the encryption key of signing
 * keys or the cookie-signing key. Changing `keySecret` invalidates every stored key and client
 * secret and makes stored signing keys unreadable (new ones are generated).
 */
export class ServerSecrets {
  private readonly hmacKey: KeyObject;
  private readonly encKey: Buffer;
  /** Signs oidc-provider's cookies (Koa `app.keys`). */
  readonly cookieKeys: string[];

  constructor(
    secret: string,
    readonly source: SecretSource,
  ) {
    const derive = (label: string) => Buffer.from(hkdfSync('sha256', secret, 'aihub-auth', label, 32));
    this.hmacKey = createSecretKey(derive('api-key-hmac'));
    this.encKey = derive('signing-key-encryption');
    this.cookieKeys = [derive('oidc-cookies').toString('base64url')];
  }

  /** HMAC-SHA-256 of a secret (API key secret part or OAuth client secret). */
  hmac(value: string): Buffer {
    return createHmac('sha256', this.hmacKey).update(value).digest();
  }

  /** Constant-time check of a presented secret against a stored HMAC. */
  verify(value: string, stored: Buffer): boolean {
    const digest = this.hmac(value);
    return stored.length === digest.length && timingSafeEqual(digest, stored);
  }

  /** AES-256-GCM; output `v1.<iv>.<tag>.<ciphertext>` (base64url). */
  encrypt(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${ct.toString('base64url')}`;
  }

  /** Throws when the blob was encrypted under another secret or tampered with. */
  decrypt(blob: string, aad: string): string {
    const [v, iv, tag, ct] = blob.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unknown encrypted value format');
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

const DEV_SECRET_FILE = 'auth-dev-secret';

/**
 * The server secret: `keySecret` from config; otherwise (never in production) a development secret
 * kept in `<dataDir>/auth-dev-secret` (mode 0600), or an ephemeral one for an in-memory database,
 * whose keys die with the process anyway.
 */
export async function resolveServerSecrets(
  keySecret: string | undefined,
  core: CoreConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerSecrets> {
  if (keySecret) return new ServerSecrets(keySecret, 'config');
  if (env.NODE_ENV === 'production') {
    throw new Error(
      'auth.keySecret is required in production (NODE_ENV=production): set it to ≥ 32 random characters, e.g. `keySecret: ${AIHUB_AUTH_KEY_SECRET}` with AIHUB_AUTH_KEY_SECRET=$(openssl rand -base64 48), the same on every instance',
    );
  }
  const databaseUrl = core.database.url ?? '';
  if (databaseUrl.includes(':memory:')) return new ServerSecrets(randomBytes(48).toString('base64url'), 'ephemeral');
  const file = path.resolve(core.dataDir, DEV_SECRET_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return new ServerSecrets(existing, 'dev-file');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const fresh = randomBytes(48).toString('base64url');
  try {
    // wx: if another process created it meanwhile, use theirs.
    await writeFile(file, `${fresh}\n`, { flag: 'wx', mode: 0o600 });
    return new ServerSecrets(fresh, 'dev-file');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return new ServerSecrets((await readFile(file, 'utf8')).trim(), 'dev-file');
  }
}
