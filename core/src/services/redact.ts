/**
 * Redaction of secrets in free text bound for logs, spans and error messages: whatever a plugin or
 * a provider's error text puts there, key-like strings never leave in clear.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  // AI Hub API keys: ahk_<id>_<secret>; the id stays (it names the key), the secret goes.
  [/\b(ahk_[A-Za-z0-9]+_)[A-Za-z0-9_-]{8,}/g, '$1[redacted]'],
  // OpenAI-style keys (sk-…, sk-proj-…), Anthropic's (sk-ant-…).
  [/\bsk-[A-Za-z0-9_*-]{6,}/g, '[redacted]'],
  // JWTs (three base64url parts, the first a JSON header).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
  // Authorization header values of any scheme that carries a credential.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 [redacted]'],
  // `api-key: …`, `x-api-key=…`, `"client_secret":"…"`, `password=…`, `?key=…`.
  [
    /((?:x-)?api[-_]?key|client_secret|password|secret|access_token|refresh_token|token|subscription[-_]key|sig)("?\s*[:=]\s*"?)[^\s"'&,;}]{4,}/gi,
    '$1$2[redacted]',
  ],
  // Credentials in URLs: scheme://user:password@host.
  [/(\/\/[^/:@\s]+:)[^@\s/]+@/g, '$1[redacted]@'],
];

/** Replaces key-like substrings (API keys, bearer tokens, JWTs, passwords in URLs…) with markers. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** host:port and IP addresses of upstreams: internal topology, not for clients. */
const ADDRESS =
  /(?:\b(?:\d{1,3}\.){3}\d{1,3}|\[[0-9a-f:]+\]|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}|\blocalhost)(?::\d{1,5})?\b/gi;

/** Removes network addresses (IPs, host names with a dot, host:port) from text meant for a client or a log. */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS, '[upstream]');
}

/**
 * A provider's error text made fit for a log line: secrets and addresses removed, cut to `max`
 * characters (an error page can be kilobytes of HTML).
 */
export function redactProviderText(text: string, max = 200): string {
  const clean = redactAddresses(redactSecrets(text));
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
