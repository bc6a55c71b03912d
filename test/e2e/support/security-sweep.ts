/**
 * The security sweep's pieces: the operations to attack (from the OpenAPI document plus the /v1
 * routes), fast-check arbitraries for malformed requests, a raw HTTP client (node:http, so odd
 * methods such as TRACE, bad percent-encoding and missing content types reach the server as sent)
 * and the checks every answer must pass.
 */
import http from 'node:http';
import fc from 'fast-check';

/** One route to attack. `path` is an OpenAPI template (`/admin/v1/tenants/{tenantId}`). */
export interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** Top-level properties of the JSON request body, when the document declares one. */
  bodyProps: Record<string, JsonSchema>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonSchema = Record<string, any>;

/**
 * The /v1 routes (the OpenAI-compatible and Segment-style surface). They are not in the admin
 * document, so they are listed here; the sweep test checks that each still answers (not 404).
 */
export const V1_OPERATIONS: Operation[] = [
  v1('POST', '/v1/chat/completions', {
    model: { type: 'string' },
    messages: { type: 'array' },
    stream: { type: 'boolean' },
    max_tokens: { type: 'integer' },
    temperature: { type: 'number' },
    n: { type: 'integer' },
    user: { type: 'string' },
  }),
  v1('POST', '/v1/embeddings', {
    model: { type: 'string' },
    input: { type: 'string' },
    dimensions: { type: 'integer' },
  }),
  v1('GET', '/v1/models'),
  { ...v1('GET', '/v1/models/{model}'), pathParams: ['model'] },
  v1('POST', '/v1/feedback', {
    request_id: { type: 'string' },
    score: { type: 'number' },
    comment: { type: 'string' },
  }),
  ...['track', 'identify', 'page', 'screen', 'group', 'alias'].map((t) =>
    v1('POST', `/v1/${t}`, {
      userId: { type: 'string' },
      anonymousId: { type: 'string' },
      event: { type: 'string' },
      properties: { type: 'object' },
      traits: { type: 'object' },
      timestamp: { type: 'string' },
      previousId: { type: 'string' },
      groupId: { type: 'string' },
    }),
  ),
  v1('POST', '/v1/batch', { batch: { type: 'array' } }),
];

function v1(method: string, path: string, bodyProps: Record<string, JsonSchema> = {}): Operation {
  return { method, path, pathParams: [], queryParams: [], bodyProps };
}

/** Every operation of the admin OpenAPI document. */
export function operationsOf(doc: { paths: Record<string, Record<string, JsonSchema>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = (op.parameters ?? []) as { in: string; name: string }[];
      const schema = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyProps: (schema?.properties as Record<string, JsonSchema>) ?? {},
      });
    }
  }
  return out;
}

/** Methods a client may send; several are WebDAV/proxy methods the gateway has no route for. */
export const ODD_METHODS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'LOCK',
  'SEARCH',
  'PURGE',
  'LINK',
  'UNLINK',
  'COPY',
  'MOVE',
  'REPORT',
];

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '😀',
  'é',
  '\u202e',
  '..',
  '../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '-0',
  '1e309',
  '99999999999999999999999999',
  '9007199254740993',
  '0x1F',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  "' OR '1'='1",
  '"; DROP TABLE x; --',
  '%',
  '_',
  '\\',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  'day,model,nope',
  ',',
  'a'.repeat(5000),
  '2026-13-45',
  '2026-01-01T00:00:00Z',
  '1970-01-01',
  '9999-12-31',
];

/** A malformed (or, sometimes, ordinary) string. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom('a', '0', '-', '_', '.', ',', ' ', '%', '/'), maxLength: 20 }),
  },
);

const hugeNumber = fc.constantFrom(
  1e308,
  -1e308,
  2 ** 53 + 1,
  -(2 ** 63),
  1e21,
  0.1,
  -1,
  0,
  Number.MAX_SAFE_INTEGER,
  5e-324,
);

/** A JSON value of the wrong kind or an extreme one, including deep nesting. */
export const nastyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: nastyString },
  { weight: 2, arbitrary: hugeNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [[]], [{}], { '': '' }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 300 }).map((d) => nest(d)) },
);

function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** A value for one declared property: sometimes of its declared type, usually wrong or extreme. */
function valueFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const plausible: fc.Arbitrary<unknown>[] = [];
  const types = ([] as unknown[]).concat(schema?.type ?? []);
  if (Array.isArray(schema?.enum) && schema.enum.length) plausible.push(fc.constantFrom(...(schema.enum as unknown[])));
  if (types.includes('string')) plausible.push(fc.constantFrom('x', 'gpt-4o-mini', 'admin', 'ai:invoke'));
  if (types.includes('number') || types.includes('integer'))
    plausible.push(fc.integer({ min: -5, max: 1_000_000_000 }));
  if (types.includes('boolean')) plausible.push(fc.boolean());
  if (types.includes('array')) plausible.push(fc.array(nastyJson, { maxLength: 3 }));
  if (types.includes('object')) plausible.push(fc.dictionary(nastyString, nastyJson, { maxKeys: 3 }));
  return plausible.length
    ? fc.oneof({ weight: 1, arbitrary: fc.oneof(...plausible) }, { weight: 2, arbitrary: nastyJson })
    : nastyJson;
}

