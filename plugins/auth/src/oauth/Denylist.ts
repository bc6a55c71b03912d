import { Op } from 'sequelize';
import type { PluginContext } from '@aihub/core/plugin-api';
import type { AuthModels, OidcPayloadRow } from '../models';
import { DENYLIST } from './SqlAdapter';

type KeyValueStore = PluginContext['sharedStore'];

/** Channel carrying revoked token ids, grants and clients to every instance. */
export const TOKEN_REVOKED_CHANNEL = 'auth:token-revoked';

/**
 * JWT access tokens are self-contained, so revoking one (RFC 7009), revoking its grant (refresh-token
 * reuse, logout) or deleting its client has to reach the hot path another way: entries
 * `jti:<id>`, `gid:<grant>`, `cid:<client>`, `tid:<tenant>` (a deleted tenant) kept until the tokens they cover have expired anyway.
 * Stored in the database (instances that start later load them) and published to every instance.
 * Checked only when a token is verified, not on cache hits: a new entry evicts matching cached tokens.
 */
export class Denylist {
  private readonly entries = new Map<string, number>();
  private unsubscribe?: () => Promise<void>;
  private readonly listeners: ((key: string) => void)[] = [];

  constructor(
    private readonly models: AuthModels,
    private readonly store: KeyValueStore,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Called with each new entry (the verifier evicts matching cached tokens). */
  onAdd(listener: (key: string) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const rows = (await this.models.OidcPayload.findAll({
      where: { kind: DENYLIST, expires_at: { [Op.gt]: new Date(this.now()) } },
      raw: true,
    })) as unknown as OidcPayloadRow[];
    for (const row of rows) this.entries.set(row.id, new Date(row.expires_at!).getTime());
    this.unsubscribe = await this.store.subscribe(TOKEN_REVOKED_CHANNEL, (message) => {
      const sep = message.lastIndexOf('|');
      const until = Number(message.slice(sep + 1));
      if (sep > 0 && Number.isFinite(until)) this.apply(message.slice(0, sep), until);
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.().catch(() => {});
  }

  private apply(key: string, until: number): void {
    if ((this.entries.get(key) ?? 0) >= until) return;
    this.entries.set(key, until);
    for (const l of this.listeners) l(key);
  }

  /** Denies `key` until `until` (epoch ms) here, in the database and on every other instance. */
  async add(key: string, until: number): Promise<void> {
    this.apply(key, until);
    try {
      await this.models.OidcPayload.upsert({
        kind: DENYLIST,
        id: key,
        payload: '{}',
        grant_id: null,
        client_id: null,
        uid: null,
        user_code: null,
        expires_at: new Date(until),
        consumed_at: null,
      });
      await this.store.publish(TOKEN_REVOKED_CHANNEL, `${key}|${until}`);
    } catch (err) {
      this.onError(err);
    }
  }

  /** True when any of the token's identifiers (token, grant, client, tenant) is denied. */
  denies(jti: string | undefined, gid: string | undefined, cid: string | undefined, tid?: string): boolean {
    if (this.entries.size === 0) return false;
    return (
      this.hit(jti === undefined ? undefined : `jti:${jti}`) ||
      this.hit(gid === undefined ? undefined : `gid:${gid}`) ||
      this.hit(cid === undefined ? undefined : `cid:${cid}`) ||
      this.hit(tid === undefined ? undefined : `tid:${tid}`)
    );
  }

  private hit(key: string | undefined): boolean {
    if (key === undefined) return false;
    const until = this.entries.get(key);
    if (until === undefined) return false;
    if (until <= this.now()) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}
