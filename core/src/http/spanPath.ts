/**
 * What a server span records of the request path. OpenTelemetry's HTTP conventions put the template
 * in `http.route` and allow `url.path` to be scrubbed of sensitive content; paths here can carry
 * credentials (an invitation token, an OAuth interaction id), and a kept trace leaves the gateway
 * for a collector. So `url.path` is the path with every secret segment replaced by `REDACTED`.
 */

/** The semantic conventions' placeholder for scrubbed content. */
export const REDACTED = 'REDACTED';

/** Route parameters whose values are credentials or single-use handles (by name). */
const SECRET_PARAM = /^(token|secret|password|code|uid|nonce|signature)$|(Token|Secret|Password)$/;

/**
 * A segment of a path no route matched (a 404, or the part of a wildcard route past its `*`) is kept
 * only when it looks like a word of an API path: a token pasted into a wrong URL must not reach a
 * trace. Ids such as `ten_01HX…` (26 base32 chars after a prefix) fit the 40-character bound.
 */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]{0,40}$/;

function scrubUnknown(segment: string): string {
  return PLAIN_SEGMENT.test(segment) && !/[A-Za-z0-9_-]{33,}/.test(segment) ? segment : REDACTED;
}

/**
 * `path` with the values of secret parameters of `route` (a Koa router pattern such as
 * `/admin/v1/invitations/:token`) replaced by {@link REDACTED}; without a route, or past a wildcard,
 * each opaque-looking segment is.
 */
export function redactedPath(path: string, route: string | undefined): string {
  const segments = path.split('/');
  const template = route ? route.split('/') : [];
  for (let i = 1; i < segments.length; i++) {
    const t = template[i];
    if (t === undefined || t.includes('*') || t.includes('(')) {
      // Unmatched, or a wildcard: from here on nothing says what the segments are.
      for (let j = i; j < segments.length; j++) segments[j] = scrubUnknown(segments[j]);
      break;
    }
    if (t.startsWith(':') && SECRET_PARAM.test(t.slice(1).replace(/[?+*]$/, ''))) segments[i] = REDACTED;
  }
  return segments.join('/');
}
