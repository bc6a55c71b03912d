/**
 * The request phases, in the order a request passes them. This is AI Hub's equivalent of Kong's
 * priority bands, but named and explicit so an operator can read the pipeline.
 *
 * Request phases (`request.*`, `cache.lookup`, `provider.invoke`) are Koa-style onion middleware and run
 * before the route handler. `response.transform` hooks run after the handler, before the response is
 * sent — also when a `cache.lookup` or `provider.invoke` hook answered in the handler's place (a cache hit). `response.meter` and `response.log` hooks run after the response has been sent (or the client
 * went away), so they can never add latency to it.
 */
export const PHASES = [
  'request.correlate',
  'request.authenticate',
  'request.tenant',
  'request.authorize',
  'request.limit',
  'request.transform',
  'cache.lookup',
  'provider.invoke',
  'response.transform',
  'response.meter',
  'response.log',
] as const;

export type Phase = (typeof PHASES)[number];
export type ResponsePhase = 'response.transform' | 'response.meter' | 'response.log';
export type RequestPhase = Exclude<Phase, ResponsePhase>;

export const RESPONSE_PHASES: readonly Phase[] = ['response.transform', 'response.meter', 'response.log'];
export const AFTER_SEND_PHASES: readonly Phase[] = ['response.meter', 'response.log'];

export function isPhase(value: string): value is Phase {
  return (PHASES as readonly string[]).includes(value);
}
