import type { Migration } from '@aihub/core/plugin-api';
import { migration as createTenancy } from './0001_create_tenancy';
import { migration as auditAppendOnly } from './0002_audit_append_only';
import { migration as invitations } from './0003_invitations';
import { migration as userProfile } from './0004_user_profile';

/**
 * Tenancy schema, identical on SQLite and PostgreSQL. Foreign keys cascade so a deleted tenant or
 * user leaves no memberships behind; the audit log has none, so it outlives what it describes.
 *
 * One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename.
 */
export const migrations: Migration[] = [createTenancy, auditAppendOnly, invitations, userProfile];
