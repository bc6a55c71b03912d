import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { Op, UniqueConstraintError } from 'sequelize';
import type { PluginContext } from '@aihub/core/plugin-api';
import type { SigningAlg } from '../config';
import type { AuthModels, SigningKeyRow, StateRow } from '../models';
import type { ServerSecrets } from '../secrets';

const jose = require('jose') as typeof Jose;

/** A usable signing key: the active one, or a retiring one still inside its grace period. */
export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  status: 'active' | 'retiring';
  createdAt: Date;
  /** Epoch ms after which the key no longer verifies; Infinity for the active key. */
  retireAt: number;
  privateJwk: Jose.JWK;
  publicJwk: Jose.JWK;
}

const INIT_STATE = 'signing-keys-init';
const INIT_STALE_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `aad` binds each encrypted private key to its kid, so rows cannot be swapped. */
const aad = (kid: string) => `aihub-signing-key:${kid}`;

/**
 * Signing keys of the authorization server, generated with jose and stored in auth_signing_keys
 * (private JWK encrypted with AES-256-GCM under a key derived from keySecret). Exactly one key is
 * `active` (signs); after a rotation the previous one is `retiring` until `retire_after` (still
 * verifies, still published in the JWKS), then `retired` (neither).
 */
export class SigningKeyStore {
  constructor(
    private readonly models: AuthModels,
    private readonly secrets: ServerSecrets,
    private readonly db: PluginContext['database'],
    private readonly now: () => number,
    private readonly alg: SigningAlg,
    private readonly warn: (message: string, meta?: Record<string, unknown>) => void,
  ) {}

  async generate(alg: SigningAlg = this.alg): Promise<{ row: SigningKeyRow; key: SigningKey }> {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
    const publicJwk = await jose.exportJWK(publicKey);
    const kid = await jose.calculateJwkThumbprint(publicJwk);
    const privateJwk = { ...(await jose.exportJWK(privateKey)), kid, alg, use: 'sig' };
    const pub = { ...publicJwk, kid, alg, use: 'sig' };
    const createdAt = new Date(this.now());
    const row: SigningKeyRow = {
      kid,
      alg,
      private_jwk: this.secrets.encrypt(JSON.stringify(privateJwk), aad(kid)),
      public_jwk: JSON.stringify(pub),
      status: 'active',
      created_at: createdAt,
      retire_after: null,
    };
    return { row, key: { kid, alg, status: 'active', createdAt, retireAt: Infinity, privateJwk, publicJwk: pub } };
  }

  /** The active key first, then retiring keys newest first. Marks keys past their grace as retired. */
  async load(): Promise<SigningKey[]> {
    const now = new Date(this.now());
    await this.models.SigningKey.update(
      { status: 'retired' },
      { where: { status: 'retiring', retire_after: { [Op.lte]: now } } },
    );
    const rows = (await this.models.SigningKey.findAll({
      where: { status: { [Op.in]: ['active', 'retiring'] } },
      order: [['created_at', 'DESC']],
      raw: true,
    })) as unknown as SigningKeyRow[];
    const keys: SigningKey[] = [];
    for (const row of rows) {
      try {
        const privateJwk = JSON.parse(this.secrets.decrypt(row.private_jwk, aad(row.kid))) as Jose.JWK;
        keys.push({
          kid: row.kid,
          alg: row.alg as SigningAlg,
          status: row.status === 'active' ? 'active' : 'retiring',
          createdAt: new Date(row.created_at),
          retireAt: row.status === 'active' ? Infinity : new Date(row.retire_after ?? 0).getTime(),
          privateJwk,
          publicJwk: JSON.parse(row.public_jwk) as Jose.JWK,
        });
      } catch {
        // Encrypted under another keySecret: unusable here. Never log the blob.
        this.warn('a signing key cannot be decrypted with the configured keySecret; skipping it', { kid: row.kid });
      }
    }
    // Several active rows can only come from a crash mid-rotation: the newest signs, the rest verify.
    let seenActive = false;
    for (const k of keys) {
      if (k.status === 'active') {
        if (seenActive) k.status = 'retiring';
        seenActive = true;
      }
    }
    return keys.sort((a, b) =>
      a.status === b.status ? b.createdAt.getTime() - a.createdAt.getTime() : a.status === 'active' ? -1 : 1,
    );
  }

  /**
   * Makes sure a usable active key exists (first start). Instances starting together race for one
   * state row; the winner generates the key, the others wait for it.
   */
  async ensureActive(): Promise<SigningKey[]> {
    const deadline = this.now() + INIT_STALE_MS + 5_000;
    for (;;) {
      const keys = await this.load();
      if (keys[0]?.status === 'active') return keys;
      const claimed = await this.claimInit();
      if (claimed) {
        try {
          await this.insertActive();
        } finally {
          await this.models.State.destroy({ where: { name: INIT_STATE } });
        }
        continue;
      }
      if (this.now() > deadline)
        throw new Error('timed out waiting for another instance to create the first signing key');
      await sleep(100);
    }
  }

  private async claimInit(): Promise<boolean> {
    try {
      await this.models.State.create({ name: INIT_STATE, value: null, updated_at: new Date(this.now()) });
      return true;
    } catch (err) {
      if (!(err instanceof UniqueConstraintError)) throw err;
      const row = (await this.models.State.findByPk(INIT_STATE, { raw: true })) as StateRow | null;
      if (row && this.now() - new Date(row.updated_at).getTime() > INIT_STALE_MS) {
        await this.models.State.destroy({ where: { name: INIT_STATE, updated_at: row.updated_at } });
      }
      return false;
    }
  }

  /** Inserts a new active key, demoting any readable or unreadable previous active key. */
  private async insertActive(graceSeconds = 0): Promise<SigningKey> {
    const { row, key } = await this.generate();
    await this.db.transaction(async (t) => {
      const retireAfter = new Date(this.now() + graceSeconds * 1000);
      await this.models.SigningKey.update(
        { status: graceSeconds > 0 ? 'retiring' : 'retired', retire_after: retireAfter },
        { where: { status: 'active' }, transaction: t },
      );
      await this.models.SigningKey.create(row, { transaction: t });
    });
    return key;
  }

  /** Rotation: a new active key; the previous one keeps verifying for `graceSeconds`. */
  async rotate(graceSeconds: number): Promise<SigningKey> {
    return this.insertActive(graceSeconds);
  }

  /** Every key with its status, for the admin API (public parts only). */
  async list(): Promise<
    { kid: string; alg: string; status: string; created_at: string; retire_after: string | null }[]
  > {
    const rows = (await this.models.SigningKey.findAll({
      order: [['created_at', 'DESC']],
      raw: true,
    })) as unknown as SigningKeyRow[];
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      status: r.status,
      created_at: new Date(r.created_at).toISOString(),
      retire_after: r.retire_after ? new Date(r.retire_after).toISOString() : null,
    }));
  }
}
