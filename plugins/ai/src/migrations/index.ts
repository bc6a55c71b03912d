import type { Migration } from '@aihub/core/plugin-api';
import { migration as createRequestsFeedback } from './0001_create_requests_feedback';
import { migration as requestsKeyedByTenant } from './0002_requests_keyed_by_tenant';
import { migration as catalogRevisions } from './0003_catalog_revisions';
import { migration as responses } from './0004_responses';
import { migration as catalogRevisionReason } from './0005_catalog_revision_reason';

/**
 * ai_requests: one small row per request (feedback checks ownership against it; experiment
 * summaries aggregate it). ai_feedback: scores given to requests. Both tenant-scoped. Times are
 * epoch milliseconds (BIGINT), identical on SQLite and PostgreSQL.
 *
 * One file per migration, named as recorded in `aihub_migrations`; append new ones, never rename.
 */
export const migrations: Migration[] = [
  createRequestsFeedback,
  requestsKeyedByTenant,
  catalogRevisions,
  responses,
  catalogRevisionReason,
];
