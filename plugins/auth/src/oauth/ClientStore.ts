import { Op, type WhereOptions } from 'sequelize';
import type { PluginContext, TenantRole } from '@aihub/core/plugin-api';
import { generateClientId, generateClientSecret } from '../keyFormat';
import { containsInsensitive } from '../keys/ApiKeyStore';
import { parseJson, type AuthModels, type OAuthClientRow } from '../models';
import { decodeCursor, encodeCursor, type Page } from '../pagination';
import type { ServerSecrets } from '../secrets';

export type ClientAuthMethod = OAuthClientRow['token_endpoint_auth_method'];

/** An OAuth client as the plugin works with it (the secret hash never leaves the store). */
export interface ClientRecord {
  clientId: string;
  tenantId: string;
  name: string;
  hasSecret: boolean;
  tokenEndpointAuthMethod: ClientAuthMethod;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
  role: TenantRole;
  firstParty: boolean;
  /** Model aliases its tokens may call; null: every model the tenant may use. */
  allowedModels: string[] | null;
  /** The API version its tokens' requests default to (after the AIHub-Version header); null: the tenant's pin. */
  apiVersion: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateClientInput {
  tenantId: string;
  name: string;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  scopes: string[];
  role: TenantRole;
  tokenEndpointAuthMethod: ClientAuthMethod;
  firstParty: boolean;
  allowedModels?: string[] | null;
  /** Pinned at creation (the route defaults it to the tenant's pin, else the current version). */
  apiVersion: string | null;
  createdBy: string | null;
}

export interface UpdateClientInput {
  name?: string;
  grantTypes?: string[];
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  scopes?: string[];
  allowedModels?: string[] | null;
  apiVersion?: string | null;
}

export function toClient(row: OAuthClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    tenantId: row.tenant_id,
    name: row.name,
    hasSecret: !!row.secret_hash,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method,
    grantTypes: parseJson<string[]>(row.grant_types, []),
    redirectUris: parseJson<string[]>(row.redirect_uris, []),
    postLogoutRedirectUris: parseJson<string[]>(row.post_logout_redirect_uris, []),
    scopes: parseJson<string[]>(row.scopes, []),
    role: row.role,
    firstParty: !!row.first_party,
    allowedModels: row.allowed_models ? parseJson<string[]>(row.allowed_models, []) : null,
    apiVersion: row.api_version ?? null,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * OAuth clients. Secrets are stored as HMAC-SHA-256 under the server secret (they are 256-bit random
 * values, so a keyed hash is enough; no password KDF needed), and checked in constant time.
 */
export class ClientStore {
  constructor(
    private readonly models: AuthModels,
    private readonly secrets: ServerSecrets,
    private readonly db: PluginContext['database'],
    private readonly now: () => number,
  ) {}

  async create(input: CreateClientInput): Promise<{ record: ClientRecord; secret: string | null }> {
    const secret = input.tokenEndpointAuthMethod === 'none' ? null : generateClientSecret();
    const at = new Date(this.now());
    const row: OAuthClientRow = {
      client_id: generateClientId(),
      tenant_id: input.tenantId,
      name: input.name,
      secret_hash: secret ? this.secrets.hmac(secret).toString('hex') : null,
      token_endpoint_auth_method: input.tokenEndpointAuthMethod,
      grant_types: JSON.stringify(input.grantTypes),
      redirect_uris: JSON.stringify(input.redirectUris),
      post_logout_redirect_uris: JSON.stringify(input.postLogoutRedirectUris),
      scopes: JSON.stringify(input.scopes),
      role: input.role,
      first_party: input.firstParty,
      allowed_models: input.allowedModels ? JSON.stringify(input.allowedModels) : null,
      api_version: input.apiVersion,
      created_by: input.createdBy,
      created_at: at,
      updated_at: at,
    };
    await this.models.OAuthClient.create(row);
    return { record: toClient(row), secret };
  }

  /** Any tenant: for the authorization server, which gets the client id from the request. */
  async findRow(clientId: string): Promise<OAuthClientRow | undefined> {
    if (clientId.length > 64) return undefined;
    return ((await this.models.OAuthClient.findByPk(clientId, { raw: true })) as OAuthClientRow | null) ?? undefined;
  }

  async get(tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
    const row = (await this.models.OAuthClient.findOne({
      where: { tenant_id: tenantId, client_id: clientId },
      raw: true,
    })) as OAuthClientRow | null;
    return row ? toClient(row) : undefined;
  }

  /** Constant-time check of a presented secret (false for public clients). */
  verifySecret(row: OAuthClientRow, presented: string): boolean {
    if (!row.secret_hash || presented.length === 0 || presented.length > 256) return false;
    return this.secrets.verify(presented, Buffer.from(row.secret_hash, 'hex'));
  }

  async list(tenantId: string, input: { cursor?: string; limit: number; q?: string }): Promise<Page<ClientRecord>> {
    const and: WhereOptions<OAuthClientRow>[] = [{ tenant_id: tenantId }];
    if (input.q)
      and.push(
        containsInsensitive(this.models.OAuthClient.sequelize!, 'name', input.q) as WhereOptions<OAuthClientRow>,
      );
    const cursor = decodeCursor(input.cursor);
    if (cursor)
      and.push({
        [Op.or]: [{ created_at: { [Op.lt]: cursor.at } }, { created_at: cursor.at, client_id: { [Op.lt]: cursor.id } }],
      });
    const rows = (await this.models.OAuthClient.findAll({
      where: { [Op.and]: and },
      order: [
        ['created_at', 'DESC'],
        ['client_id', 'DESC'],
      ],
      limit: input.limit + 1,
      raw: true,
    })) as unknown as OAuthClientRow[];
    const more = rows.length > input.limit;
    const page = more ? rows.slice(0, input.limit) : rows;
    const last = page[page.length - 1];
    return {
      data: page.map(toClient),
      nextCursor: more && last ? encodeCursor(new Date(last.created_at), last.client_id) : null,
    };
  }

  /**
   * Changes the given fields; returns the record before and after, or undefined when the client is
   * not this tenant's. With `revokeGrants`, the grants, codes and refresh tokens stored for the
   * client go too (in the same transaction), so nothing minted under the old settings lives on.
   */
  async update(
    tenantId: string,
    clientId: string,
    patch: UpdateClientInput,
    revokeGrants: boolean,
  ): Promise<{ before: ClientRecord; after: ClientRecord } | undefined> {
    const before = await this.get(tenantId, clientId);
    if (!before) return undefined;
    const values: Partial<OAuthClientRow> = { updated_at: new Date(this.now()) };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.grantTypes !== undefined) values.grant_types = JSON.stringify(patch.grantTypes);
    if (patch.redirectUris !== undefined) values.redirect_uris = JSON.stringify(patch.redirectUris);
    if (patch.postLogoutRedirectUris !== undefined)
      values.post_logout_redirect_uris = JSON.stringify(patch.postLogoutRedirectUris);
    if (patch.scopes !== undefined) values.scopes = JSON.stringify(patch.scopes);
    if (patch.allowedModels !== undefined)
      values.allowed_models = patch.allowedModels === null ? null : JSON.stringify(patch.allowedModels);
    if (patch.apiVersion !== undefined) values.api_version = patch.apiVersion;
    await this.db.transaction(async (t) => {
      await this.models.OAuthClient.update(values, {
        where: { tenant_id: tenantId, client_id: clientId },
        transaction: t,
      });
      if (revokeGrants) await this.models.OidcPayload.destroy({ where: { client_id: clientId }, transaction: t });
    });
    const after = await this.get(tenantId, clientId);
    return after ? { before, after } : undefined;
  }

  /** Deletes the client and everything the authorization server stored for it (grants, refresh tokens, …). */
  async delete(tenantId: string, clientId: string): Promise<ClientRecord | undefined> {
    const record = await this.get(tenantId, clientId);
    if (!record) return undefined;
    await this.db.transaction(async (t) => {
      await this.models.OAuthClient.destroy({ where: { tenant_id: tenantId, client_id: clientId }, transaction: t });
      await this.models.OidcPayload.destroy({ where: { client_id: clientId }, transaction: t });
    });
    return record;
  }
}
