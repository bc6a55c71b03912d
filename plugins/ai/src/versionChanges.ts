import type { VersionChange } from '@aihub/core/plugin-api';

/** A model object of `/v1/models` (OpenAI's shape plus AI Hub's `pricing`). */
interface ModelObject {
  id: string;
  pricing?: unknown;
  [key: string]: unknown;
}

function withoutPricing(model: ModelObject): ModelObject {
  const { pricing: _pricing, ...rest } = model;
  return rest;
}

/**
 * The ai plugin's API version changes (`versionChanges` on the plugin definition).
 *
 * 2026-12-01: `/v1/models` and `/v1/models/{model}` carry each alias' list price, so a client can
 * pick or budget a model without a second, admin-only call. Callers at 2026-06-01 get the
 * objects as before (strict clients generated from OpenAI's schema may refuse unknown fields).
 */
export const aiVersionChanges: VersionChange[] = [
  {
    version: '2026-12-01',
    description:
      '`/v1/models` objects carry `pricing` (USD per million input, output and cached input tokens; null when the price is unknown).',
    appliesTo: (route) =>
      route.method === 'GET' && (route.path === '/v1/models' || route.path.startsWith('/v1/models/')),
    downgradeResponse: (body) => {
      const b = body as { object?: string; data?: ModelObject[] } & ModelObject;
      if (b.object === 'list' && Array.isArray(b.data)) return { ...b, data: b.data.map(withoutPricing) };
      if (b.object === 'model') return withoutPricing(b);
      return body;
    },
  },
];
