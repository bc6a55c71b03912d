import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { AiConfig } from '../config';

/** A credential sealed with AES-256-GCM; `kid` names the key, so rotated keys still open old values. */
export interface Sealed {
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

/** The catalog's keys: the active one seals, every one (active and previous) opens. */
export class CredentialSealer {
  private readonly keys = new Map<string, Buffer>();
  private readonly active?: { id: string; key: Buffer };

  constructor(cfg: AiConfig['catalog']) {
    for (const [id, k] of Object.entries(cfg.previousKeys)) this.keys.set(id, Buffer.from(k, 'base64'));
    if (cfg.encryptionKey) {
      this.active = { id: cfg.encryptionKeyId, key: Buffer.from(cfg.encryptionKey, 'base64') };
      this.keys.set(cfg.encryptionKeyId, this.active.key);
    }
  }

  get canSeal(): boolean {
    return this.active !== undefined;
  }

  seal(plain: string): Sealed {
    if (!this.active) throw new Error('no catalog encryption key');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return {
      kid: this.active.id,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** The plain credential, or undefined when its key is not configured or the value was tampered with. */
  open(s: Sealed): string | undefined {
    const key = this.keys.get(s.kid);
    if (!key) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(s.iv, 'base64'));
      d.setAuthTag(Buffer.from(s.tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(s.data, 'base64')), d.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/** How a credential is shown: its first characters up to a dash and its last four (`sk-…abcd`). */
export function maskSecret(secret: string): string {
  if (secret.length < 12) return '…';
  const head = /^[A-Za-z]{1,8}-/.exec(secret)?.[0] ?? '';
  return `${head}…${secret.slice(-4)}`;
}
