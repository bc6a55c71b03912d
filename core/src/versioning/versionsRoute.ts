import { z } from 'zod';
import type { CollectedRoute } from '../kernel/collectPlugin';
import type { ApiVersions } from './ApiVersions';
import { CHANGELOG_PATH } from './catalog';

const versionsResponse = z.object({
  object: z.literal('list'),
  current: z.string(),
  data: z.array(
    z.object({
      id: z.string(),
      status: z.enum(['current', 'deprecated', 'sunset']),
      released: z.string(),
      deprecated: z.string().optional(),
      sunset: z.string().optional(),
      served: z.boolean(),
      changes: z.array(z.object({ plugin: z.string(), description: z.string() })),
    }),
  ),
});

/**
 * GET /admin/v1/versions: every API version, newest first, with its status, dates and the changes
 * it introduced — the changelog the `Link` of a deprecated answer points to. Public, like any
 * changelog: it names no tenant and no deployment detail.
 */
export function versionsRoute(versions: ApiVersions): CollectedRoute {
  return {
    handler: (c) => {
      c.set('cache-control', 'public, max-age=300');
      c.body = { object: 'list', current: versions.current, data: versions.list() };
    },
    info: {
      method: 'GET',
      path: CHANGELOG_PATH,
      plugin: 'core',
      auth: 'none',
      body: 'none',
      pipeline: true,
      scopes: [],
      tags: ['admin', 'platform'],
      errors: 'problem',
      summary: 'API versions (AIHub-Version), their status, deprecation and sunset dates, and changes',
      schema: { responses: { 200: versionsResponse }, tag: 'platform', operationId: 'listApiVersions' },
    },
  };
}
