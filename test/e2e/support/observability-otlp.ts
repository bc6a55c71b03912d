import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeOtlpTraces, type ExportedSpan } from '@aihub/core/testing';

/** A span as received over OTLP/HTTP, ids in lowercase hex. */
export type ReceivedSpan = ExportedSpan;

export interface OtlpReceiver {
  /** Base URL; the traces endpoint is `${url}/v1/traces`. */
  url: string;
  spans: ReceivedSpan[];
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
  const spans: ReceivedSpan[] = [];
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
        if (type.startsWith('application/x-protobuf')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
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
