import type { PluginRouter, RouteOptions } from '@aihub/core/plugin-api';
import { z } from 'zod';
import { catalogRoutes } from './catalog/routes';
import { catalogParams, catalogSummary, catalogView } from './handlers/catalogView';
import { experimentParams, experimentQuery, experimentSummary, experimentsView } from './handlers/experiments';
import { feedbackBody, feedbackView, postFeedback } from './handlers/feedback';
import { invokeHandler } from './handlers/invoke';
import { countTokensHandler } from './handlers/countTokens';
import { messagesHandler } from './handlers/messages';
import {
  createResponse,
  deleteResponse,
  getResponse,
  inputItemsQuery,
  listInputItems,
  responseParams,
} from './handlers/responses';
import { getModel, listModels } from './handlers/models';
import { CHAT_PATH, EMBEDDINGS_PATH, MESSAGES_PATH, RESPONSES_PATH } from './hooks';
import type { AiContext } from './runtime';

/**
 * The OpenAI-compatible surface (mounted at the root: the plugin's routePrefix is ''), plus the
 * experiments summary under the admin API.
 */
export function aiRoutes(router: PluginRouter, ctx: AiContext): void {
  const auth: RouteOptions = ctx.config.requireAuth
    ? { auth: 'required', scopes: ['ai:invoke'] }
    : { auth: 'optional' };
  const ai = { ...auth, tags: ['ai'], errors: 'openai' as const };
  router.post(CHAT_PATH, invokeHandler(ctx, 'chat'), {
    ...ai,
    bodyLimit: ctx.config.bodyLimit,
    summary: 'OpenAI Chat Completions (JSON or SSE streaming), routed to the alias’ deployments',
  });
  router.post(EMBEDDINGS_PATH, invokeHandler(ctx, 'embeddings'), {
    ...ai,
    bodyLimit: ctx.config.bodyLimit,
    summary: 'OpenAI Embeddings, routed to the alias’ deployments',
  });
  router.post(MESSAGES_PATH, messagesHandler(ctx), {
    ...ai,
    bodyLimit: ctx.config.bodyLimit,
    summary: 'Anthropic Messages API (JSON or typed SSE events), translated to and from any provider',
  });
  router.post(`${MESSAGES_PATH}/count_tokens`, countTokensHandler(ctx), {
    ...ai,
    bodyLimit: ctx.config.bodyLimit,
    summary:
      'Anthropic token counting: an estimate of a Messages request’s input tokens (header x-aihub-token-count: estimate)',
  });
  router.post(RESPONSES_PATH, createResponse(ctx), {
    ...ai,
    bodyLimit: ctx.config.bodyLimit,
    summary:
      'OpenAI Responses API (JSON or typed SSE events), translated to and from any provider; stored for previous_response_id',
  });
  router.get(`${RESPONSES_PATH}/:id`, getResponse(ctx), {
    ...ai,
    summary: 'A stored response of the caller’s tenant',
    schema: { params: responseParams },
  });
  router.delete(`${RESPONSES_PATH}/:id`, deleteResponse(ctx), {
    ...ai,
    summary: 'Deletes a stored response of the caller’s tenant',
    schema: { params: responseParams },
  });
  router.get(`${RESPONSES_PATH}/:id/input_items`, listInputItems(ctx), {
    ...ai,
    summary: 'The input items of a stored response',
    schema: { params: responseParams, query: inputItemsQuery },
  });
  router.get('/v1/models', listModels(ctx), { ...ai, summary: 'Model aliases the caller’s tenant may use' });
  // A wildcard: aliases like `meta-llama/Llama-3.1-8B` contain slashes.
  router.get('/v1/models/*model', getModel(ctx), {
    ...ai,
    summary: 'One model alias',
    schema: { params: z.object({ model: z.string().min(1) }) },
  });
  router.post('/v1/feedback', postFeedback(ctx), {
    ...ai,
    summary: 'Feedback (a score) on an earlier answer, counted per experiment variant',
    schema: { body: feedbackBody, responses: { 201: feedbackView } },
  });
  router.get('/admin/v1/tenants/:tenantId/experiments', experimentSummary(ctx), {
    auth: 'required',
    scopes: ['admin:read'],
    tags: ['admin'],
    summary: 'A/B experiments of a tenant: requests, errors, latency, tokens, cost and feedback per variant',
    schema: {
      params: experimentParams,
      query: experimentQuery,
      responses: { 200: experimentsView },
      tag: 'experiments',
      operationId: 'getTenantExperiments',
    },
  });
  catalogRoutes(router, ctx);
  router.get('/admin/v1/tenants/:tenantId/models', catalogSummary(ctx), {
    auth: 'required',
    scopes: ['admin:read'],
    tags: ['admin'],
    summary:
      'Model aliases the tenant may use (a superadmin: all), their deployments, prices and price sources, breaker states and latency (this instance)',
    schema: { params: catalogParams, responses: { 200: catalogView }, tag: 'models', operationId: 'getTenantModels' },
  });
}
