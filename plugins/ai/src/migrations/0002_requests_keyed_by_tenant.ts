import type { Migration } from '@aihub/core/plugin-api';
import { rebuildRequests } from './columns';

export const migration: Migration = {
  // A request id is the client's (x-request-id): keyed globally, one tenant could take another's
  // id first and leave that tenant's request unrecorded (its feedback then answers 404). Keyed by
  // (tenant_id, request_id), every tenant has its own id space; '' stands for "no tenant" because
  // a primary-key column cannot be NULL on PostgreSQL.
  name: '0002_requests_keyed_by_tenant',
  async up(ctx) {
    await rebuildRequests(ctx, true, "COALESCE(tenant_id, '')");
  },
  async down(ctx) {
    await rebuildRequests(ctx, false, "NULLIF(tenant_id, '')");
  },
};
