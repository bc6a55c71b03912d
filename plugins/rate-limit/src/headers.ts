import { CoreErrors, GatewayError, type GatewayContext } from '@aihub/core/plugin-api';
import { RateLimitErrors } from './errors';
import type { Decision } from './Limiter';
import type { Resolution, Selected } from './resolve';
import { ADMIT_CONCURRENCY, ADMIT_REQUESTS, ADMIT_TOKENS } from './scripts';

/** `1s`, `6m0s`, `250ms`: the duration format of OpenAI's x-ratelimit-reset-* headers. */
export function openAiDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(3))}s`;
  const total = Math.ceil(ms / 1000);
  return `${Math.floor(total / 60)}m${total % 60}s`;
}

/**
 * Sets the rate-limit headers of an admitted or refused request:
 * - `RateLimit-Limit`/`-Remaining`/`-Reset` (IETF draft-ietf-httpapi-ratelimit-headers, Reset in
 *   delta seconds) for the most restrictive window dimension — the one with the smallest remaining
 *   share of its limit, or the one that refused. Concurrency has no window and is not reported there.
 * - `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` as OpenAI sends them.
 */
export function setLimitHeaders(c: GatewayContext, r: Resolution, d: Decision): void {
  const rq = r.requests;
  const tk = r.tokens;
  const resetSeconds = String(Math.max(1, Math.ceil(d.resetMs / 1000)));
  let rqRemaining = 0;
  let tkRemaining = 0;
  if (rq) {
    rqRemaining = Math.max(0, rq.limit - d.requestsUsed);
    c.set('x-ratelimit-limit-requests', String(rq.limit));
    c.set('x-ratelimit-remaining-requests', String(rqRemaining));
    c.set('x-ratelimit-reset-requests', openAiDuration(d.resetMs));
  }
  if (tk) {
    tkRemaining = Math.max(0, tk.limit - d.tokensUsed);
    c.set('x-ratelimit-limit-tokens', String(tk.limit));
    c.set('x-ratelimit-remaining-tokens', String(tkRemaining));
    c.set('x-ratelimit-reset-tokens', openAiDuration(d.resetMs));
  }
  let useTokens: boolean;
  if (d.status === ADMIT_TOKENS) useTokens = true;
  else if (d.status === ADMIT_REQUESTS || !tk) useTokens = false;
  else useTokens = !rq || tkRemaining / tk.limit < rqRemaining / rq.limit;
  const pick = useTokens ? tk : rq;
  if (pick) {
    c.set('RateLimit-Limit', String(pick.limit));
    c.set('RateLimit-Remaining', String(useTokens ? tkRemaining : rqRemaining));
    c.set('RateLimit-Reset', resetSeconds);
  }
}

type ErrorType = NonNullable<ConstructorParameters<typeof GatewayError>[1]['type']>;

const LEVEL_NAME: Record<Selected['level'], string> = {
  key: 'this API key',
  user: 'this user',
  team: 'this team',
  tenant: 'this tenant',
  model: 'this model in this tenant',
  plan: "this tenant's plan",
  global: 'the gateway default',
};

/**
 * The 429 for a refused request, shaped like OpenAI's: `type` `requests` or `tokens`, `code`
 * `rate_limit_exceeded`, and a message naming the level, the dimension and the limit.
 */
export function limitError(r: Resolution, d: Decision, model: string | undefined): GatewayError {
  const retryAfter = d.status === ADMIT_CONCURRENCY ? 1 : Math.max(1, Math.ceil(d.resetMs / 1000));
  const on = model ? ` for ${model}` : '';
  let message: string;
  let type: 'requests' | 'tokens';
  if (d.status === ADMIT_TOKENS) {
    const s = r.tokens!;
    type = 'tokens';
    message =
      d.cost > s.limit
        ? `Request too large${on} on tokens per minute (TPM), set by ${LEVEL_NAME[s.level]} (${s.level} level): Limit ${s.limit}, Requested ${d.cost}. Send a shorter prompt or a smaller max_tokens.`
        : `Rate limit reached${on} on tokens per minute (TPM), set by ${LEVEL_NAME[s.level]} (${s.level} level): Limit ${s.limit}, Used ${d.tokensUsed}, Requested ${d.cost}. Please try again in ${retryAfter}s.`;
  } else if (d.status === ADMIT_REQUESTS) {
    const s = r.requests!;
    type = 'requests';
    message = `Rate limit reached${on} on requests per minute (RPM), set by ${LEVEL_NAME[s.level]} (${s.level} level): Limit ${s.limit}, Used ${d.requestsUsed}, Requested 1. Please try again in ${retryAfter}s.`;
  } else {
    const s = r.concurrency!;
    type = 'requests';
    message = `Concurrency limit reached${on}, set by ${LEVEL_NAME[s.level]} (${s.level} level): Limit ${s.limit} requests in flight, In flight ${d.concurrentUsed}. Retry when one of them has finished.`;
  }
  return CoreErrors.create('rate_limit_exceeded', message, {
    // OpenAI's 429 bodies carry `type: "requests"` or `"tokens"`; core's union lacks these two values.
    type: type as unknown as ErrorType,
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** 503 when the store is down and a policy says fail closed. */
export function unavailableError(): GatewayError {
  return RateLimitErrors.create(
    'rate_limit_unavailable',
    'Rate limits cannot be checked right now (the limit store is unreachable) and this policy fails closed; retry shortly.',
    {
      headers: { 'retry-after': '1' },
    },
  );
}
