import type { Migration } from '@aihub/core/plugin-api';
import { migration as createPolicies } from './0001_create_policies';

/**
 * `rate_limit_policies`: limits tenant admins set through the admin API, one row per
 * (tenant, scope, subject). Every query is scoped by `tenant_id` (the unique index leads with it).
 *
 * One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename.
 */
export const migrations: Migration[] = [createPolicies];
