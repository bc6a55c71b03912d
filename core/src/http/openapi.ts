import { z } from 'zod';
import { CORE_VERSION } from '../version';
import type { RouteInfo } from '../kernel/types';

const PROBLEM = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable error code' },
    instance: { type: 'string' },
    request_id: { type: 'string' },
    param: { type: 'string', description: 'The request field at fault, when the error names one (e.g. `slug`)' },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  } catch {
    return {};
  }
}

/** `/admin/v1/tenants/:tenantId` → `/admin/v1/tenants/{tenantId}` */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * The OpenAPI 3.1 document of the admin API, generated from the same zod schemas the kernel
 * validates requests with, so the document cannot drift from what the server accepts.
 */
export function buildOpenApi(routes: RouteInfo[], prefix = '/admin/v1'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    if (!r.path.startsWith(prefix) || r.method === 'ALL') continue;
    const p = openApiPath(r.path);
    const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query: unknown[] = [];
    const qs = r.schema?.query
      ? (jsonSchema(r.schema.query, 'input') as { properties?: Record<string, unknown>; required?: string[] })
      : undefined;
    for (const [name, schema] of Object.entries(qs?.properties ?? {})) {
      query.push({ name, in: 'query', required: qs?.required?.includes(name) ?? false, schema });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(r.schema?.responses ?? { 200: null })) {
      responses[status] = schema
        ? { description: 'Success', content: { 'application/json': { schema: jsonSchema(schema, 'output') } } }
        : { description: 'Success' };
    }
    for (const status of ['400', '401', '403', '404']) {
      responses[status] = {
        description: 'Problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    (paths[p] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      operationId: r.schema?.operationId,
      tags: [r.schema?.tag ?? r.plugin],
      security: r.auth === 'none' ? [] : [{ bearer: [] }],
      'x-aihub-scopes': r.scopes,
      parameters: [...params, ...query],
      ...(r.schema?.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.schema.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'AI Hub admin API',
      version: CORE_VERSION,
      description:
        'Tenants, identities, keys, limits, usage and analytics. Errors are RFC 9457 problem+json with a stable `code`.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key (ahk_…) or an OAuth 2.0 access token' },
      },
      schemas: { Problem: PROBLEM },
    },
    paths,
  };
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A dependency-free HTML rendering of the document (the gateway ships no CDN assets). */
export function renderOpenApiHtml(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<
    string,
    Record<string, { summary?: string; tags?: string[]; requestBody?: unknown; 'x-aihub-scopes'?: string[] }>
  >;
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const body = op.requestBody
        ? `<details><summary>request body</summary><pre>${escape(JSON.stringify((op.requestBody as { content: { 'application/json': { schema: unknown } } }).content['application/json'].schema, null, 2))}</pre></details>`
        : '';
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(op.summary ?? '')}${body}</td><td>${escape((op.tags ?? []).join(', '))}</td><td>${escape((op['x-aihub-scopes'] ?? []).join(' '))}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>AI Hub admin API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left}pre{background:#f6f8fa;padding:.5rem;overflow:auto}</style></head>
<body><h1>AI Hub admin API</h1><p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;key or token&gt;</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Tag</th><th>Scopes</th></tr></thead><tbody>${rows.join('')}</tbody></table></body></html>`;
}
