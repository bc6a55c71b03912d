import { PrincipalKey, TenantKey, type GatewayMiddleware, CoreErrors } from '@aihub/core/plugin-api';
import { z } from 'zod';
import type { AiContext } from '../runtime';

export const feedbackBody = z
  .object({
    request_id: z.string().min(1).max(128).describe('The x-request-id of the answer the feedback is about'),
    score: z
      .number()
      .finite()
      .min(-1000)
      .max(1000)
      .describe('A number: 1/-1 for thumbs up/down, 1-5 stars, 0-1 quality …'),
    comment: z.string().max(4000).optional().describe('Free text'),
  })
  .strict();

export const feedbackView = z.object({
  object: z.literal('feedback'),
  id: z.string(),
  request_id: z.string(),
  score: z.number(),
  comment: z.string().nullable(),
  experiment: z.string().nullable(),
  variant: z.string().nullable(),
  created_at: z.number().describe('Unix seconds'),
});

/**
 * POST /v1/feedback: a score for one of the caller's tenant's requests. Counted per experiment
 * variant when the request was in an experiment. A request id of another tenant answers 404, like
 * one that does not exist.
 */
export function postFeedback(ctx: AiContext): GatewayMiddleware {
  return async (c) => {
    const rt = ctx.runtime;
    const body = c.request.body as z.output<typeof feedbackBody>;
    const tenantId = TenantKey.get(c)?.id ?? PrincipalKey.get(c)?.tenantId ?? null;
    const notFound = () =>
      CoreErrors.create(
        'request_not_found',
        `No request ${body.request_id} was found for your tenant${ctx.config.feedback.trackRequests === 'all' ? '' : ' (this gateway records only some requests for feedback: feedback.trackRequests)'}.`,
        { param: 'request_id' },
      );
    if (!rt.requestLog) throw notFound();
    const owner = await rt.feedback.findRequest(body.request_id, tenantId);
    if (!owner) throw notFound();
    const row = await rt.feedback.add(body.request_id, owner, body.score, body.comment ?? null, Date.now());
    if (owner.experiment !== null && owner.variant !== null) {
      const labels = { experiment: owner.experiment, variant: owner.variant };
      rt.metrics.feedback.inc(labels);
      rt.metrics.feedbackScore.inc(labels, body.score);
    }
    c.status = 201;
    c.body = {
      object: 'feedback',
      id: row.id,
      request_id: row.request_id,
      score: row.score,
      comment: row.comment,
      experiment: row.experiment,
      variant: row.variant,
      created_at: Math.floor(row.created_at / 1000),
    };
  };
}
