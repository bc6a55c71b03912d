import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import type { TenantRole } from '@aihub/core/plugin-api';

/** auth_api_keys row (JSON columns as stored: text). */
export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string;
  user_id: string | null;
  team_id: string | null;
  secret_hash: string;
  scopes: string;
  role: TenantRole;
  superadmin: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  limits: string | null;
  budgets: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  /** JSON array of model aliases the key may call; null = every model the tenant may use. */
  allowed_models?: string | null;
  /** The key this one replaced by rotation. */
  rotated_from?: string | null;
  /** The key that replaced this one by rotation. */
  replaced_by?: string | null;
  /** The API version (AIHub-Version) the key's requests default to; null: the tenant's pin. */
  api_version?: string | null;
  /** Set while the key is suspended (reversibly refused); null otherwise, with its reason and actor. */
  suspended_at?: Date | null;
  suspended_reason?: string | null;
  /** Who suspended it: a user id, `<kind>:<subject>` of a credential, or `ops:<rule>`. */
  suspended_by?: string | null;
}

export interface OAuthClientRow {
  client_id: string;
  tenant_id: string;
  name: string;
  secret_hash: string | null;
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'none';
  grant_types: string;
  redirect_uris: string;
  post_logout_redirect_uris: string;
  scopes: string;
  role: TenantRole;
  first_party: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  /** JSON array of model aliases its tokens may call; null: every model the tenant may use. */
  allowed_models?: string | null;
  /** The API version (AIHub-Version) its tokens' requests default to; null: the tenant's pin. */
  api_version?: string | null;
}

export interface OidcPayloadRow {
  kind: string;
  id: string;
  payload: string;
  grant_id: string | null;
  client_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  status: 'active' | 'retiring' | 'retired';
  created_at: Date;
  retire_after: Date | null;
}

export interface StateRow {
  name: string;
  value: string | null;
  updated_at: Date;
}

export interface AuthModels {
  ApiKey: ModelStatic<Model<ApiKeyRow, ApiKeyRow>>;
  OAuthClient: ModelStatic<Model<OAuthClientRow, OAuthClientRow>>;
  OidcPayload: ModelStatic<Model<OidcPayloadRow, OidcPayloadRow>>;
  SigningKey: ModelStatic<Model<SigningKeyRow, SigningKeyRow>>;
  State: ModelStatic<Model<StateRow, StateRow>>;
}

const str = (n: number, allowNull = false) => ({ type: DataTypes.STRING(n), allowNull });
const text = (allowNull = false) => ({ type: DataTypes.TEXT, allowNull });
const date = (allowNull = false) => ({ type: DataTypes.DATE, allowNull });
const common = { timestamps: false, freezeTableName: true } as const;

/** Defines the plugin's models on the core Sequelize instance (names prefixed, so they never clash). */
export function defineModels(sequelize: Sequelize, table: (name: string) => string): AuthModels {
  const ApiKey = sequelize.define<Model<ApiKeyRow, ApiKeyRow>>(
    'AuthApiKey',
    {
      id: { type: DataTypes.STRING(16), primaryKey: true },
      tenant_id: str(64),
      name: str(200),
      user_id: str(64, true),
      team_id: str(64, true),
      secret_hash: str(64),
      scopes: text(),
      role: str(16),
      superadmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      expires_at: date(true),
      revoked_at: date(true),
      last_used_at: date(true),
      limits: text(true),
      budgets: text(true),
      created_by: str(128, true),
      created_at: date(),
      updated_at: date(),
      allowed_models: text(true),
      rotated_from: str(16, true),
      replaced_by: str(16, true),
      api_version: str(10, true),
      suspended_at: date(true),
      suspended_reason: str(500, true),
      suspended_by: str(128, true),
    },
    { ...common, tableName: table('api_keys') },
  );
  const OAuthClient = sequelize.define<Model<OAuthClientRow, OAuthClientRow>>(
    'AuthOAuthClient',
    {
      client_id: { type: DataTypes.STRING(64), primaryKey: true },
      tenant_id: str(64),
      name: str(200),
      secret_hash: str(64, true),
      token_endpoint_auth_method: str(32),
      grant_types: text(),
      redirect_uris: text(),
      post_logout_redirect_uris: text(),
      scopes: text(),
      role: str(16),
      first_party: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      created_by: str(128, true),
      created_at: date(),
      updated_at: date(),
      allowed_models: text(true),
      api_version: str(10, true),
    },
    { ...common, tableName: table('oauth_clients') },
  );
  const OidcPayload = sequelize.define<Model<OidcPayloadRow, OidcPayloadRow>>(
    'AuthOidcPayload',
    {
      kind: { type: DataTypes.STRING(64), primaryKey: true },
      id: { type: DataTypes.STRING(255), primaryKey: true },
      payload: text(),
      grant_id: str(255, true),
      client_id: str(255, true),
      uid: str(255, true),
      user_code: str(255, true),
      expires_at: date(true),
      consumed_at: date(true),
    },
    { ...common, tableName: table('oidc_payloads') },
  );
  const SigningKey = sequelize.define<Model<SigningKeyRow, SigningKeyRow>>(
    'AuthSigningKey',
    {
      kid: { type: DataTypes.STRING(64), primaryKey: true },
      alg: str(16),
      private_jwk: text(),
      public_jwk: text(),
      status: str(16),
      created_at: date(),
      retire_after: date(true),
    },
    { ...common, tableName: table('signing_keys') },
  );
  const State = sequelize.define<Model<StateRow, StateRow>>(
    'AuthState',
    { name: { type: DataTypes.STRING(64), primaryKey: true }, value: text(true), updated_at: date() },
    { ...common, tableName: table('state') },
  );
  return { ApiKey, OAuthClient, OidcPayload, SigningKey, State };
}

/** Parses a JSON text column; a corrupt value reads as the fallback instead of failing the request. */
export function parseJson<T>(value: string | null | undefined, fallback: T): T {
  if (value == null || value === '') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}
