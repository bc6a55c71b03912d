import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Decoding of OTLP/HTTP trace exports for tests: a receiver started by a test hands the request body
 * here and asserts on the spans. Both encodings the gateway can send are understood: protobuf (the
 * default) and JSON. Only the fields tests look at are decoded.
 */

/** A span as exported, ids in lowercase hex, attribute values as JS values. */
export interface ExportedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  serviceName: string;
}

/** Decodes one ExportTraceServiceRequest; throws on a body that is neither valid protobuf nor JSON. */
export function decodeOtlpTraces(body: Buffer, contentType: string): ExportedSpan[] {
  if (contentType.startsWith('application/json')) return fromJson(JSON.parse(body.toString('utf8')) as JsonRequest);
  if (contentType.startsWith('application/x-protobuf')) return fromProtobuf(body);
  throw new Error(`unsupported OTLP content-type ${contentType}`);
}

// --- JSON encoding ---------------------------------------------------------------------------

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
type JsonAttrs = { key: string; value: JsonValue }[] | undefined;
interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonAttrs };
    scopeSpans?: {
      spans?: {
        traceId?: string;
        spanId?: string;
        parentSpanId?: string;
        name?: string;
        kind?: number;
        attributes?: JsonAttrs;
      }[];
    }[];
  }[];
}

function jsonValue(v: JsonValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

const jsonAttrs = (list: JsonAttrs) => Object.fromEntries((list ?? []).map((a) => [a.key, jsonValue(a.value)]));

/** OTLP/JSON carries ids as hex (the spec), but some encoders send base64: normalise to hex. */
function hexId(id: string | undefined, bytes: number): string {
  if (!id) return '';
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(id)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

function fromJson(req: JsonRequest): ExportedSpan[] {
  const out: ExportedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const serviceName = String(jsonAttrs(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hexId(s.traceId, 16),
          spanId: hexId(s.spanId, 8),
          parentSpanId: hexId(s.parentSpanId, 8),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          attributes: jsonAttrs(s.attributes),
          serviceName,
        });
      }
    }
  }
  return out;
}

// --- Protobuf encoding (opentelemetry/proto trace/v1, common/v1) -------------------------------

/** Field number → values (length-delimited fields as Buffers, varints as bigint, fixed as Buffers). */
type Fields = Map<number, (Buffer | bigint)[]>;

function readFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated protobuf varint');
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let value: Buffer | bigint;
    if (wire === 0) value = varint();
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      value = buf.subarray(pos, pos + n);
      pos += n;
    } else if (wire === 2) {
      const n = Number(varint());
      if (pos + n > buf.length) throw new Error('truncated protobuf field');
      value = buf.subarray(pos, pos + n);
      pos += n;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

const bytesOf = (f: Fields, n: number): Buffer[] => (f.get(n) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v));
const first = (f: Fields, n: number): Buffer | undefined => bytesOf(f, n)[0];
const str = (f: Fields, n: number): string => first(f, n)?.toString('utf8') ?? '';

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double. */
function anyValue(buf: Buffer): unknown {
  const f = readFields(buf);
  if (f.has(1)) return str(f, 1);
  if (f.has(2)) return f.get(2)![0] === 1n;
  if (f.has(3)) return Number(BigInt.asIntN(64, f.get(3)![0] as bigint));
  if (f.has(4)) return (f.get(4)![0] as Buffer).readDoubleLE(0);
  return undefined;
}

/** repeated KeyValue { 1 key, 2 value }. */
function pbAttrs(list: Buffer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list) {
    const f = readFields(kv);
    const v = first(f, 2);
    out[str(f, 1)] = v ? anyValue(v) : undefined;
  }
  return out;
}

function fromProtobuf(body: Buffer): ExportedSpan[] {
  const out: ExportedSpan[] = [];
  // ExportTraceServiceRequest { 1 resource_spans }; ResourceSpans { 1 resource, 2 scope_spans };
  // Resource { 1 attributes }; ScopeSpans { 2 spans };
  // Span { 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes }.
  for (const rsBuf of bytesOf(readFields(body), 1)) {
    const rs = readFields(rsBuf);
    const resource = first(rs, 1);
    const serviceName = String((resource ? pbAttrs(bytesOf(readFields(resource), 1)) : {})['service.name'] ?? '');
    for (const ssBuf of bytesOf(rs, 2)) {
      for (const spanBuf of bytesOf(readFields(ssBuf), 2)) {
        const s = readFields(spanBuf);
        out.push({
          traceId: first(s, 1)?.toString('hex') ?? '',
          spanId: first(s, 2)?.toString('hex') ?? '',
          parentSpanId: first(s, 4)?.toString('hex') ?? '',
          name: str(s, 5),
          kind: Number((s.get(6)?.[0] as bigint | undefined) ?? 0n),
          attributes: pbAttrs(bytesOf(s, 9)),
          serviceName,
        });
      }
    }
  }
  return out;
}

export interface OtlpReceiver {
  /** Base URL; the traces endpoint is `${url}/v1/traces`. */
  url: string;
  spans: ExportedSpan[];
  /** Content types of the exports received (the gateway's default is protobuf). */
  encodings: Set<string>;
  /** Requests the receiver could not decode, so a test can report them. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A minimal OTLP/HTTP traces receiver (protobuf and JSON encodings) on 127.0.0.1:0. It records
 * every span so tests can assert what the gateway exported.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ExportedSpan[] = [];
  const problems: string[] = [];
  const encodings = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        problems.push(`unexpected ${req.method} ${req.url}`);
        res.writeHead(404).end();
        return;
      }
      const type = req.headers['content-type'] ?? '';
      try {
        spans.push(...decodeOtlpTraces(Buffer.concat(chunks), type));
        encodings.add(type);
        // An empty ExportTraceServiceResponse, in the request's encoding.
        if (type.startsWith('application/x-protobuf'))
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (err) {
        problems.push(`undecodable body: ${(err as Error).message}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    encodings,
    problems,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
