import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What the logger and the data layer need to know about the request being served, without threading
 * it through every call. One AsyncLocalStorage run per request, entered by the kernel.
 */
export interface RequestInfo {
  requestId: string;
  traceId?: string;
  spanId?: string;
  tenantId?: string;
}

export const requestContext = new AsyncLocalStorage<RequestInfo>();

export function currentRequest(): RequestInfo | undefined {
  return requestContext.getStore();
}
