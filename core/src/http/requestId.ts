import { randomUUID } from 'node:crypto';

/** Accept a caller's id only when it is short and plain, so it is safe in logs and headers. */
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  if (typeof header === 'string' && VALID.test(header)) return header;
  return randomUUID();
}
