import { Op } from 'sequelize';
import type { AuthModels, OidcPayloadRow } from '../models';
import { randomBase62 } from '../keyFormat';
import type { ClientStore } from './ClientStore';
import { clientMetadata } from './clientMetadata';
import type { AdapterPayload, OidcAdapter, OidcModule, ProviderContext } from './oidcTypes';

export interface AdapterDeps {
  models: AuthModels;
  clients: ClientStore;
  oidc: OidcModule;
  now: () => number;
  /** A grant was revoked (reuse detection, revocation endpoint, logout): its JWTs must stop working too. */
  onGrantRevoked: (grantId: string) => void;
}

/** oidc-provider's own kinds whose rows belong to a grant. */
const MAX_ID = 255;

/**
 * oidc-provider storage on the core Database (table auth_oidc_payloads), for every model but
 * `Client`, whose "find" reads the plugin's clients table instead (see `findClient`).
 *
 * Refresh-token reuse: oidc-provider itself revokes the whole grant when a consumed (rotated) refresh
 * token comes back. Two requests racing with the same token would both see it unconsumed, so
 * `consume` is a conditional UPDATE: the loser finds it already consumed, revokes the grant and fails
 * with invalid_grant, exactly as a sequential reuse would.
 */
export class SqlAdapter implements OidcAdapter {
  constructor(
    private readonly name: string,
    private readonly deps: AdapterDeps,
    private readonly sentinel: string,
  ) {}

  private get model() {
    return this.deps.models.OidcPayload;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.name === 'Client') throw new Error('clients are managed through the admin API, not dynamic registration');
    const row: OidcPayloadRow = {
      kind: this.name,
      id,
      payload: JSON.stringify(payload),
      grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
      client_id: typeof payload.clientId === 'string' ? payload.clientId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
      expires_at: expiresIn ? new Date(this.deps.now() + expiresIn * 1000) : null,
      consumed_at: null,
    };
    await this.model.upsert(row);
  }

  private toPayload(row: OidcPayloadRow | null): AdapterPayload | undefined {
    if (!row) return undefined;
    if (row.expires_at && new Date(row.expires_at).getTime() <= this.deps.now()) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
    return payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID) return undefined;
    if (this.name === 'Client') return this.findClient(id);
    return this.toPayload(
      (await this.model.findOne({ where: { kind: this.name, id }, raw: true })) as OidcPayloadRow | null,
    );
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (typeof uid !== 'string' || uid.length > MAX_ID) return undefined;
    return this.toPayload(
      (await this.model.findOne({ where: { kind: this.name, uid }, raw: true })) as OidcPayloadRow | null,
    );
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (typeof userCode !== 'string' || userCode.length > MAX_ID) return undefined;
    return this.toPayload(
      (await this.model.findOne({
        where: { kind: this.name, user_code: userCode },
        raw: true,
      })) as OidcPayloadRow | null,
    );
  }

  async consume(id: string): Promise<void> {
    const [changed] = await this.model.update(
      { consumed_at: new Date(this.deps.now()) },
      { where: { kind: this.name, id, consumed_at: null } },
    );
    if (changed === 0 && this.name === 'RefreshToken') {
      const row = (await this.model.findOne({ where: { kind: this.name, id }, raw: true })) as OidcPayloadRow | null;
      if (row?.grant_id) await revokeGrantRows(this.deps, row.grant_id);
      throw new this.deps.oidc.errors.InvalidGrant('refresh token already used');
    }
  }

  async destroy(id: string): Promise<void> {
    if (this.name === 'Client') return;
    await this.model.destroy({ where: { kind: this.name, id } });
    if (this.name === 'Grant') {
      // Our own per-grant rows (the tenant the user signed in to) go with the grant.
      await this.model.destroy({ where: { grant_id: id, kind: TENANT_CONTEXT } });
      this.deps.onGrantRevoked(id);
    }
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.model.destroy({ where: { kind: this.name, grant_id: grantId } });
    // oidc-provider calls this for AccessToken on every grant revocation; JWT access tokens are not
    // stored, so the grant id goes on the deny list the hot path checks.
    if (this.name === 'AccessToken') this.deps.onGrantRevoked(grantId);
  }

  /**
   * Clients come from auth_oauth_clients, whose secrets are stored hashed. oidc-provider compares
   * the presented secret with `client_secret` of the metadata, so the metadata carries the presented
   * secret only when it matches the stored HMAC, and otherwise a random per-process value nobody
   * knows (so the comparison fails). The presented secret is read from the request oidc-provider is
   * handling (its AsyncLocalStorage context), in the two places client_secret_basic/post put it.
   */
  private async findClient(id: string): Promise<AdapterPayload | undefined> {
    const row = await this.deps.clients.findRow(id);
    if (!row) return undefined;
    let secret = this.sentinel;
    if (row.secret_hash) {
      const presented = presentedClientSecret(this.deps.oidc.Provider.ctx, id);
      if (presented !== undefined && this.deps.clients.verifySecret(row, presented)) secret = presented;
    }
    return clientMetadata(row, secret) as unknown as AdapterPayload;
  }
}

/** Kind of the rows recording which tenant a user signed in to, per grant. */
export const TENANT_CONTEXT = 'AihubTenantContext';
/** Kind of deny-list rows (revoked JWT ids, grants and clients) shared by every instance. */
export const DENYLIST = 'AihubDenylist';

/** Deletes every stored artefact of a grant (codes, refresh tokens, the grant) and reports it. */
export async function revokeGrantRows(deps: AdapterDeps, grantId: string): Promise<void> {
  await deps.models.OidcPayload.destroy({
    where: { [Op.or]: [{ grant_id: grantId }, { kind: 'Grant', id: grantId }] },
  });
  deps.onGrantRevoked(grantId);
}

function decodeFormComponent(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, '%20'));
}

/** The client secret of the request being handled, when it is for this client id. */
export function presentedClientSecret(ctx: ProviderContext | undefined, clientId: string): string | undefined {
  if (!ctx) return undefined;
  let params: Record<string, unknown> | undefined;
  try {
    params = ctx.oidc?.params;
  } catch {
    params = undefined;
  }
  const posted = params?.client_secret;
  if (typeof posted === 'string' && posted.length > 0) return posted;
  const header = ctx.headers.authorization;
  if (typeof header !== 'string' || header.length > 2048) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'basic') return undefined;
  try {
    const decoded = Buffer.from(header.slice(space + 1).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    if (decodeFormComponent(decoded.slice(0, colon)) !== clientId) return undefined;
    return decodeFormComponent(decoded.slice(colon + 1));
  } catch {
    return undefined;
  }
}

/** One adapter per model name, as oidc-provider asks for them; the sentinel is per provider. */
export function adapterFactory(deps: AdapterDeps): (name: string) => SqlAdapter {
  const sentinel = `unknowable-${randomBase62(48)}`;
  return (name: string) => new SqlAdapter(name, deps, sentinel);
}

/** Housekeeping: drops rows that expired more than an hour ago (consumed refresh tokens live to their expiry for reuse detection). */
export async function purgeExpired(models: AuthModels, now: number): Promise<number> {
  return models.OidcPayload.destroy({ where: { expires_at: { [Op.lt]: new Date(now - 3_600_000) } } });
}