/** A body for the operation: the declared shape with wrong or extreme values, or not JSON at all. */
export function bodyFor(op: Operation): fc.Arbitrary<{ raw: string | undefined; contentType: string | undefined }> {
  const props = Object.entries(op.bodyProps);
  const shaped = props.length
    ? fc
        .record(Object.fromEntries(props.map(([k, s]) => [k, valueFor(s)])), { requiredKeys: [] })
        .map((o) => JSON.stringify(o))
    : fc.constant('{}');
  const notJson = fc.constantFrom(
    '{',
    '{"a":',
    'not json',
    '\u0000',
    '[1,2',
    '{"a":1}{"b":2}',
    '\ufeff{}',
    '1e400',
    '123456789012345678901234567890',
    '"str"',
    'null',
    '[]',
    '',
    '{"__proto__":{"admin":true}}',
    '['.repeat(5000) + ']'.repeat(5000),
  );
  const raw = fc.oneof(
    { weight: 4, arbitrary: shaped },
    { weight: 2, arbitrary: notJson },
    { weight: 1, arbitrary: nastyJson.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.array(shaped, { maxLength: 2 }).map((a) => `[${a.join(',')}]`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const contentType = fc.oneof(
    { weight: 5, arbitrary: fc.constant('application/json') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        undefined,
        '',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/json; charset=nope',
        'application/xml',
        'garbage',
        'application/*',
        'application/json, text/plain',
      ),
    },
  );
  return fc.record({ raw, contentType });
}

/** A path parameter: usually the caller's own id of the right kind, sometimes another tenant's, or something malformed. */
export function pathValue(ownIds: string[], otherIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ownIds) },
    { weight: 1, arbitrary: fc.constantFrom(...otherIds) },
    { weight: 2, arbitrary: nastyString },
  );
}

/** Percent-encodes a path segment or query value; a lone surrogate becomes the invalid UTF-8 it would be on the wire. */
export function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return Buffer.from(value, 'utf8').toString('hex').replace(/(..)/g, '%$1') + '%ED%A0%80';
  }
}

/** A query string: declared and unknown keys, malformed values, duplicates, bracket syntax, bad escapes. */
export function queryFor(op: Operation): fc.Arbitrary<string> {
  const keys = op.queryParams.length
    ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...op.queryParams) }, { weight: 1, arbitrary: nastyString })
    : nastyString;
  const pair = fc.record({
    key: keys,
    value: nastyString,
    form: fc.constantFrom('plain', 'plain', 'plain', 'dup', 'bracket', 'bare', 'badEscape'),
  });
  return fc.array(pair, { maxLength: 5 }).map((pairs) => {
    const parts: string[] = [];
    for (const { key, value, form } of pairs) {
      const k = encode(key);
      const v = encode(value);
      if (form === 'dup') parts.push(`${k}=${v}`, `${k}=${v}x`);
      else if (form === 'bracket') parts.push(`${k}[]=${v}`, `${k}[a]=${v}`);
      else if (form === 'bare') parts.push(k);
      else if (form === 'badEscape') parts.push(`${k}=%zz%`);
      else parts.push(`${k}=${v}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

/** One raw HTTP exchange (node:http: any method token, paths sent as written). */
export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
  timeoutMs = 15_000,
): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method,
      path,
      headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
      agent: false,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/**
 * What is wrong with an answer, or undefined: a 5xx, an error body in the wrong format for the
 * route family, or a secret of another tenant that the request itself did not carry.
 */
export function problemWith(
  answer: RawAnswer,
  req: { method: string; path: string; sent: string },
  forbidden: string[],
  options: { headerLimit?: 'skip' | 'check' } = {},
): string | undefined {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 300)}`;
  for (const secret of forbidden) {
    if (!req.sent.includes(secret) && answer.text.includes(secret))
      return `answer carries another tenant's value ${secret.slice(0, 12)}…`;
  }
  if (answer.status < 400 || req.method === 'HEAD' || answer.status === 304) return undefined;
  // 431 comes from Node's HTTP parser (a request line over the header limit) before any route; the
  // random sweep leaves its format to the deterministic probe of it.
  if (answer.status === 431 && options.headerLimit === 'skip') return undefined;
  const pathname = req.path.split('?')[0];
  const type = String(answer.headers['content-type'] ?? '');
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (pathname.startsWith('/admin/')) {
    if (!type.startsWith('application/problem+json'))
      return `admin error ${answer.status} with content-type "${type}" (want application/problem+json): ${answer.text.slice(0, 200)}`;
    if (
      !body ||
      typeof body.type !== 'string' ||
      typeof body.title !== 'string' ||
      body.status !== answer.status ||
      typeof body.code !== 'string' ||
      typeof body.detail !== 'string'
    ) {
      return `admin error ${answer.status} is not RFC 9457 problem+json with a code: ${answer.text.slice(0, 200)}`;
    }
    return undefined;
  }
  if (pathname.startsWith('/v1/')) {
    const e = body?.error as Record<string, unknown> | undefined;
    if (!type.startsWith('application/json'))
      return `/v1 error ${answer.status} with content-type "${type}": ${answer.text.slice(0, 200)}`;
    if (!e || typeof e.message !== 'string' || !e.message || typeof e.type !== 'string' || !('code' in e))
      return `/v1 error ${answer.status} is not OpenAI-shaped {error:{message,type,code}}: ${answer.text.slice(0, 200)}`;
  }
  return undefined;
}
