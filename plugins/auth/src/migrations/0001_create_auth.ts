import type { Migration } from '@aihub/core/plugin-api';
import { DataTypes } from 'sequelize';
import { created } from './columns';

export const migration: Migration = {
  name: '0001_create_auth',
  async up({ queryInterface: qi, table }) {
    await qi.createTable(table('api_keys'), {
      id: { type: DataTypes.STRING(16), primaryKey: true, allowNull: false },
      tenant_id: { type: DataTypes.STRING(64), allowNull: false },
      name: { type: DataTypes.STRING(200), allowNull: false },
      user_id: { type: DataTypes.STRING(64), allowNull: true },
      team_id: { type: DataTypes.STRING(64), allowNull: true },
      // HMAC-SHA-256 of the secret part, hex. Never the secret.
      secret_hash: { type: DataTypes.STRING(64), allowNull: false },
      scopes: { type: DataTypes.TEXT, allowNull: false },
      role: { type: DataTypes.STRING(16), allowNull: false },
      superadmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      expires_at: { type: DataTypes.DATE, allowNull: true },
      revoked_at: { type: DataTypes.DATE, allowNull: true },
      last_used_at: { type: DataTypes.DATE, allowNull: true },
      limits: { type: DataTypes.TEXT, allowNull: true },
      budgets: { type: DataTypes.TEXT, allowNull: true },
      created_by: { type: DataTypes.STRING(128), allowNull: true },
      created_at: created,
      updated_at: created,
    });
    await qi.addIndex(table('api_keys'), ['tenant_id', 'id'], { name: `${table('api_keys')}_tenant` });
    await qi.addIndex(table('api_keys'), ['updated_at'], { name: `${table('api_keys')}_updated` });

    await qi.createTable(table('oauth_clients'), {
      client_id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
      tenant_id: { type: DataTypes.STRING(64), allowNull: false },
      name: { type: DataTypes.STRING(200), allowNull: false },
      secret_hash: { type: DataTypes.STRING(64), allowNull: true },
      token_endpoint_auth_method: { type: DataTypes.STRING(32), allowNull: false },
      grant_types: { type: DataTypes.TEXT, allowNull: false },
      redirect_uris: { type: DataTypes.TEXT, allowNull: false },
      post_logout_redirect_uris: { type: DataTypes.TEXT, allowNull: false },
      scopes: { type: DataTypes.TEXT, allowNull: false },
      role: { type: DataTypes.STRING(16), allowNull: false },
      first_party: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      created_by: { type: DataTypes.STRING(128), allowNull: true },
      created_at: created,
      updated_at: created,
    });
    await qi.addIndex(table('oauth_clients'), ['tenant_id', 'client_id'], { name: `${table('oauth_clients')}_tenant` });

    // oidc-provider's storage (sessions, interactions, grants, codes, refresh tokens, …).
    await qi.createTable(table('oidc_payloads'), {
      kind: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
      id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
      payload: { type: DataTypes.TEXT, allowNull: false },
      grant_id: { type: DataTypes.STRING(255), allowNull: true },
      client_id: { type: DataTypes.STRING(255), allowNull: true },
      uid: { type: DataTypes.STRING(255), allowNull: true },
      user_code: { type: DataTypes.STRING(255), allowNull: true },
      expires_at: { type: DataTypes.DATE, allowNull: true },
      consumed_at: { type: DataTypes.DATE, allowNull: true },
    });
    await qi.addIndex(table('oidc_payloads'), ['grant_id'], { name: `${table('oidc_payloads')}_grant` });
    await qi.addIndex(table('oidc_payloads'), ['client_id'], { name: `${table('oidc_payloads')}_client` });
    await qi.addIndex(table('oidc_payloads'), ['kind', 'uid'], { name: `${table('oidc_payloads')}_uid` });
    await qi.addIndex(table('oidc_payloads'), ['kind', 'user_code'], { name: `${table('oidc_payloads')}_user_code` });
    await qi.addIndex(table('oidc_payloads'), ['expires_at'], { name: `${table('oidc_payloads')}_expires` });

    await qi.createTable(table('signing_keys'), {
      kid: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
      alg: { type: DataTypes.STRING(16), allowNull: false },
      // AES-256-GCM under a key derived from keySecret; never logged, never served.
      private_jwk: { type: DataTypes.TEXT, allowNull: false },
      public_jwk: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      created_at: created,
      retire_after: { type: DataTypes.DATE, allowNull: true },
    });

    // One-row-per-name coordination between instances (bootstrap, first signing key).
    await qi.createTable(table('state'), {
      name: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
      value: { type: DataTypes.TEXT, allowNull: true },
      updated_at: created,
    });
  },
  async down({ queryInterface: qi, table }) {
    await qi.dropTable(table('state'));
    await qi.dropTable(table('signing_keys'));
    await qi.dropTable(table('oidc_payloads'));
    await qi.dropTable(table('oauth_clients'));
    await qi.dropTable(table('api_keys'));
  },
};
