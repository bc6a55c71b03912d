import type { Migration } from '@aihub/core/plugin-api';
import { migration as createAuth } from './0001_create_auth';
import { migration as apiKeyListAndRotation } from './0002_api_key_list_and_rotation';
import { migration as apiKeyRevokedIndex } from './0003_api_key_revoked_index';
import { migration as oauthClientAllowedModels } from './0004_oauth_client_allowed_models';
import { migration as apiKeyApiVersion } from './0005_api_key_api_version';
import { migration as apiKeySuspension } from './0006_api_key_suspension';
import { migration as oauthClientApiVersion } from './0007_oauth_client_api_version';

/**
 * Auth schema, identical on SQLite and PostgreSQL. JSON columns are TEXT parsed by the plugin (read
 * once per cache fill, never per request). No foreign keys into tenancy's tables: plugins own their
 * tables, and keys of a deleted tenant are refused by tenant resolution.
 *
 * One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename.
 */
export const migrations: Migration[] = [
  createAuth,
  apiKeyListAndRotation,
  apiKeyRevokedIndex,
  oauthClientAllowedModels,
  apiKeyApiVersion,
  apiKeySuspension,
  oauthClientApiVersion,
];
